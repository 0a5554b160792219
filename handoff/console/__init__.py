"""The host console: relocation hosts log in, see their municipality's queue, tickets and chats,
claim a conversation, chat with the person on their own channel, hand back to the bot or resolve.

Server-rendered pages (Jinja2, autoescaped) plus a websocket that tells an open console when
something changed. Every route checks that the host may see the handoff's municipality: a host
sees only their own municipality, an admin sees all.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

import municipalities
from connectors.gateway import Gateway
from connectors.store import aware, now
from connectors.whatsapp import window_open
from handoff.console.auth import COOKIE, Session, Sessions, check_csrf, current, same_origin
from handoff.hosts import HostStore
from handoff.privacy import labels, mask
from handoff.records import Handoff, HandoffStore

LOCALES = Path(__file__).resolve().parents[1] / "locales"
CONSOLE_LANGUAGE = "sv"  # the hosts' working language; en is complete too
router = APIRouter(prefix="/console", include_in_schema=False)
HostSession = Annotated[Session, Depends(current)]


@cache
def texts(language: str) -> dict[str, Any]:
    return yaml.safe_load((LOCALES / f"{language}.yml").read_text(encoding="utf-8"))


@cache
def _templates() -> Environment:
    environment = Environment(loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
                              autoescape=select_autoescape(["html"]))
    return environment


def _language(request: Request) -> str:
    wanted = request.cookies.get("console_lang", CONSOLE_LANGUAGE)
    return wanted if wanted in ("sv", "en") else CONSOLE_LANGUAGE


def _page(request: Request, template: str, **values: Any) -> HTMLResponse:
    language = _language(request)
    html = _templates().get_template(template).render(t=texts(language), lang=language, **values)
    response = HTMLResponse(html)
    response.headers["Content-Security-Policy"] = "default-src 'self'; style-src 'self' 'unsafe-inline'"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def masker(language: str, handoff: Handoff):
    """Masks identifiers in what a host sees, except the contact details given for this handoff."""
    keep = (handoff.contact_value or "",)
    return lambda raw: mask(raw or "", labels(language), keep)


def _minutes_since(moment: dt.datetime | None) -> int | None:
    if moment is None:
        return None
    return int((now() - aware(moment)).total_seconds() // 60)


async def _visible(request: Request, session: Session, handoff_id: int) -> Handoff:
    """The handoff if this host may see it; 404 otherwise (no hint that it exists elsewhere)."""
    handoff = await request.app.state.handoffs.get(handoff_id)
    if handoff is None or not session.host.may_see(handoff.municipality) or not handoff.consent:
        raise HTTPException(status_code=404, detail="no such conversation")
    return handoff


@router.get("/language/{language}")
async def choose_language(language: str) -> Response:
    """Hosts work in Swedish or English; the choice is kept in a cookie."""
    if language not in ("sv", "en"):
        raise HTTPException(status_code=404, detail="the console speaks sv and en")
    response = RedirectResponse("/console", status_code=303)
    response.set_cookie("console_lang", language, samesite="strict", path="/console", max_age=365 * 86400)
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, failed: int = 0) -> HTMLResponse:
    return _page(request, "login.html", failed=bool(failed))


@router.post("/login")
async def login(request: Request, email: str = Form(max_length=200), password: str = Form(max_length=500)) -> Response:
    if not same_origin(request):
        raise HTTPException(status_code=403, detail="cross-site request refused")
    hosts: HostStore = request.app.state.hosts
    address = request.client.host if request.client else "unknown"
    if await hosts.throttled(f"email:{email.strip().lower()}", f"ip:{address}"):
        return _page(request, "login.html", throttled=True)
    host = await hosts.authenticate(email, password, address)
    if host is None:
        return RedirectResponse("/console/login?failed=1", status_code=303)
    token, _ = await request.app.state.sessions.open(host)
    response = RedirectResponse("/console", status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/console",
                        secure=request.url.scheme == "https", max_age=10 * 3600)
    return response


@router.post("/logout")
async def logout(*, request: Request, csrf: str = Form(""), session: HostSession) -> Response:
    await check_csrf(request, session, csrf)
    await request.app.state.sessions.close(request.cookies.get(COOKIE))
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response


async def _topic(store: Any, handoff: Handoff) -> str | None:
    """The topic of the last FAQ answer the person got before the handoff (housing, schools…)."""
    for message in reversed(await store.transcript(handoff.conversation_id, limit=50)):
        custom = (message.data or {}).get("custom") or {}
        if custom.get("topic"):
            return str(custom["topic"])
    return None


@router.get("", response_class=HTMLResponse)
async def dashboard(request: Request, session: HostSession) -> HTMLResponse:
    handoffs: HandoffStore = request.app.state.handoffs
    scope = None if session.host.is_admin else session.host.municipality
    rows = {status: await handoffs.by_status(scope, (status,)) for status in ("waiting", "active", "ticket")}
    places = municipalities.load_all()
    store = request.app.state.gateway.store
    topics = {h.id: await _topic(store, h) for status_rows in rows.values() for h in status_rows}
    language = _language(request)
    return _page(request, "dashboard.html", session=session, rows=rows, places=places, minutes=_minutes_since,
                 topics=topics,
                 masked=lambda h, raw: masker(language, h)(raw))


@router.get("/handoffs/{handoff_id}", response_class=HTMLResponse)
async def conversation(handoff_id: int, request: Request, session: HostSession) -> HTMLResponse:
    handoff = await _visible(request, session, handoff_id)
    gateway: Gateway = request.app.state.gateway
    transcript = await gateway.store.transcript(handoff.conversation_id, limit=500)
    language = _language(request)
    canned = texts(language).get("canned", [])
    whatsapp = request.app.state.whatsapp
    return _page(request, "conversation.html", session=session, handoff=handoff, transcript=transcript,
                 window_closed=await _window_closed(request, handoff),
                 template_available=bool(whatsapp and whatsapp.config.template_name),
                 place=municipalities.load_all()[handoff.municipality], canned=canned,
                 minutes=_minutes_since, masked=masker(language, handoff),
                 suggestions=await suggestions(handoff, transcript, language),
                 shown=lambda raw: button_label(raw, language))


#: The intake's button payloads, and the catalog text of the button the person pressed.
_BUTTONS = {"/handoff_chat": "handoff_method_chat", "/handoff_email": "handoff_method_email",
            "/handoff_phone": "handoff_method_phone", "/handoff_cancel": "handoff_cancel",
            "/handoff_yes": "handoff_yes", "/handoff_no": "handoff_no"}


def button_label(raw: str | None, language: str) -> str:
    """A pressed button as the host would read it: "[Here in the chat]" rather than its payload."""
    from base.catalog import text

    if raw in _BUTTONS:
        return f"[{text(language, _BUTTONS[raw])}]"
    return raw or ""


async def suggestions(handoff: Handoff, transcript: list, host_language: str) -> list[dict[str, str]]:
    """FAQ answers for the person's latest question, in the host's language and the person's."""
    from actions.faq import retriever
    from knowledge.content import entry_by_id

    question = next((m.text for m in reversed(transcript) if m.direction == "in" and m.text), None)
    if not question:
        return []
    hits = await asyncio.to_thread(retriever().search, question, handoff.municipality, handoff.language, None, 2)
    found = []
    for hit in hits:
        entry = entry_by_id(hit.faq_id)
        if entry is None:
            continue
        for_host, _ = entry.answer_in(host_language)
        for_person, person_language = entry.answer_in(handoff.language)
        questions = entry.questions.get(host_language) or next(iter(entry.questions.values()))
        found.append({"id": entry.id, "question": questions[0], "for_host": for_host, "for_person": for_person,
                      "person_language": person_language})
    return found


@router.get("/handoffs/{handoff_id}/messages")
async def messages(*, handoff_id: int, request: Request, after: int = Query(0, ge=0),
                   session: HostSession) -> JSONResponse:
    handoff = await _visible(request, session, handoff_id)
    transcript = await request.app.state.gateway.store.transcript(handoff.conversation_id, limit=500)
    hide = masker(_language(request), handoff)
    fresh = [{"id": m.id, "direction": m.direction, "author": m.author, "text": hide(m.text)}
             for m in transcript if m.id > after]
    return JSONResponse({"status": handoff.status, "messages": fresh})


async def _say(request: Request, handoff: Handoff, key: str, **values: Any) -> None:
    """A message to the person in their language, from the catalogs (host joined, handed back…)."""
    from base.catalog import text

    message = {"text": text(handoff.language, key, **values),
               "custom": {"language": handoff.language, "response": key, "handoff_id": handoff.id}}
    await request.app.state.gateway.push(handoff.conversation_id, [message], author="gateway")


@router.post("/handoffs/{handoff_id}/claim")
async def claim(*, handoff_id: int, request: Request, csrf: str = Form(""),
                session: HostSession) -> Response:
    await check_csrf(request, session, csrf)
    handoff = await _visible(request, session, handoff_id)
    if handoff.status not in ("waiting", "ticket"):
        raise HTTPException(status_code=409, detail="this conversation is not waiting")
    handoffs: HandoffStore = request.app.state.handoffs
    handoff = await handoffs.change(handoff.id, status="active", host_id=session.host.id, claimed_at=now())
    place = municipalities.load_all()[handoff.municipality]
    await _say(request, handoff, "handoff_host_joined", host_name=session.host.first_name,
               municipality_name=place.name)
    await request.app.state.events.publish(handoff.municipality, {"type": "claimed", "handoff_id": handoff.id})
    await _update_queue(request, handoff.municipality)
    return RedirectResponse(f"/console/handoffs/{handoff.id}", status_code=303)


async def _update_queue(request: Request, municipality: str) -> None:
    """Everyone still waiting moved up one place: tell them their new place, in their language."""
    gateway: Gateway = request.app.state.gateway
    if gateway.intake is None:
        return
    for waiting in await request.app.state.handoffs.by_status(municipality, ("waiting",)):
        message = await gateway.intake.position_message(waiting)
        await gateway.push(waiting.conversation_id, [message], author="gateway")


@router.get("/history", response_class=HTMLResponse)
async def history(request: Request, session: HostSession, q: str = Query("", max_length=200)) -> HTMLResponse:
    """Closed conversations, newest first, optionally only those whose need, note or messages match."""
    handoffs: HandoffStore = request.app.state.handoffs
    scope = None if session.host.is_admin else session.host.municipality
    closed = list(reversed(await handoffs.by_status(scope, ("resolved", "returned"))))[:500]
    if q.strip():
        needle = q.strip().casefold()
        store = request.app.state.gateway.store
        matching = []
        for h in closed:
            haystack = " ".join([h.need or "", h.note or ""] + [m.text or "" for m in await store.transcript(
                h.conversation_id, limit=500)])
            if needle in haystack.casefold():
                matching.append(h)
        closed = matching
    language = _language(request)
    return _page(request, "history.html", session=session, rows=closed, q=q, places=municipalities.load_all(),
                 masked=lambda h, raw: masker(language, h)(raw))


async def _window_closed(request: Request, handoff: Handoff) -> bool:
    """WhatsApp refuses free-form messages 24 hours after the person's last message."""
    if handoff.channel != "whatsapp":
        return False
    conversation = await request.app.state.gateway.store.conversation(handoff.conversation_id)
    return conversation is None or not window_open(conversation.last_inbound_at, now())


def _held_by(session: Session, handoff: Handoff) -> None:
    if handoff.status != "active" or (handoff.host_id != session.host.id and not session.host.is_admin):
        raise HTTPException(status_code=409, detail="claim the conversation first")


@router.post("/handoffs/{handoff_id}/message")
async def post_message(*, handoff_id: int, request: Request, text: str = Form(min_length=1, max_length=4000),
                       csrf: str = Form(""), session: HostSession) -> Response:
    await check_csrf(request, session, csrf)
    handoff = await _visible(request, session, handoff_id)
    _held_by(session, handoff)
    if await _window_closed(request, handoff):
        raise HTTPException(status_code=409, detail="WhatsApp's 24-hour window has closed: send the template")
    message = {"text": text.strip(), "custom": {"language": handoff.language, "author": "host",
                                                "host_name": session.host.first_name, "handoff_id": handoff.id}}
    delivered = await request.app.state.gateway.push(handoff.conversation_id, [message], author="host")
    if request.headers.get("accept", "").startswith("application/json"):
        return JSONResponse({"delivered": delivered})
    return RedirectResponse(f"/console/handoffs/{handoff.id}", status_code=303)


@router.post("/handoffs/{handoff_id}/template")
async def send_template(*, handoff_id: int, request: Request, csrf: str = Form(""), session: HostSession) -> Response:
    """Outside WhatsApp's window only an approved template may go out; it invites the person to reply."""
    await check_csrf(request, session, csrf)
    handoff = await _visible(request, session, handoff_id)
    _held_by(session, handoff)
    if handoff.channel != "whatsapp" or request.app.state.whatsapp is None:
        raise HTTPException(status_code=409, detail="templates exist only on WhatsApp")
    message = {"text": f"[template {request.app.state.whatsapp.config.template_name}]", "whatsapp_template": True,
               "custom": {"author": "host", "handoff_id": handoff.id}}
    delivered = await request.app.state.gateway.push(handoff.conversation_id, [message], author="host")
    if not delivered:
        raise HTTPException(status_code=502, detail="the template could not be sent")
    return RedirectResponse(f"/console/handoffs/{handoff.id}", status_code=303)


@router.post("/handoffs/{handoff_id}/handback")
async def hand_back(*, handoff_id: int, request: Request, csrf: str = Form(""),
                    session: HostSession) -> Response:
    await check_csrf(request, session, csrf)
    handoff = await _visible(request, session, handoff_id)
    _held_by(session, handoff)
    handoff = await request.app.state.handoffs.change(handoff.id, status="returned", closed_at=now())
    await _say(request, handoff, "handoff_returned", host_name=session.host.first_name)
    return RedirectResponse("/console", status_code=303)


@router.post("/handoffs/{handoff_id}/resolve")
async def resolve(*, handoff_id: int, request: Request, note: str = Form("", max_length=4000), csrf: str = Form(""),
                  session: HostSession) -> Response:
    await check_csrf(request, session, csrf)
    handoff = await _visible(request, session, handoff_id)
    if handoff.status == "ticket":
        handoff = await request.app.state.handoffs.change(handoff.id, host_id=session.host.id)
    else:
        _held_by(session, handoff)
    handoff = await request.app.state.handoffs.change(handoff.id, status="resolved", closed_at=now(), note=note)
    if handoff.contact_method == "chat" or handoff.claimed_at is not None:
        await _say(request, handoff, "handoff_resolved", host_name=session.host.first_name)
    return RedirectResponse("/console", status_code=303)


@router.websocket("/ws")
async def updates(websocket: WebSocket) -> None:
    """Pushes {type, handoff_id, municipality} events to an open console."""
    sessions: Sessions = websocket.app.state.sessions
    session = await sessions.find(websocket.cookies.get(COOKIE))
    origin = websocket.headers.get("origin")
    expected = f"{'https' if websocket.url.scheme == 'wss' else 'http'}://{websocket.url.netloc}"
    if session is None or (origin is not None and origin != expected):
        await websocket.close(code=4401)
        return
    await websocket.accept()
    scope = None if session.host.is_admin else {session.host.municipality or ""}
    queue = websocket.app.state.events.subscribe(scope)
    try:
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), timeout=30)
            except TimeoutError:
                event = {"type": "ping"}
                await sessions.hosts.touch(session.host.id)  # an open console keeps its host online
            await websocket.send_json(event)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        websocket.app.state.events.unsubscribe(queue)
