"""WhatsApp Cloud API: Meta's webhooks in, Graph API messages out.

Meta first checks the webhook with a GET handshake (``hub.verify_token`` / ``hub.challenge``);
then every POST is signed: ``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body with the
app secret>``. A request whose signature does not match is refused before anything is parsed.
Each phone number id belongs to one municipality. Replies go to
``<graph_api_url>/<phone_number_id>/messages``; buttons become interactive reply buttons (up to
three short ones) or a list (up to ten).

Why not a client library: pywa 4.5, the maintained one, hard-codes ``graph.facebook.com`` as its
base URL, so tests could not point it at a local server; the wire format used here is one
HMAC and three JSON shapes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import logging
from typing import Any

import httpx
import phonenumbers
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from base.catalog import text as catalog_text
from base.definitions import REGION_LANGUAGES
from connectors.config import WhatsAppConfig
from connectors.gateway import Gateway, Inbound
from connectors.store import Conversation, aware

logger = logging.getLogger(__name__)

#: Meta's limits for messages and interactive parts.
TEXT_CHARS = 4096
BODY_CHARS = 1024
BUTTON_TITLE = 20
ROW_TITLE = 24
ROW_DESCRIPTION = 72
ID_CHARS = 256
MAX_BUTTONS = 3
MAX_ROWS = 10
#: A webhook POST carries at most a few messages; refuse anything far larger unread.
MAX_BODY = 1024 * 1024
#: WhatsApp lets a business send free-form messages only this long after the person's last message.
SERVICE_WINDOW = dt.timedelta(hours=24)


def window_open(last_inbound_at: dt.datetime | None, moment: dt.datetime) -> bool:
    if last_inbound_at is None:
        return False
    return moment - aware(last_inbound_at) < SERVICE_WINDOW


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len("sha256="):].strip().lower())


def language_hint(wa_id: str) -> str | None:
    """The usual language of the caller's country, a weak hint (the text decides when it can)."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse("+" + wa_id))
    except phonenumbers.NumberParseException:
        return None
    return REGION_LANGUAGES.get(region or "")


def _dicts(value: Any) -> list[dict[str, Any]]:
    """The objects of a JSON list; anything else in a webhook is ignored rather than trusted."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class WhatsAppChannel:
    def __init__(self, config: WhatsAppConfig, gateway: Gateway) -> None:
        self.config = config
        self.gateway = gateway
        self._client = httpx.AsyncClient(
            base_url=config.graph_api_url.rstrip("/") + "/", timeout=15,
            headers={"Authorization": f"Bearer {config.access_token.get_secret_value()}"})
        self._tasks: set[asyncio.Task[None]] = set()

    async def close(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._client.aclose()

    def inbound_messages(self, payload: dict[str, Any]) -> list[tuple[str, Inbound]]:
        """(phone number id, message) for every person's message in a webhook; statuses are skipped."""
        found: list[tuple[str, Inbound]] = []
        for entry in _dicts(payload.get("entry")):
            for change in _dicts(entry.get("changes")):
                value = change.get("value") if isinstance(change.get("value"), dict) else {}
                metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
                phone_number_id = str(metadata.get("phone_number_id") or "")
                municipality = self.config.municipality_of(phone_number_id)
                messages = _dicts(value.get("messages"))
                if messages and municipality is None:
                    logger.warning("WhatsApp message for an unconfigured phone number id was ignored")
                    continue
                for message in messages:
                    inbound = self._inbound(message, phone_number_id, municipality)
                    if inbound is not None:
                        found.append((phone_number_id, inbound))
        return found

    def _inbound(self, message: dict[str, Any], phone_number_id: str, municipality: str | None) -> Inbound | None:
        wa_id, message_id, kind = str(message.get("from") or ""), message.get("id"), message.get("type")
        if not wa_id.isdigit() or not isinstance(message_id, str):
            return None
        text, token = "", None
        if kind == "text":
            body = message.get("text")
            text = str(body.get("body") or "") if isinstance(body, dict) else ""
        elif kind == "interactive":
            interactive = message.get("interactive") if isinstance(message.get("interactive"), dict) else {}
            reply = interactive.get("button_reply") or interactive.get("list_reply")
            text = str(reply.get("id") or "") if isinstance(reply, dict) else ""
        elif kind == "button":  # a quick-reply button of a template message
            button = message.get("button")
            text = str(button.get("payload") or "") if isinstance(button, dict) else ""
        if text.startswith("#"):
            text, token = "", text
        return Inbound(municipality=municipality, channel="whatsapp", user_id=f"{phone_number_id}:{wa_id}",
                       text=text, button_token=token, language_hint=language_hint(wa_id),
                       message_id=message_id[:200], media=kind not in ("text", "interactive", "button"))

    def accept(self, payload: dict[str, Any]) -> None:
        """Handle a verified webhook after the HTTP answer: Meta wants 200 quickly, or it retries."""
        for phone_number_id, inbound in self.inbound_messages(payload):
            task = asyncio.create_task(self._handle(phone_number_id, inbound))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _handle(self, phone_number_id: str, inbound: Inbound) -> None:
        wa_id = inbound.user_id.split(":", 1)[1]

        async def deliver(replies: list[dict[str, Any]]) -> None:
            for reply in replies:
                for message in await self.render(reply):
                    await self.send(phone_number_id, wa_id, message)

        await self.gateway.handle(inbound, deliver)

    async def deliver_to(self, conversation: Conversation, replies: list[dict[str, Any]]) -> None:
        """Sends messages nobody asked for (a host's reply) from the number the person wrote to."""
        phone_number_id, wa_id = conversation.user_ref.split(":", 1)
        for reply in replies:
            if reply.get("whatsapp_template"):
                await self.send(phone_number_id, wa_id, self.template())
                continue
            for message in await self.render(reply):
                await self.send(phone_number_id, wa_id, message)

    def template(self) -> dict[str, Any]:
        if not self.config.template_name:
            raise LookupError("no WhatsApp template is configured (whatsapp.template_name)")
        return {"type": "template", "template": {"name": self.config.template_name,
                                                 "language": {"code": self.config.template_language}}}

    async def render(self, reply: dict[str, Any]) -> list[dict[str, Any]]:
        """One bot message as Cloud API message objects (without recipient)."""
        text = reply.get("text") or ""
        buttons = (reply.get("buttons") or [])[:MAX_ROWS]
        if not buttons:
            return [{"type": "text", "text": {"preview_url": True, "body": _short(text, TEXT_CHARS)}}] if text else []
        language = (reply.get("custom") or {}).get("language") or "en"
        sent: list[dict[str, Any]] = []
        body = text
        if len(text) > BODY_CHARS or not text:
            if text:
                sent.append({"type": "text", "text": {"preview_url": True, "body": _short(text, TEXT_CHARS)}})
            body = catalog_text(language, "web_options")
        ids = [await self.gateway.button_id(b["payload"], ID_CHARS) for b in buttons]
        titles = [str(b.get("title") or "") for b in buttons]
        if len(buttons) <= MAX_BUTTONS and all(len(t) <= BUTTON_TITLE for t in titles):
            action: dict[str, Any] = {"buttons": [{"type": "reply", "reply": {"id": i, "title": t}}
                                                  for i, t in zip(ids, titles, strict=True)]}
            interactive = {"type": "button", "body": {"text": body}, "action": action}
        else:
            rows = []
            for i, title in zip(ids, titles, strict=True):
                row = {"id": i, "title": _short(title, ROW_TITLE)}
                if len(title) > ROW_TITLE:
                    row["description"] = _short(title, ROW_DESCRIPTION)
                rows.append(row)
            action = {"button": _short(catalog_text(language, "channel_choose"), BUTTON_TITLE),
                      "sections": [{"rows": rows}]}
            interactive = {"type": "list", "body": {"text": body}, "action": action}
        sent.append({"type": "interactive", "interactive": interactive})
        return sent

    async def send(self, phone_number_id: str, wa_id: str, message: dict[str, Any]) -> None:
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": wa_id, **message}
        reply = await self._client.post(f"{phone_number_id}/messages", json=body)
        if reply.status_code >= 400:
            raise RuntimeError(f"Graph API answered {reply.status_code}: {reply.text[:300]}")


router = APIRouter()


def _channel(request: Request) -> WhatsAppChannel:
    channel: WhatsAppChannel | None = request.app.state.whatsapp
    if channel is None:
        raise HTTPException(status_code=404, detail="WhatsApp is not configured")
    return channel


@router.get("/whatsapp/webhook", include_in_schema=False)
async def verify(request: Request, mode: str = Query("", alias="hub.mode"),
                 token: str = Query("", alias="hub.verify_token", max_length=500),
                 challenge: str = Query("", alias="hub.challenge", max_length=500)) -> PlainTextResponse:
    """Meta's subscription handshake: echo the challenge only for the right verify token."""
    channel = _channel(request)
    expected = channel.config.verify_token.get_secret_value()
    if mode != "subscribe" or not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(status_code=403, detail="verification failed")
    return PlainTextResponse(challenge)


@router.post("/whatsapp/webhook", include_in_schema=False)
async def receive(request: Request) -> JSONResponse:
    channel = _channel(request)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise HTTPException(status_code=413, detail="payload too large")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise HTTPException(status_code=413, detail="payload too large")
    secret = channel.config.app_secret.get_secret_value()
    if not signature_valid(secret, body, request.headers.get("x-hub-signature-256")):
        raise HTTPException(status_code=401, detail="invalid signature")
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise HTTPException(status_code=400, detail="the body is not JSON") from None
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise HTTPException(status_code=400, detail="not a WhatsApp Business Account webhook")
    channel.accept(payload)
    return JSONResponse({"ok": True})
