"""The WhatsApp adapter: the webhook's handshake and signed POSTs in, Graph API messages out."""

from __future__ import annotations

import datetime as dt
import hmac
import json
from typing import Any

import httpx
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from base.messages import BotMessage
from channels.config import WhatsAppConfig
from channels.tasks import Background
from channels.whatsapp.cloud_api import (
    CHANNEL,
    inbound_messages,
    render,
    signature_valid,
    template_message,
    window_open,
)
from gateway.channel import Channel
from gateway.gateway import RETRY_AFTER_UNAVAILABLE, Gateway, Unavailable
from storage.store import Conversation

#: A webhook POST carries at most a few messages; refuse anything far larger unread.
MAX_BODY = 1024 * 1024


class WhatsAppChannel(Channel):
    name = CHANNEL

    def __init__(self, config: WhatsAppConfig, gateway: Gateway) -> None:
        self.config = config
        self.gateway = gateway
        self._client = httpx.AsyncClient(
            base_url=config.graph_api_url.rstrip("/") + "/", timeout=15,
            headers={"Authorization": f"Bearer {config.access_token.get_secret_value()}"})
        self._work = Background()

    def router(self) -> APIRouter:
        router = APIRouter()
        router.add_api_route("/whatsapp/webhook", self.verify, methods=["GET"], include_in_schema=False)
        router.add_api_route("/whatsapp/webhook", self.receive, methods=["POST"], include_in_schema=False)
        return router

    async def verify(self, mode: str = Query("", alias="hub.mode"),
                     token: str = Query("", alias="hub.verify_token", max_length=500),
                     challenge: str = Query("", alias="hub.challenge", max_length=500)) -> PlainTextResponse:
        """Meta's subscription handshake: echo the challenge only for the right verify token."""
        expected = self.config.verify_token.get_secret_value()
        if mode != "subscribe" or not hmac.compare_digest(token.encode(), expected.encode()):
            raise HTTPException(status_code=403, detail="verification failed")
        return PlainTextResponse(challenge)

    async def receive(self, request: Request) -> JSONResponse:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            raise HTTPException(status_code=413, detail="payload too large")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                raise HTTPException(status_code=413, detail="payload too large")
        if not signature_valid(self.config.app_secret.get_secret_value(), body,
                               request.headers.get("x-hub-signature-256")):
            raise HTTPException(status_code=401, detail="invalid signature")
        try:
            payload = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise HTTPException(status_code=400, detail="the body is not JSON") from None
        if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
            raise HTTPException(status_code=400, detail="not a WhatsApp Business Account webhook")
        # Stored before Meta hears "ok" (if the records are down it gets 503 and delivers again later),
        # answered after it: Meta wants 200 quickly, or it retries.
        conversations = []
        try:
            for _, inbound in inbound_messages(self.config, payload):
                await self.gateway.accept(inbound)
                conversations.append(inbound.conversation_id)
        except Unavailable:
            raise HTTPException(status_code=503, detail="try again later",
                                headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE)}) from None
        for conversation_id in dict.fromkeys(conversations):
            self._work.spawn(self.gateway.answer_pending(conversation_id))
        return JSONResponse({"ok": True})

    async def _send_all(self, phone_number_id: str, wa_id: str, replies: list[BotMessage]) -> None:
        for reply in replies:
            if reply.template:
                await self.post(phone_number_id, wa_id, template_message(self.config))
                continue
            for message in await render(reply, self.gateway.button_id):
                await self.post(phone_number_id, wa_id, message)

    async def send(self, conversation: Conversation, messages: list[BotMessage]) -> None:
        """From the number the person wrote to."""
        phone_number_id, wa_id = conversation.user_ref.split(":", 1)
        await self._send_all(phone_number_id, wa_id, messages)

    def can_send_text(self, conversation: Conversation, moment: dt.datetime) -> bool:
        return window_open(conversation.last_inbound_at, moment)

    def template(self) -> str | None:
        return self.config.template_name

    async def post(self, phone_number_id: str, wa_id: str, message: dict[str, Any]) -> None:
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": wa_id, **message}
        reply = await self._client.post(f"{phone_number_id}/messages", json=body)
        if reply.status_code >= 400:
            raise RuntimeError(f"Graph API answered {reply.status_code}: {reply.text[:300]}")

    async def close(self) -> None:
        await self._work.drain()
        await self._client.aclose()
