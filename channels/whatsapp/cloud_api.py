"""The Cloud API's wire format: webhook signatures, the messages in a webhook, and message objects out."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import phonenumbers

from base.catalog import text as catalog_text
from base.definitions import REGION_LANGUAGES
from base.messages import BotMessage
from channels.config import WhatsAppConfig
from gateway.inbound import Inbound
from storage.store import aware

logger = logging.getLogger(__name__)

CHANNEL = "whatsapp"
#: Meta's limits for messages and interactive parts.
TEXT_CHARS = 4096
BODY_CHARS = 1024
BUTTON_TITLE = 20
ROW_TITLE = 24
ROW_DESCRIPTION = 72
ID_CHARS = 256
MAX_BUTTONS = 3
MAX_ROWS = 10
#: WhatsApp lets a business send free-form messages only this long after the person's last message.
SERVICE_WINDOW = dt.timedelta(hours=24)

#: Gives a button payload a platform-sized id (the gateway stores long ones behind a token).
ButtonId = Callable[[str, int], Awaitable[str]]


def window_open(last_inbound_at: dt.datetime | None, moment: dt.datetime) -> bool:
    if last_inbound_at is None:
        return False
    return moment - aware(last_inbound_at) < SERVICE_WINDOW


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    given = header[len("sha256="):].strip().lower()
    if not given.isascii():  # compare_digest refuses non-ASCII text; such a header is simply wrong
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given)


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


def inbound_messages(config: WhatsAppConfig, payload: dict[str, Any]) -> list[tuple[str, Inbound]]:
    """(phone number id, message) for every person's message in a webhook; statuses are skipped."""
    found: list[tuple[str, Inbound]] = []
    for entry in _dicts(payload.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value") if isinstance(change.get("value"), dict) else {}
            metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
            phone_number_id = str(metadata.get("phone_number_id") or "")
            municipality = config.municipality_of(phone_number_id)
            messages = _dicts(value.get("messages"))
            if messages and municipality is None:
                logger.warning("WhatsApp message for an unconfigured phone number id was ignored")
                continue
            for message in messages:
                inbound = _inbound(message, phone_number_id, municipality)
                if inbound is not None:
                    found.append((phone_number_id, inbound))
    return found


def _inbound(message: dict[str, Any], phone_number_id: str, municipality: str | None) -> Inbound | None:
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
    return Inbound(municipality=municipality, channel=CHANNEL, user_id=f"{phone_number_id}:{wa_id}",
                   text=text, button_token=token, language_hint=language_hint(wa_id),
                   message_id=message_id[:200], media=kind not in ("text", "interactive", "button"))


def template_message(config: WhatsAppConfig) -> dict[str, Any]:
    if not config.template_name:
        raise LookupError("no WhatsApp template is configured (whatsapp.template_name)")
    return {"type": "template", "template": {"name": config.template_name,
                                             "language": {"code": config.template_language}}}


async def render(reply: BotMessage, button_id: ButtonId) -> list[dict[str, Any]]:
    """One bot message as Cloud API message objects (without recipient)."""
    text = reply.text
    buttons = reply.buttons[:MAX_ROWS]
    if not buttons:
        return [{"type": "text", "text": {"preview_url": True, "body": _short(text, TEXT_CHARS)}}] if text else []
    language = reply.meta.language or "en"
    sent: list[dict[str, Any]] = []
    body = text
    if len(text) > BODY_CHARS or not text:
        if text:
            sent.append({"type": "text", "text": {"preview_url": True, "body": _short(text, TEXT_CHARS)}})
        body = catalog_text(language, "web_options")
    ids = [await button_id(b.payload, ID_CHARS) for b in buttons]
    titles = [b.title for b in buttons]
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
