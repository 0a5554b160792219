"""The gateway between channels and Rasa.

Each channel adapter turns what it receives into an ``Inbound`` and gets back the bot's
messages, which it renders in what its channel can show. The gateway stores the message first
(so nothing is lost and a retried webhook is answered once), cleans the text, answers bad input
itself (politely, in the person's language), turns typed commands into Rasa payloads, and
forwards the rest to Rasa's gateway channel (bot/channel.py) with the municipality and the
language hint as metadata. When Rasa is down or slow, the person gets an apology and the
municipality's relocation host contact.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from actions.language import choose_language, normalise_code
from app.nlg import render as render_response
from base.catalog import text as catalog_text
from connectors.store import Conversation, Store
from handoff.events import Events
from handoff.intake import Intake
from handoff.records import WITH_HUMAN
from handoff.retention import forget

logger = logging.getLogger(__name__)

#: Longer messages are not questions a FAQ can answer; the person is asked to shorten them.
MAX_CHARS = 2000
#: The buttons of "delete my conversation?": the gateway itself deletes, Rasa never sees them.
DELETE_CONFIRM, DELETE_CANCEL = "/delete_confirm", "/delete_cancel"
#: Button payloads the gateway lets through to Rasa; any other leading "/" is plain text.
PAYLOAD_INTENTS = ("choose_municipality", "change_language", "greet")
_PAYLOAD = re.compile(r"^/(" + "|".join(PAYLOAD_INTENTS) + r")(\{.*\})?$", re.DOTALL)
_LANG_COMMAND = re.compile(r"^/(?:lang|language|språk|sprak)(?:\s+([A-Za-z]{2,3}(?:[-_][A-Za-z]{2})?))?\s*$", re.I)


@dataclass(frozen=True)
class Inbound:
    """One message from any channel, in the gateway's internal form."""

    municipality: str | None
    channel: str
    user_id: str
    text: str
    language_hint: str | None = None
    message_id: str | None = None
    #: A button whose payload was too long for the platform: the gateway looks it up (see button_id).
    button_token: str | None = None
    #: The person sent a photo, sticker, voice message… that the assistant cannot read.
    media: bool = False

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
        if command.group(1) is None:  # "/lang" alone: the bot offers the languages as buttons
            return "/change_language"
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


Deliver = Callable[[list[dict[str, Any]]], Awaitable[None]]
Sender = Callable[[Conversation, list[dict[str, Any]]], Awaitable[None]]


class _ConversationLocks:
    """One FIFO lock per conversation, so its messages are answered in the order they arrived.

    Locks live only while someone holds or waits for them. They order messages within one app
    process; on PostgreSQL the store's advisory lock also keeps several processes apart.
    """

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class Gateway:
    """Records every message, forwards it to Rasa in order, and answers once per platform message."""

    def __init__(self, rasa_url: str, store: Store, timeout: float = 20.0, intake: Intake | None = None,
                 events: Events | None = None, rasa_tracker_db: Path | None = None) -> None:
        self.rasa_url = rasa_url.rstrip("/")
        self.rasa_tracker_db = rasa_tracker_db
        self.store = store
        self.intake = intake
        self.events = events or Events()
        #: How to reach a person without an inbound message to answer, per channel (adapters register).
        self.senders: dict[str, Sender] = {}
        self._client = httpx.AsyncClient(timeout=timeout)
        self._locks = _ConversationLocks()

    async def close(self) -> None:
        await self._client.aclose()

    def _local_reply(self, key: str, message: Inbound, cleaned: str, known: Conversation | None) -> list[dict]:
        language = choose_language(cleaned[:MAX_CHARS], current=known.language if known else None,
                                   hint=message.language_hint)
        bot_message = {"recipient_id": message.conversation_id, "text": catalog_text(language, key),
                       "custom": {"language": language, "response": key}}
        if key == "utter_service_unavailable":
            municipality = message.municipality or (known.municipality if known else None)
            contact = render_response("utter_human_contact", {"municipality": municipality, "language": language},
                                      {}) if municipality else None
            if contact:
                bot_message["text"] += "\n\n" + contact["text"]
            bot_message["custom"].update(handoff_offered=bool(contact), municipality=municipality)
        return [bot_message]

    async def button_id(self, payload: str, limit: int) -> str:
        """The payload itself when it fits the platform's button id, else a stored short token."""
        if len(payload.encode()) <= limit:
            return payload
        token = "#" + hashlib.sha256(payload.encode()).hexdigest()[:32]
        await self.store.remember_payload(token, payload)
        return token

    async def handle(self, message: Inbound, deliver: Deliver | None = None) -> list[dict[str, Any]]:
        """The bot's replies to one inbound message; none for a message already handled.

        ``deliver`` sends the replies on the person's channel. It runs while the conversation is
        held, so replies to consecutive messages reach the person in the order they wrote them.
        """
        conversation_id = message.conversation_id
        async with self._locks.hold(conversation_id), self.store.exclusive(conversation_id):
            text = message.text or ""
            if message.button_token:
                text = await self.store.payload(message.button_token) or ""
            cleaned = clean_text(text)
            known = await self.store.conversation(conversation_id)
            if cleaned == DELETE_CONFIRM:
                return await self._forget(message, known, deliver)
            stored = await self.store.record_inbound(
                conversation_id, message.channel, message.user_id, message.municipality, cleaned,
                external_id=message.message_id)
            if stored is None:
                logger.info("Ignored a repeated delivery of message %s in %s", message.message_id, conversation_id)
                return []
            replies, status, author = await self._route(message, cleaned, known, conversation_id)
            await self.store.record_outbound(conversation_id, author, replies, answered=stored, status=status)
            if deliver is not None:
                try:
                    await deliver(replies)
                except Exception as exc:  # a platform outage must not cost the next message its turn
                    # The message text goes through the log redaction; a traceback would not.
                    logger.warning("Could not deliver the replies in %s: %s: %s", conversation_id,
                                   type(exc).__name__, exc)
            return replies

    async def _forget(self, message: Inbound, known: Conversation | None, deliver: Deliver | None) -> list[dict]:
        """The person asked to delete their conversation and confirmed: nothing of it is kept."""
        replies = self._local_reply("utter_deleted", message, "", known)
        await forget(self.store, [message.conversation_id], self.rasa_tracker_db)
        logger.info("Deleted conversation %s at the person's request", message.conversation_id)
        if deliver is not None:
            try:
                await deliver(replies)
            except Exception as exc:
                logger.warning("Could not confirm a deletion in %s: %s", message.conversation_id, type(exc).__name__)
        return replies

    async def _route(self, message: Inbound, cleaned: str, known: Conversation | None,
                     conversation_id: str) -> tuple[list[dict], str, str]:
        """Who answers: the host (the bot stays silent), the handoff intake, or Rasa."""
        handoff = await self.intake.handoffs.current(conversation_id) if self.intake else None
        if handoff is not None and handoff.status in WITH_HUMAN:
            await self.events.publish(handoff.municipality, {"type": "message", "handoff_id": handoff.id,
                                                             "conversation_id": conversation_id})
            return [], "for_host", "gateway"
        if cleaned == DELETE_CANCEL:
            return self._local_reply("utter_delete_cancelled", message, cleaned, known), "answered", "gateway"
        if self.intake is not None and handoff is not None and handoff.status == "intake":
            intake_replies = await self.intake.step(handoff, cleaned)
            current = await self.intake.handoffs.get(handoff.id)
            if current is not None and current.status in ("waiting", "ticket"):
                await self.events.publish(current.municipality, {"type": current.status, "handoff_id": current.id,
                                                                 "conversation_id": conversation_id})
            if intake_replies is not None:
                return intake_replies, "answered", "gateway"
        replies, status = await self._reply(message, cleaned, known)
        offer = next((r["custom"] for r in replies if isinstance(r.get("custom"), dict)
                      and r["custom"].get("handoff_offered") and r["custom"].get("municipality")), None)
        if self.intake is not None and offer is not None:
            replies = replies + await self.intake.begin(
                conversation_id, offer["municipality"], message.channel, offer.get("language") or "en",
                reason=offer.get("handoff_reason") or ("failed" if status == "unanswered" else "asked"))
        return replies, status, "bot" if status == "answered" else "gateway"

    async def push(self, conversation_id: str, replies: list[dict[str, Any]], author: str) -> bool:
        """Send messages that no inbound message asked for (a host's reply) on the person's channel."""
        async with self._locks.hold(conversation_id), self.store.exclusive(conversation_id):
            conversation = await self.store.conversation(conversation_id)
            if conversation is None:
                return False
            await self.store.record_outbound(conversation_id, author, replies, answered=None, status="sent")
            sender = self.senders.get(conversation.channel)
            if sender is None:
                return False  # the HTTP API's client reads stored messages instead
            try:
                await sender(conversation, replies)
            except Exception as exc:  # the host sees it did not arrive; nothing is lost
                logger.warning("Could not deliver a host message in %s: %s: %s", conversation_id,
                               type(exc).__name__, exc)
                return False
            return True

    async def _reply(self, message: Inbound, cleaned: str, known: Conversation | None) -> tuple[list[dict], str]:
        if message.media and not cleaned:
            return self._local_reply("utter_text_only", message, cleaned, known), "answered"
        if not cleaned or not any(ch.isalnum() or unicodedata.category(ch).startswith("S") for ch in cleaned):
            return self._local_reply("utter_empty_message", message, cleaned, known), "answered"
        if len(cleaned) > MAX_CHARS:
            return self._local_reply("utter_message_too_long", message, cleaned, known), "answered"
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
            if not isinstance(messages, list):
                raise ValueError("Rasa answered something other than a list of messages")
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("Rasa did not answer conversation %s: %s", message.conversation_id, type(exc).__name__)
            return self._local_reply("utter_service_unavailable", message, cleaned, known), "unanswered"
        if not messages:
            # Rasa answered nothing (its action server failed): the person still gets a reply.
            return self._local_reply("utter_service_unavailable", message, cleaned, known), "unanswered"
        return messages, "answered"
