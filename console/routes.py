"""The console's routes: login, the dashboard, one conversation, history, and the host's verbs.

Routes only check who asks (session, CSRF, origin, municipality) and render; each verb — claim,
write, send the template, hand back, resolve — is one call of the handoff desk, and a desk error
becomes 409 (or 502 when a channel could not deliver).
"""

# No `from __future__ import annotations` here: FastAPI must see the HostSession dependency, which
# is local to build_router, when the routes are declared rather than look it up as a global later.

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

import municipalities
from console.analytics import build_analytics_router
from console.auth import COOKIE, Session, Sessions, check_csrf, same_origin
from console.faq import build_faq_router
from console.live import live_updates
from console.login import LoginGuard
from console.meetings import build_meetings_router
from console.pages import (
    LANGUAGE_COOKIE,
    button_label,
    host_language,
    masker,
    minutes_since,
    offered_first,
    page,
    refresh_in,
)
from console.profile import build_profile_router
from console.suggestions import suggestions
from editing.drafts import Drafts
from handoff.desk import REFUSALS, Desk, DeskError, NotDelivered
from handoff.events import Events
from handoff.hosts import HostStore
from handoff.meetings.flow import Booking
from handoff.records import CLOSED, Handoff, HandoffStore, Status
from handoff.texts import HOST_LANGUAGES, host_texts
from storage.rates import RateLimits
from storage.store import Store, StoredMessage, aware

STATIC = Path(__file__).resolve().parent / "static"
#: The most a page shows: transcript messages, and closed conversations in the history.
TRANSCRIPT_ROWS = 500
HISTORY_ROWS = 500


@dataclass(frozen=True)
class ConsoleServices:
    """What the console works with, handed in by the app (no lookups on the app's state)."""

    store: Store
    handoffs: HandoffStore
    hosts: HostStore
    sessions: Sessions
    desk: Desk
    events: Events
    rates: RateLimits
    drafts: Drafts
    booking: Booking


def _refused(error: DeskError, request: Request, handoff_id: int) -> Response:
    """A browser goes back to the conversation, which says why in the host's language; a script gets
    the status and the English reason as JSON."""
    if "text/html" in request.headers.get("accept", ""):
        return RedirectResponse(f"/console/handoffs/{handoff_id}?refused={error.key}", status_code=303)
    return JSONResponse({"detail": str(error)}, status_code=502 if isinstance(error, NotDelivered) else 409)


def mount(app: FastAPI, services: ConsoleServices) -> None:
    """Add the console's routes, websocket and static files to the app."""
    app.include_router(build_router(services))
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")


def build_router(services: ConsoleServices) -> APIRouter:
    router = APIRouter(prefix="/console", include_in_schema=False)
    HostSession = Annotated[Session, Depends(services.sessions.dependency())]
    handoffs, desk = services.handoffs, services.desk
    logins = LoginGuard(services.hosts, services.rates)

    async def visible(session: Session, handoff_id: int) -> Handoff:
        """The handoff if this host may see it; 404 otherwise (no hint that it exists elsewhere)."""
        handoff = await handoffs.get(handoff_id)
        if handoff is None or not session.host.may_see(handoff.municipality) or not handoff.consent:
            raise HTTPException(status_code=404, detail="no such conversation")
        return handoff

    async def shown_transcript(handoff: Handoff) -> list[StoredMessage]:
        """What this handoff's hosts may read: the conversation up to the handoff's end — not what
        the person wrote later, perhaps to another municipality."""
        transcript = await services.store.transcript(handoff.conversation_id, limit=TRANSCRIPT_ROWS)
        if handoff.closed_at is None:
            return transcript
        end = aware(handoff.closed_at)
        return [m for m in transcript if aware(m.created_at) <= end]

    async def topic(handoff: Handoff) -> str | None:
        """The topic of the last FAQ answer the person got before the handoff (housing, schools…)."""
        for message in reversed(await services.store.transcript(handoff.conversation_id, limit=50)):
            if message.message.meta.topic:
                return message.message.meta.topic
        return None

    @router.get("/language/{language}")
    async def choose_language(language: str) -> Response:
        """Hosts work in Swedish or English; the choice is kept in a cookie."""
        if language not in HOST_LANGUAGES:
            raise HTTPException(status_code=404, detail="the console speaks sv and en")
        response = RedirectResponse("/console", status_code=303)
        response.set_cookie(LANGUAGE_COOKIE, language, samesite="strict", path="/console", max_age=365 * 86400)
        return response

    @router.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request, failed: int = 0) -> HTMLResponse:
        return page(request, "login.html", failed=bool(failed))

    @router.post("/login")
    async def login(request: Request, email: str = Form(max_length=200),
                    password: str = Form(max_length=500)) -> Response:
        if not same_origin(request):
            raise HTTPException(status_code=403, detail="cross-site request refused")
        address = request.client.host if request.client else "unknown"
        result = await logins.attempt(email, password, address)
        if result.retry_after:
            minutes = max(1, -(-result.retry_after // 60))
            response = page(request, "login.html", throttled=minutes, status_code=429)
            response.headers["Retry-After"] = str(result.retry_after)
            return response
        if result.host is None:
            return RedirectResponse("/console/login?failed=1", status_code=303)
        host = result.host
        token, _ = await services.sessions.open(host)
        response = RedirectResponse("/console", status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/console",
                            secure=request.url.scheme == "https", max_age=10 * 3600)
        return response

    @router.post("/logout")
    async def logout(*, request: Request, csrf: str = Form(""), session: HostSession) -> Response:
        check_csrf(request, session, csrf)
        await services.sessions.close(request.cookies.get(COOKIE))
        response = RedirectResponse("/console/login", status_code=303)
        response.delete_cookie(COOKIE, path="/console")
        return response

    async def queues(session: Session, statuses: tuple[Status, ...]) -> list[Handoff]:
        """The handoffs in these states the account may see (none for an account that hosts no one)."""
        if not session.host.role.hosts:
            return []
        return await handoffs.by_status(None if session.host.is_admin else session.host.municipality, statuses)

    @router.get("", response_class=HTMLResponse)
    async def dashboard(request: Request, session: HostSession) -> HTMLResponse:
        rows = {status: await queues(session, (status,)) for status in (Status.WAITING, Status.ACTIVE, Status.TICKET)}
        topics = {h.id: await topic(h) for status_rows in rows.values() for h in status_rows}
        offers = await desk.offers(rows[Status.WAITING])  # who speaks each one's language; offered to you first?
        rows[Status.WAITING] = offered_first(session.host, rows[Status.WAITING], offers)
        language = host_language(request)
        return await asyncio.to_thread(page, request, "dashboard.html", session=session, rows=rows,
                                       places=municipalities.load_all(), minutes=minutes_since, topics=topics,
                                       offers=offers, masked=lambda h, raw: masker(language, h)(raw),
                                       refresh=refresh_in(offers, desk.clock()))

    @router.get("/handoffs/{handoff_id}", response_class=HTMLResponse)
    async def conversation(handoff_id: int, request: Request, session: HostSession,
                           refused: str = Query("", max_length=40)) -> HTMLResponse:
        handoff = await visible(session, handoff_id)
        transcript = await shown_transcript(handoff)
        language = host_language(request)
        reach = await desk.reach(handoff)
        return await asyncio.to_thread(
            page, request, "conversation.html", session=session, handoff=handoff, transcript=transcript,
            window_closed=not reach.can_send_text, template_available=reach.template is not None,
            place=municipalities.load_all()[handoff.municipality], canned=host_texts(language).get("canned", []),
            minutes=minutes_since, masked=masker(language, handoff),
            suggestions=await suggestions(handoff, transcript, language), shown=lambda raw: button_label(raw, language),
            refused=refused if refused in REFUSALS else None)

    @router.get("/handoffs/{handoff_id}/messages")
    async def messages(*, handoff_id: int, request: Request, after: int = Query(0, ge=0),
                       session: HostSession) -> JSONResponse:
        handoff = await visible(session, handoff_id)
        transcript = [m for m in await shown_transcript(handoff) if m.id > after]
        hide = masker(host_language(request), handoff)
        fresh = await asyncio.to_thread(lambda: [{"id": m.id, "direction": m.direction, "author": m.author,
                                                  "text": hide(m.text)} for m in transcript])
        return JSONResponse({"status": handoff.status, "messages": fresh})

    @router.post("/handoffs/{handoff_id}/claim")
    async def claim(*, handoff_id: int, request: Request, csrf: str = Form(""), session: HostSession) -> Response:
        check_csrf(request, session, csrf)
        try:
            handoff = await desk.claim(await visible(session, handoff_id), session.host)
        except DeskError as error:
            return _refused(error, request, handoff_id)
        return RedirectResponse(f"/console/handoffs/{handoff.id}", status_code=303)

    @router.get("/history", response_class=HTMLResponse)
    async def history(request: Request, session: HostSession, q: str = Query("", max_length=200)) -> HTMLResponse:
        """Closed conversations, newest first, optionally only those whose need, note or messages match."""
        closed = list(reversed(await queues(session, CLOSED)))[:HISTORY_ROWS]
        language = host_language(request)
        if q.strip():
            # The search sees what a host sees: masked text, so a personal number finds nothing.
            texts = {h.id: [h.need or "", h.note or "", *(m.text or "" for m in await shown_transcript(h))]
                     for h in closed}
            needle = q.strip().casefold()

            def matches(h: Handoff) -> bool:
                hide = masker(language, h)
                return any(needle in hide(text).casefold() for text in texts[h.id])

            closed = await asyncio.to_thread(lambda: [h for h in closed if matches(h)])
        return await asyncio.to_thread(page, request, "history.html", session=session, rows=closed, q=q,
                                       places=municipalities.load_all(),
                                       masked=lambda h, raw: masker(language, h)(raw))

    @router.post("/handoffs/{handoff_id}/message")
    async def post_message(*, handoff_id: int, request: Request, text: str = Form(min_length=1, max_length=4000),
                           csrf: str = Form(""), session: HostSession) -> Response:
        check_csrf(request, session, csrf)
        handoff = await visible(session, handoff_id)
        try:
            delivered = await desk.write(handoff, session.host, text)
        except DeskError as error:
            return _refused(error, request, handoff_id)
        if request.headers.get("accept", "").startswith("application/json"):
            return JSONResponse({"delivered": delivered})
        return RedirectResponse(f"/console/handoffs/{handoff.id}", status_code=303)

    @router.post("/handoffs/{handoff_id}/template")
    async def send_template(*, handoff_id: int, request: Request, csrf: str = Form(""),
                            session: HostSession) -> Response:
        check_csrf(request, session, csrf)
        handoff = await visible(session, handoff_id)
        try:
            await desk.send_template(handoff, session.host)
        except DeskError as error:
            return _refused(error, request, handoff_id)
        return RedirectResponse(f"/console/handoffs/{handoff.id}", status_code=303)

    @router.post("/handoffs/{handoff_id}/handback")
    async def hand_back(*, handoff_id: int, request: Request, csrf: str = Form(""),
                        session: HostSession) -> Response:
        check_csrf(request, session, csrf)
        try:
            await desk.hand_back(await visible(session, handoff_id), session.host)
        except DeskError as error:
            return _refused(error, request, handoff_id)
        return RedirectResponse("/console", status_code=303)

    @router.post("/handoffs/{handoff_id}/resolve")
    async def resolve(*, handoff_id: int, request: Request, note: str = Form("", max_length=4000),
                      csrf: str = Form(""), session: HostSession) -> Response:
        check_csrf(request, session, csrf)
        try:
            await desk.resolve(await visible(session, handoff_id), session.host, note)
        except DeskError as error:
            return _refused(error, request, handoff_id)
        return RedirectResponse("/console", status_code=303)

    router.add_api_websocket_route("/ws", live_updates(services.sessions, services.events))
    router.include_router(build_analytics_router(services.store, HostSession))
    router.include_router(build_faq_router(services.drafts, services.hosts, HostSession))
    router.include_router(build_profile_router(services.hosts, HostSession))
    router.include_router(build_meetings_router(services.booking, services.desk.outbox, HostSession))
    return router
