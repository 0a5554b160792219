"""The web channel: the embeddable chat widget and the socket.io server it talks to.

The server speaks the socket.io protocol of Rasa's own socketio channel (``session_request`` →
``session_confirm``, ``user_uttered`` → ``bot_uttered`` with ``text`` and ``quick_replies``), so a
site that already embeds the open-source ``rasa-webchat`` widget can point it at this server
unchanged, and our own widget (static/widget.js) uses the same events. Bot messages carry only
those two keys because rasa-webchat drops a message with any other key.

A conversation is a socket.io room named after its session id: every tab of the same browser
joins it, so all tabs show the same conversation, and the stored transcript is sent on
reconnect, so a reload shows it again.
"""

from __future__ import annotations

import html
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import socketio
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

import municipalities
from actions.language import normalise_code
from base.catalog import text as catalog_text
from base.definitions import FALLBACK_LANGUAGE, LANGUAGES
from connectors.gateway import Gateway, Inbound
from connectors.store import Conversation, StoredMessage

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
SOCKET_IO_CLIENT = Path(__file__).resolve().parents[2] / "node_modules" / "socket.io-client" / "dist"
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
#: The widget's own texts, looked up in base/locales/<lang>.yml.
WIDGET_TEXTS = ("web_title", "web_open", "web_close", "web_notice", "web_input_label", "web_placeholder",
                "web_send", "web_typing", "web_offline", "web_options")


def widget_language(preferences: str | None) -> str:
    """The first supported language among the browser's preferences (navigator.languages)."""
    for item in (preferences or "").split(","):
        code = normalise_code(item.strip())
        if code in LANGUAGES:
            return code
    return FALLBACK_LANGUAGE


def to_socketio(bot_message: dict[str, Any]) -> dict[str, Any]:
    """A gateway message in the shape Rasa's socketio channel emits as ``bot_uttered``."""
    message: dict[str, Any] = {"text": bot_message.get("text") or ""}
    buttons = bot_message.get("buttons") or []
    if buttons:
        message["quick_replies"] = [
            {"content_type": "text", "title": b.get("title", ""), "payload": b.get("payload", "")} for b in buttons
        ]
    return message


def history_item(stored: StoredMessage) -> dict[str, Any]:
    if stored.direction == "in":
        return {"sender": "user", "text": stored.text or ""}
    return {"sender": "bot", **to_socketio({"text": stored.text, **(stored.data or {})})}


def build_socketio(gateway: Callable[[], Gateway]) -> socketio.AsyncServer:
    """The socket.io server; ``gateway`` gives the running app's gateway (made in its lifespan)."""
    # Any site may embed the widget, and the socket carries no cookies or credentials, so a
    # cross-origin connection cannot act for anyone else: the session id is the only key.
    sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*", logger=False, engineio_logger=False,
                               max_http_buffer_size=200_000)

    @sio.event
    async def session_request(sid: str, data: Any) -> None:
        requested = data.get("session_id") if isinstance(data, dict) else None
        session_id = requested if isinstance(requested, str) and _SESSION_ID.match(requested) else uuid.uuid4().hex
        await sio.save_session(sid, {"session_id": session_id})
        await sio.enter_room(sid, session_id)
        await sio.emit("session_confirm", session_id, to=sid)
        transcript = await gateway().store.transcript(f"web:{session_id}")
        if transcript:
            await sio.emit("history", {"messages": [history_item(m) for m in transcript]}, to=sid)

    @sio.event
    async def user_uttered(sid: str, data: Any) -> None:
        if not isinstance(data, dict) or not isinstance(data.get("message"), str):
            return
        session = await sio.get_session(sid)
        session_id = session.get("session_id")
        if not session_id:
            # rasa-webchat may send before its session is confirmed; Rasa's channel accepts that too.
            requested = data.get("session_id")
            if not (isinstance(requested, str) and _SESSION_ID.match(requested)):
                return
            session_id = requested
            await sio.save_session(sid, {"session_id": session_id})
            await sio.enter_room(sid, session_id)
        custom = data.get("customData") if isinstance(data.get("customData"), dict) else {}
        municipality = custom.get("municipality")
        if municipality not in municipalities.load_all():
            municipality = None
        message_id = data.get("message_id")
        inbound = Inbound(
            municipality=municipality,
            channel="web",
            user_id=session_id,
            text=data["message"],
            language_hint=custom.get("language") if isinstance(custom.get("language"), str) else None,
            message_id=message_id if isinstance(message_id, str) and len(message_id) <= 100 else None,
        )
        await sio.emit("user_echo", {"text": data["message"][:4000]}, room=session_id, skip_sid=sid)
        for bot_message in await gateway().handle(inbound):
            await sio.emit("bot_uttered", to_socketio(bot_message), room=session_id)

    return sio


def sender(sio: socketio.AsyncServer) -> Callable[[Conversation, list[dict[str, Any]]], Awaitable[None]]:
    """Sends messages nobody's browser asked for (a host's reply) to every tab of the conversation."""

    async def send(conversation: Conversation, replies: list[dict[str, Any]]) -> None:
        for reply in replies:
            await sio.emit("bot_uttered", to_socketio(reply), room=conversation.user_ref)

    return send


router = APIRouter()


@router.get("/web/widget.js", include_in_schema=False)
async def widget_js() -> FileResponse:
    return FileResponse(STATIC / "widget.js", media_type="text/javascript")


@router.get("/web/socket.io.min.js", include_in_schema=False)
async def socketio_client() -> FileResponse:
    path = SOCKET_IO_CLIENT / "socket.io.min.js"
    if not path.exists():
        raise HTTPException(status_code=503, detail="the socket.io client is not installed; run `make run`")
    return FileResponse(path, media_type="text/javascript")


@router.get("/web/config")
async def widget_config(municipality: str = Query(max_length=64),
                        languages: str | None = Query(default=None, max_length=300)) -> JSONResponse:
    """The widget's texts in the browser's language and the municipality's name."""
    place = municipalities.load_all().get(municipality)
    if place is None:
        raise HTTPException(status_code=404, detail="unknown municipality")
    language = widget_language(languages)
    texts = {key: catalog_text(language, key, municipality_name=place.name) for key in WIDGET_TEXTS}
    return JSONResponse({"municipality": place.id, "municipality_name": place.name, "language": language,
                         "texts": texts}, headers={"Cache-Control": "no-cache"})


def _page(template: str, language: str, **values: str) -> str:
    page = (STATIC / template).read_text(encoding="utf-8")
    for key, value in {"lang": language, **values}.items():
        page = page.replace("{{" + key + "}}", value)
    return page


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def demo_index(request: Request) -> str:
    """A list of the demo municipality pages `make run` prints."""
    language = widget_language(request.headers.get("accept-language", "").replace(";", ","))
    links = "".join(f'<li><a href="/demo/{m.id}">{html.escape(m.name)}</a></li>'
                    for m in municipalities.load_all().values())
    return _page("index.html", language, heading=html.escape(catalog_text(language, "demo_index_heading")),
                 intro=html.escape(catalog_text(language, "demo_index_intro")), links=links)


@router.get("/demo/{municipality}", response_class=HTMLResponse, include_in_schema=False)
async def demo_page(municipality: str, request: Request) -> str:
    """A stand-in for a municipality's web site with the widget's one script tag."""
    place = municipalities.load_all().get(municipality)
    if place is None:
        raise HTTPException(status_code=404, detail="unknown municipality")
    language = widget_language(request.headers.get("accept-language", "").replace(";", ","))
    return _page("demo.html", language, name=html.escape(place.name), id=html.escape(place.id),
                 base=html.escape(str(request.base_url).rstrip("/")),
                 heading=html.escape(catalog_text(language, "demo_heading", municipality_name=place.name)),
                 intro=html.escape(catalog_text(language, "demo_intro", municipality_name=place.name)))
