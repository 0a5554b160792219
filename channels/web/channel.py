"""The web channel's live side: the socket.io server the widget (and rasa-webchat) talks to.

The server speaks the socket.io protocol of Rasa's own socketio channel (``session_request`` →
``session_confirm``, ``user_uttered`` → ``bot_uttered`` with ``text`` and ``quick_replies``), so a
site that already embeds the open-source ``rasa-webchat`` widget can point it at this server
unchanged, and our own widget (static/widget.js) uses the same events. Bot messages carry only
those two keys because rasa-webchat drops a message with any other key.

The session id is a token the server issued (channels.identity): a browser that presents one it
was given continues that conversation; any other id — made up, copied from a log, or rasa-webchat's
own random one — gets a new conversation and its token in ``session_confirm`` (both widgets store
what the server confirms). A conversation is a socket.io room named after its key: every tab of the
same browser joins it, so all tabs show the same conversation, and the stored transcript is sent on
reconnect, so a reload shows it again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import socketio
from fastapi import APIRouter

import municipalities
from assistant.language import normalise_code
from base.catalog import text as catalog_text
from base.definitions import FALLBACK_LANGUAGE, LANGUAGES, MAX_STORED_CHARS
from base.messages import BotMessage
from channels.identity import ConversationTokens
from channels.web import pages
from gateway.channel import Channel
from gateway.gateway import RETRY_AFTER_UNAVAILABLE, Gateway, Unavailable
from gateway.inbound import Inbound
from storage.rates import RateLimits
from storage.store import Conversation, StoredMessage

logger = logging.getLogger(__name__)


def to_socketio(bot_message: BotMessage) -> dict[str, Any]:
    """A bot message in the shape Rasa's socketio channel emits as ``bot_uttered``."""
    message: dict[str, Any] = {"text": bot_message.text}
    if bot_message.buttons:
        message["quick_replies"] = [{"content_type": "text", "title": b.title, "payload": b.payload}
                                    for b in bot_message.buttons]
    return message


def history_item(stored: StoredMessage) -> dict[str, Any]:
    if stored.direction == "in":
        return {"sender": "user", "text": stored.text or ""}
    return {"sender": "bot", **to_socketio(stored.message)}


@dataclass(frozen=True)
class Uttered:
    """What a ``user_uttered`` event carries, checked: anything else in it is ignored."""

    text: str
    municipality: str | None
    language: str | None
    message_id: str | None
    session_token: str | None


def parse_uttered(data: Any) -> Uttered | None:
    """The event's fields that may be trusted as what they claim to be; None when there is no message."""
    if not isinstance(data, dict) or not isinstance(data.get("message"), str):
        return None
    custom = data.get("customData") if isinstance(data.get("customData"), dict) else {}
    municipality = custom.get("municipality")
    language = custom.get("language")
    message_id, session = data.get("message_id"), data.get("session_id")
    return Uttered(
        text=data["message"],
        municipality=municipality if isinstance(municipality, str) and municipality in municipalities.load_all()
        else None,
        language=normalise_code(language) if isinstance(language, str) else None,
        message_id=message_id if isinstance(message_id, str) and len(message_id) <= 100 else None,
        session_token=session if isinstance(session, str) else None,
    )


class WebChannel(Channel):
    name = "web"

    def __init__(self, gateway: Gateway, tokens: ConversationTokens, rates: RateLimits, redis_url: str = "") -> None:
        self.gateway = gateway
        self.tokens = tokens
        self.rates = rates
        # Any site may embed the widget, and the socket carries no cookies or credentials, so a
        # cross-origin connection cannot act for anyone else: the session id is the only key.
        # With several app processes, rooms live on Redis: a host's reply sent by one process
        # reaches the browser connected to another.
        manager = socketio.AsyncRedisManager(redis_url) if redis_url else None
        self.sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*", logger=False,
                                        engineio_logger=False, max_http_buffer_size=200_000, client_manager=manager)
        self.sio.on("connect", self._connect)
        self.sio.on("session_request", self._session_request)
        self.sio.on("user_uttered", self._user_uttered)

    def router(self) -> APIRouter:
        return pages.router

    def asgi(self, other: Any) -> socketio.ASGIApp:
        """The socket.io server in front of the rest of the app (it passes on every other request)."""
        return socketio.ASGIApp(self.sio, other_asgi_app=other)

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        """Remember the client's address (the forwarded one only from a trusted proxy, see app.guard)."""
        client = (environ.get("asgi.scope") or {}).get("client")
        await self.sio.save_session(sid, {"address": str(client[0]) if client else "unknown"})

    async def _join(self, sid: str, key: str) -> None:
        session = await self.sio.get_session(sid)
        await self.sio.save_session(sid, {**session, "key": key})
        await self.sio.enter_room(sid, key)

    async def _session_request(self, sid: str, data: Any) -> None:
        requested = data.get("session_id") if isinstance(data, dict) else None
        key = self.tokens.verify(requested)
        if key is None:
            key, token = self.tokens.issue()
        else:
            token = requested
        await self._join(sid, key)
        await self.sio.emit("session_confirm", token, to=sid)
        transcript = await self.gateway.store.transcript(f"{self.name}:{key}")
        if transcript:
            await self.sio.emit("history", {"messages": [history_item(m) for m in transcript]}, to=sid)

    async def _user_uttered(self, sid: str, data: Any) -> None:
        uttered = parse_uttered(data)
        if uttered is None:
            return
        session = await self.sio.get_session(sid)
        key = session.get("key")
        if not key:
            # rasa-webchat may send before its session is confirmed; only a token we issued is taken.
            key = self.tokens.verify(uttered.session_token)
            if key is None:
                return
            await self._join(sid, key)
        verdict = await self.rates.hit("chat", session.get("address", "unknown"))
        if not verdict.allowed:  # not stored: the person is told to send it again later
            await self._not_taken(sid, uttered, "utter_rate_limited", verdict.retry_after)
            return
        inbound = Inbound(municipality=uttered.municipality, channel=self.name, user_id=key, text=uttered.text,
                          language_hint=uttered.language, message_id=uttered.message_id)
        await self.sio.emit("user_echo", {"text": uttered.text[:MAX_STORED_CHARS]}, room=key, skip_sid=sid)
        try:
            replies = await self.gateway.handle(inbound)
        except Unavailable:  # not stored: the person is asked to send it again
            await self._not_taken(sid, uttered, "utter_service_unavailable", RETRY_AFTER_UNAVAILABLE)
            return
        for bot_message in replies:
            await self._emit(key, sid, to_socketio(bot_message))

    async def _not_taken(self, sid: str, uttered: Uttered, notice: str, retry_after: int) -> None:
        """Say why the message was not taken, and mark the reply so the client can offer it again.

        The socket's equivalent of the HTTP API's 503/429 with Retry-After: ``not_taken`` names the
        message (its id, or its text when the client sent none), so the widget puts the person's
        words back in the input box and a program knows to send them again.
        """
        language = uttered.language if uttered.language in LANGUAGES else FALLBACK_LANGUAGE
        await self.sio.emit("bot_uttered", {"text": catalog_text(language, notice, count=retry_after),
                                            "not_taken": uttered.message_id or "",
                                            "retry_after": retry_after}, to=sid)

    async def _emit(self, key: str, sid: str, message: dict[str, Any]) -> None:
        """To every tab of the conversation; to this tab alone when the rooms' broker (Redis) is away."""
        try:
            await self.sio.emit("bot_uttered", message, room=key)
        except Exception as exc:
            logger.warning("Could not reach the other tabs of %s: %s", key, type(exc).__name__)
            await self.sio.emit("bot_uttered", message, to=sid)

    async def send(self, conversation: Conversation, messages: list[BotMessage]) -> None:
        """To every tab of the conversation (a host's reply, a queue notice)."""
        for message in messages:
            await self.sio.emit("bot_uttered", to_socketio(message), room=conversation.user_ref)
