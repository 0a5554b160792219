"""The host's meetings in the console: weekly hours, exceptions, and the meetings people booked.

A host publishes the hours they hold first digital meetings and the days (or single slots) they
cannot after all; the chat offers what is free (``handoff.meetings``). The host sees who booked
what and can cancel a meeting, and the person is told in their own language. Only hosts hold
meetings: editors and regional accounts get a 404, as for anything that is not theirs.
"""

# No `from __future__ import annotations` here: FastAPI reads the dependency annotations at declaration.

from collections.abc import Awaitable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

import municipalities
from base.clock import now
from base.dates import when
from console.auth import Session, check_csrf
from console.pages import host_language, page
from handoff.meetings.availability import LENGTHS, Availability, AvailabilityError
from handoff.meetings.flow import Booking, Outbox
from handoff.roles import Role

MAX_FIELDS = 8
#: Free times shown to the host as the chat would offer them.
PREVIEW = 5


def build_meetings_router(booking: Booking, outbox: Outbox, session_dependency: Any) -> APIRouter:
    router = APIRouter(include_in_schema=False)  # inside the console's router (/console)
    availability: Availability = booking.availability

    def holder(session: Session) -> str:
        """The host's municipality; 404 for accounts that hold no meetings."""
        host = session.host
        if host.role is not Role.HOST or host.municipality is None:
            raise HTTPException(status_code=404, detail="only hosts hold meetings")
        return host.municipality

    async def form(request: Request, session: Session) -> dict[str, str]:
        data = await request.form(max_fields=MAX_FIELDS)
        check_csrf(request, session, str(data.get("csrf") or ""))
        return {key: str(value)[:40] for key, value in data.items() if isinstance(value, str)}

    async def show(request: Request, session: Session, problem: str | None = None, status_code: int = 200,
                   notice: str | None = None) -> HTMLResponse:
        municipality = holder(session)
        place = municipalities.load_all()[municipality]
        zone = place.office_hours.zone
        language = host_language(request)
        host_id = session.host.id
        upcoming = await booking.meetings.upcoming(host_id=host_id, since=now())
        free = [moment for moment, slots in (await booking.free(municipality)).items()
                if any(slot.host_id == host_id for slot in slots)][:PREVIEW]
        return page(request, "meetings.html", status_code=status_code, session=session,
                    places=municipalities.load_all(),
                    weekly=await availability.weekly([host_id]),
                    exceptions=await availability.exceptions([host_id], now().astimezone(zone).date()),
                    upcoming=[(meeting, when(meeting.starts_at.astimezone(zone), language)) for meeting in upcoming],
                    free=[when(moment.astimezone(zone), language) for moment in free], lengths=LENGTHS,
                    problem=problem, notice=notice)

    @router.get("/meetings", response_class=HTMLResponse)
    async def meetings_page(request: Request, session: session_dependency, notice: str = "") -> HTMLResponse:
        return await show(request, session, notice=notice if notice in ("cancelled",) else None)

    async def attempt(request: Request, session: Session, change: Awaitable[None]) -> Response:
        try:
            await change
        except AvailabilityError as error:
            return await show(request, session, problem=str(error), status_code=422)
        return RedirectResponse("/console/meetings", status_code=303)

    @router.post("/meetings/hours")
    async def add_hours(request: Request, session: session_dependency) -> Response:
        holder(session)
        data = await form(request, session)
        weekday, minutes = data.get("weekday", ""), data.get("minutes", "")
        if not weekday.isdigit() or not minutes.isdigit():
            return await show(request, session, problem="meetings_bad_weekday", status_code=422)
        return await attempt(request, session, availability.add_weekly(session.host.id, int(weekday),
                                                                        data.get("start", ""), int(minutes)))

    @router.post("/meetings/hours/{hours_id}/delete")
    async def remove_hours(request: Request, hours_id: int, session: session_dependency) -> Response:
        holder(session)
        await form(request, session)
        await availability.remove_weekly(session.host.id, hours_id)
        return RedirectResponse("/console/meetings", status_code=303)

    @router.post("/meetings/exceptions")
    async def add_exception(request: Request, session: session_dependency) -> Response:
        holder(session)
        data = await form(request, session)
        return await attempt(request, session, availability.add_exception(session.host.id, data.get("day", ""),
                                                                           data.get("start", "")))

    @router.post("/meetings/exceptions/{exception_id}/delete")
    async def remove_exception(request: Request, exception_id: int, session: session_dependency) -> Response:
        holder(session)
        await form(request, session)
        await availability.remove_exception(session.host.id, exception_id)
        return RedirectResponse("/console/meetings", status_code=303)

    @router.post("/meetings/{meeting_id}/cancel")
    async def cancel(request: Request, meeting_id: int, session: session_dependency) -> Response:
        holder(session)
        await form(request, session)
        cancelled = await booking.cancel_by_host(meeting_id, session.host, outbox)
        if cancelled is None:  # not this host's, or cancelled already
            raise HTTPException(status_code=404, detail="no such meeting")
        return RedirectResponse("/console/meetings?notice=cancelled", status_code=303)

    return router
