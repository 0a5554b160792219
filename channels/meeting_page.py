"""The page behind the link in a meeting's e-mail: see the meeting, cancel it, or move it.

The link's token is the only key (its SHA-256 is stored, never the token), so the page needs no
login and works from any mail program; it is 32 random bytes, too many to guess. The page is in
the person's language, sends no referrer (the token must not leak to the video service's site)
and is never cached. A time chosen here is checked against what is free now, like a pick in the
chat, so the page cannot book a slot that is taken or not offered.
"""

# No `from __future__ import annotations` here: FastAPI reads the route annotations at declaration.

from functools import cache
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

import municipalities
from base.catalog import text
from base.clock import now
from base.dates import when
from handoff.meetings.flow import OFFERED, Booking
from handoff.meetings.invitation import local
from handoff.meetings.records import Meeting, MeetingStatus, parse_slot_id, slot_id

NOTICES = ("cancelled", "moved", "taken")


@cache
def _templates() -> Environment:
    return Environment(loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
                       autoescape=select_autoescape(["html"]))


def _page(token: str, meeting: Meeting, host_name: str, free: list[tuple[str, str]], notice: str | None,
          status_code: int = 200) -> HTMLResponse:
    lang = meeting.language
    place = municipalities.load_all()[meeting.municipality]

    def t(key: str) -> str:
        return text(lang, key, host=host_name, municipality_name=place.name, when=when(local(meeting), lang),
                    length=text(lang, "meeting_length", count=meeting.minutes))

    live = meeting.status == MeetingStatus.BOOKED and meeting.ends_at > now()
    html = _templates().get_template("meeting.html").render(
        token=token, lang=lang, rtl=lang == "ar", t=t, live=live, free=free, notice=notice,
        cancelled=meeting.status == MeetingStatus.CANCELLED)
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def build_router(booking: Booking) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    async def found(token: str) -> Meeting:
        meeting = await booking.by_token(token)
        if meeting is None:
            raise HTTPException(status_code=404, detail="This link is not valid.")
        return meeting

    @router.get("/meetings/{token}", response_class=HTMLResponse)
    async def show(token: str, notice: str = "") -> HTMLResponse:
        meeting = await found(token)
        host = await booking.hosts.get(meeting.host_id)
        zone = municipalities.load_all()[meeting.municipality].office_hours.zone
        free: list[tuple[str, str]] = []
        if meeting.status == MeetingStatus.BOOKED:
            moments = [m for m in await booking.free(meeting.municipality) if m != meeting.starts_at][:OFFERED * 2]
            free = [(slot_id(m), when(m.astimezone(zone), meeting.language)) for m in moments]
        return _page(token, meeting, host.first_name if host else "", free, notice if notice in NOTICES else None)

    @router.post("/meetings/{token}/cancel")
    async def cancel(token: str) -> Response:
        meeting = await found(token)
        await booking.cancel(meeting.id, "person")
        return RedirectResponse(f"/meetings/{token}?notice=cancelled", status_code=303)

    @router.post("/meetings/{token}/move")
    async def move(token: str, request: Request) -> Response:
        await found(token)
        form = await request.form(max_fields=2)
        starts = parse_slot_id(str(form.get("slot") or ""))
        if starts is None:
            raise HTTPException(status_code=422, detail="Choose one of the times on the page.")
        moved = await booking.move_by_token(token, starts)
        return RedirectResponse(f"/meetings/{token}?notice={'moved' if moved else 'taken'}", status_code=303)

    return router
