"""The web channel's live side: the socket.io server the widget (and rasa-webchat) talks to.

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

import logging
import re
import uuid
from typing import Any

import socketio
from fastapi import APIRouter

import municipalities
from base.messages import BotMessage
from channels.web import pages
from gateway.channel import Channel
from gateway.gateway import Gateway
from gateway.inbound import Inbound
from storage.store import Conversation, StoredMessage

logger = logging.getLogger(__name__)

_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


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


class WebChannel(Channel):
    name = "web"

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        # Any site may embed the widget, and the socket carries no cookies or credentials, so a
        # cross-origin connection cannot act for anyone else: the session id is the only key.
        self.sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*", logger=False,
                                        engineio_logger=False, max_http_buffer_size=200_000)
        self.sio.on("session_request", self._session_request)
        self.sio.on("user_uttered", self._user_uttered)

    def router(self) -> APIRouter:
        return pages.router

    def asgi(self, other: Any) -> socketio.ASGIApp:
        """The socket.io server in front of the rest of the app (it passes on every other request)."""
        return socketio.ASGIApp(self.sio, other_asgi_app=other)

    async def _join(self, sid: str, session_id: str) -> None:
        await self.sio.save_session(sid, {"session_id": session_id})
        await self.sio.enter_room(sid, session_id)

    async def _session_request(self, sid: str, data: Any) -> None:
        requested = data.get("session_id") if isinstance(data, dict) else None
        session_id = requested if isinstance(requested, str) and _SESSION_ID.match(requested) else uuid.uuid4().hex
        await self._join(sid, session_id)
        await self.sio.emit("session_confirm", session_id, to=sid)
        transcript = await self.gateway.store.transcript(f"{self.name}:{session_id}")
        if transcript:
            await self.sio.emit("history", {"messages": [history_item(m) for m in transcript]}, to=sid)

    async def _user_uttered(self, sid: str, data: Any) -> None:
        if not isinstance(data, dict) or not isinstance(data.get("message"), str):
            return
        session = await self.sio.get_session(sid)
        session_id = session.get("session_id")
        if not session_id:
            # rasa-webchat may send before its session is confirmed; Rasa's channel accepts that too.
            requested = data.get("session_id")
            if not (isinstance(requested, str) and _SESSION_ID.match(requested)):
                return
            session_id = requested
            await self._join(sid, session_id)
        custom = data.get("customData") if isinstance(data.get("customData"), dict) else {}
        municipality = custom.get("municipality")
        if municipality not in municipalities.load_all():
            municipality = None
        message_id = data.get("message_id")
        inbound = Inbound(
            municipality=municipality,
            channel=self.name,
            user_id=session_id,
            text=data["message"],
            language_hint=custom.get("language") if isinstance(custom.get("language"), str) else None,
            message_id=message_id if isinstance(message_id, str) and len(message_id) <= 100 else None,
        )
        await self.sio.emit("user_echo", {"text": data["message"][:4000]}, room=session_id, skip_sid=sid)
        for bot_message in await self.gateway.handle(inbound):
            await self.sio.emit("bot_uttered", to_socketio(bot_message), room=session_id)

    async def send(self, conversation: Conversation, messages: list[BotMessage]) -> None:
        """To every tab of the conversation (a host's reply, a queue notice)."""
        for message in messages:
            await self.sio.emit("bot_uttered", to_socketio(message), room=conversation.user_ref)
