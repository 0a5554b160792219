"""The gateway between channels and Rasa.

Each channel adapter turns what it receives into an ``Inbound`` and gets back the bot's
messages. The gateway cleans the text, answers bad input itself (politely, in the person's
language), turns typed commands into Rasa payloads, and forwards the rest to Rasa's gateway
channel (bot/channel.py) with the municipality and the language hint as metadata.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import httpx

from actions.language import choose_language, normalise_code
from bot.catalog import text as catalog_text

logger = logging.getLogger(__name__)

#: Longer messages are not questions a FAQ can answer; the person is asked to shorten them.
MAX_CHARS = 2000
#: Button payloads the gateway lets through to Rasa; any other leading "/" is plain text.
PAYLOAD_INTENTS = ("choose_municipality", "change_language")
_PAYLOAD = re.compile(r"^/(" + "|".join(PAYLOAD_INTENTS) + r")(\{.*\})?$", re.DOTALL)
_LANG_COMMAND = re.compile(r"^/(?:lang|language|språk|sprak)\s+([A-Za-z]{2,3}(?:[-_][A-Za-z]{2})?)\s*$", re.I)


@dataclass(frozen=True)
class Inbound:
    """One message from any channel, in the gateway's internal form."""

    municipality: str | None
    channel: str
    user_id: str
    text: str
    language_hint: str | None = None
    message_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def conversation_id(self) -> str:
        return f"{self.channel}:{self.user_id}"


def clean_text(raw: str) -> str:
    """Drop control and format characters (keeping line breaks) and trim whitespace."""
    kept = [
        ch
        for ch in unicodedata.normalize("NFC", raw)
        if ch in "\n\t" or unicodedata.category(ch)[0] != "C" or ch == "\u200d"
    ]
    return "".join(kept).strip()


def to_rasa_text(cleaned: str) -> str:
    """Typed commands become payloads; anything else that starts with '/' is sent as text."""
    command = _LANG_COMMAND.match(cleaned)
    if command:
        code = normalise_code(command.group(1))
        return "/change_language" + json.dumps({"language": code})
    payload = _PAYLOAD.match(cleaned)
    if payload:
        try:
            json.loads(payload.group(2) or "{}")
            return cleaned
        except json.JSONDecodeError:
            pass
    return cleaned.lstrip("/").strip() or cleaned


class Gateway:
    def __init__(self, rasa_url: str, timeout: float = 30.0) -> None:
        self.rasa_url = rasa_url.rstrip("/")
        self._client = httpx.AsyncClient(timeout=timeout)
        # Last reply language per conversation, so the gateway's own replies match it.
        self._languages: dict[str, str] = {}

    async def close(self) -> None:
        await self._client.aclose()

    def _local_reply(self, key: str, message: Inbound, cleaned: str) -> list[dict[str, Any]]:
        current = self._languages.get(message.conversation_id)
        language = choose_language(cleaned[:MAX_CHARS], current=current, hint=message.language_hint)
        return [{"recipient_id": message.conversation_id, "text": catalog_text(language, key),
                 "custom": {"language": language, "response": key}}]

    async def handle(self, message: Inbound) -> list[dict[str, Any]]:
        """The bot's replies to one inbound message, in order."""
        cleaned = clean_text(message.text or "")
        if not cleaned or not any(ch.isalnum() or unicodedata.category(ch).startswith("S") for ch in cleaned):
            return self._local_reply("utter_empty_message", message, cleaned)
        if len(cleaned) > MAX_CHARS:
            return self._local_reply("utter_message_too_long", message, cleaned)
        metadata = {
            "municipality": message.municipality,
            "language": normalise_code(message.language_hint),
            "channel": message.channel,
            "message_id": message.message_id,
        }
        body = {"sender": message.conversation_id, "message": to_rasa_text(cleaned), "metadata": metadata}
        try:
            reply = await self._client.post(f"{self.rasa_url}/webhooks/gateway/webhook", json=body)
            reply.raise_for_status()
            messages = reply.json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("Rasa did not answer conversation %s: %s", message.conversation_id, type(exc).__name__)
            return self._local_reply("utter_service_unavailable", message, cleaned)
        for bot_message in messages:
            language = (bot_message.get("custom") or {}).get("language")
            if language:
                self._languages[message.conversation_id] = language
        return messages
