"""The gateway between channels and Rasa.

Each channel adapter turns what it receives into an ``Inbound`` and gets back the bot's
messages, which it renders in what its channel can show. The gateway stores the message first
(so nothing is lost and a retried webhook is answered once), cleans the text, answers bad input
itself (politely, in the person's language), turns typed commands into Rasa payloads, and
forwards the rest to Rasa's gateway channel (``gateway.rasa``) with the municipality and the
language hint as metadata. When Rasa is down or slow, the person gets an apology and the
municipality's relocation host contact.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

import municipalities
from assistant.language import choose_language, normalise_code
from assistant.nlg import contact_lines
from base.catalog import text as catalog_text
from base.clock import now
from base.messages import (
    DELETE_CANCEL,
    DELETE_CONFIRM,
    Author,
    BotMessage,
    Delivery,
    HandoffReason,
    Meta,
    RasaMetadata,
)
from base.metrics import MESSAGES_IN, MESSAGES_OUT, RASA_FAILURES, REPLY_SECONDS, stage
from gateway.channel import Channel
from gateway.choices import PICKABLE, picked
from gateway.inbound import Inbound
from gateway.locks import ConversationLocks
from gateway.rasa import RasaClient, RasaUnavailable
from gateway.text import MAX_CHARS, clean_text, is_empty, to_rasa_text
from gateway.vector import query_vector
from handoff.desk import Reach
from handoff.events import Event, EventKind, Events
from handoff.intake import Intake
from handoff.meetings.availability import Availability
from handoff.meetings.flow import Booking
from handoff.meetings.records import MeetingStore
from handoff.records import WITH_HUMAN, Status
from handoff.retention import forget
from insight.satisfaction import ENDINGS, Satisfaction
from storage.advisory import LockTimeout
from storage.rates import RateLimits
from storage.store import Conversation, Store, StoredMessage, aware
from storage.tracker import TrackerEvents

logger = logging.getLogger(__name__)

#: Sends one message's replies on the person's channel, while the gateway holds the conversation.
Deliver = Callable[[list[BotMessage]], Awaitable[None]]


@dataclass(frozen=True)
class Route:
    """Who answered a message, and how: what the records keep beside it."""

    replies: list[BotMessage]
    status: Delivery
    author: Author


def _count_sent(channel: str, replies: list[BotMessage], author: Author, municipality: str | None = None) -> None:
    for reply in replies:
        MESSAGES_OUT.labels(channel, reply.meta.municipality or municipality or "unknown", author).inc()


class Unavailable(Exception):
    """The conversation records cannot be reached: nothing can be stored, so nothing is promised."""


#: Seconds a client is told to wait before sending a message the records could not take.
RETRY_AFTER_UNAVAILABLE = 10


def _inbound_of(stored: StoredMessage, conversation: Conversation) -> Inbound:
    """A stored message as the gateway answers it (the channel's hints are kept beside its text)."""
    hints = stored.data or {}
    return Inbound(municipality=hints.get("municipality"), channel=conversation.channel,
                   user_id=conversation.user_ref, text=stored.text or "", language_hint=hints.get("hint"),
                   message_id=stored.external_id, media=bool(hints.get("media")))


def _typed_choice(cleaned: str, last: StoredMessage | None) -> str:
    """A typed "2" or a piece of a title answers the buttons just offered (``gateway.choices``)."""
    if last is None or last.message.meta.response not in PICKABLE:
        return cleaned
    button = picked(cleaned, last.message.buttons)
    return button.payload if button is not None else cleaned


class Gateway:
    """Records every message, forwards it to Rasa in order, and answers once per platform message."""

    def __init__(self, store: Store, rasa: RasaClient, intake: Intake, events: Events, rates: RateLimits,
                 tracker: TrackerEvents | None = None, booking: Booking | None = None) -> None:
        self.store = store
        #: Meetings with a host; without a mailer (no SMTP settings) nobody gets e-mail.
        self.booking = booking or Booking(MeetingStore(store), Availability(store), intake.hosts)
        self.rasa = rasa
        self.intake = intake
        self.events = events
        self.rates = rates
        self.tracker = tracker
        self.satisfaction = Satisfaction(store)
        #: Every channel adapter, by name: how to reach a person without a message to answer.
        self.channels: dict[str, Channel] = {}
        self._locks = ConversationLocks()

    def register(self, channel: Channel) -> None:
        self.channels[channel.name] = channel

    async def close(self) -> None:
        await self.rasa.close()

    def _local_reply(self, key: str, message: Inbound, cleaned: str, known: Conversation | None,
                     **values: Any) -> BotMessage:
        """A reply the gateway gives itself (bad input, outages, limits), in the person's language."""
        language = choose_language(cleaned[:MAX_CHARS], current=known.language if known else None,
                                   hint=message.language_hint)
        reply = BotMessage(text=catalog_text(language, key, **values), meta=Meta(language=language, response=key))
        if key == "utter_service_unavailable":
            municipality = message.municipality or (known.municipality if known else None)
            place = municipalities.load_all().get(municipality or "")
            if place is not None:
                reply = BotMessage(text="\n\n".join([reply.text, *contact_lines(place, language)]), meta=reply.meta)
            reply = reply.with_meta(handoff_offered=place is not None, municipality=municipality)
        return reply

    async def button_id(self, payload: str, limit: int) -> str:
        """The payload itself when it fits the platform's button id, else a stored short token."""
        if len(payload.encode()) <= limit:
            return payload
        token = "#" + hashlib.sha256(payload.encode()).hexdigest()[:32]
        await self.store.remember_payload(token, payload)
        return token

    @asynccontextmanager
    async def _hold(self, conversation_id: str) -> AsyncIterator[None]:
        """This conversation, for this task alone — in this process, and across processes on PostgreSQL."""
        try:
            async with AsyncExitStack() as stack:
                with stage("gateway: conversation lock"):
                    await stack.enter_async_context(self._locks.hold(conversation_id))
                    await stack.enter_async_context(self.store.exclusive(conversation_id))
                yield
        except (SQLAlchemyError, OSError, LockTimeout) as exc:
            raise Unavailable(type(exc).__name__) from exc

    async def handle(self, message: Inbound, deliver: Deliver | None = None) -> list[BotMessage]:
        """Store a message and answer it; the replies to it (none for a message answered before).

        Anything still unanswered in the conversation (its process died) is answered first, in
        order, and sent on the person's channel. ``deliver`` sends every reply instead (while the
        conversation is held, so replies reach the person in the order they wrote). Raises
        ``Unavailable`` when the message cannot even be stored.
        """
        async with self._hold(message.conversation_id):
            stored = await self._accept(message)
            if stored is None:
                return []
            return await self._answer_pending(message.conversation_id, deliver, wanted=stored)

    async def accept(self, message: Inbound) -> bool:
        """Store a message to be answered later by answer_pending (a platform's webhook answers at
        once and retries when this raises ``Unavailable``); False for a delivery answered before."""
        async with self._hold(message.conversation_id):
            return await self._accept(message) is not None

    async def answer_pending(self, conversation_id: str) -> None:
        """Answer the conversation's unanswered messages, in order, on the person's channel."""
        async with self._hold(conversation_id):
            await self._answer_pending(conversation_id, None, wanted=None)

    async def recover(self, older_than: dt.timedelta) -> int:
        """Answer messages stored but left unanswered (the process handling them died); how many conversations."""
        stalled = await self.store.stalled(now() - older_than)
        for conversation_id in stalled:
            logger.info("Answering messages left unanswered in %s", conversation_id)
            try:
                await self.answer_pending(conversation_id)
            except Exception as exc:  # one broken conversation must not keep the others unanswered
                logger.warning("Could not answer the messages left in %s: %s", conversation_id, type(exc).__name__)
        return len(stalled)

    async def _accept(self, message: Inbound) -> int | None:
        text = message.text or ""
        if message.button_token:
            text = await self.store.payload(message.button_token) or ""
        hints = {"municipality": message.municipality, "hint": message.language_hint, "media": message.media}
        with stage("gateway: store message"):
            stored = await self.store.record_inbound(
                message.conversation_id, message.channel, message.user_id, message.municipality, clean_text(text),
                external_id=message.message_id, data={key: value for key, value in hints.items() if value})
        if stored is None:
            logger.info("Ignored a repeated delivery of message %s in %s", message.message_id,
                        message.conversation_id)
        else:
            MESSAGES_IN.labels(message.channel, message.municipality or "unknown").inc()
        return stored

    async def _answer_pending(self, conversation_id: str, deliver: Deliver | None, wanted: int | None
                              ) -> list[BotMessage]:
        wanted_replies: list[BotMessage] = []
        for stored in await self.store.pending(conversation_id):
            known = await self.store.conversation(conversation_id)
            if known is None:
                break  # deleted at the person's request a moment ago
            message = _inbound_of(stored, known)
            replies, send = await self._answer(message, stored, known)
            REPLY_SECONDS.labels(message.channel).observe((now() - aware(stored.created_at)).total_seconds())
            if send and deliver is not None:
                await self._deliver(deliver, replies, conversation_id)
            elif send and stored.id != wanted:
                await self._push(known, replies)
            if stored.id == wanted:
                wanted_replies = replies
        return wanted_replies

    async def _answer(self, message: Inbound, stored: StoredMessage, known: Conversation
                      ) -> tuple[list[BotMessage], bool]:
        """Answer one stored message and record the answer: (the replies, whether to send them)."""
        cleaned = stored.text or ""
        if cleaned == DELETE_CONFIRM and await self._deletion_asked(message.conversation_id):
            return await self._forget(message, known), True
        verdict = await self.rates.hit("message", message.conversation_id)
        if not verdict.allowed:
            return await self._slow_down(message, cleaned, known, stored.id, verdict.retry_after)
        route = await self._route(message, cleaned, known)
        with stage("gateway: store answer"):
            await self.store.record_outbound(message.conversation_id, route.author, route.replies,
                                             answered=stored.id, status=route.status)
        _count_sent(message.channel, route.replies, route.author, message.municipality)
        return route.replies, True

    async def _push(self, conversation: Conversation, replies: list[BotMessage]) -> None:
        channel = self.channels.get(conversation.channel)
        if channel is None or not channel.pushes or not replies:
            return
        try:
            await channel.send(conversation, replies)
        except Exception as exc:  # a platform outage must not cost the next message its turn
            logger.warning("Could not deliver the replies in %s: %s: %s", conversation.id, type(exc).__name__, exc)

    @staticmethod
    async def _deliver(deliver: Deliver | None, replies: list[BotMessage], conversation_id: str) -> None:
        if deliver is None or not replies:
            return
        try:
            await deliver(replies)
        except Exception as exc:  # a platform outage must not cost the next message its turn
            # The message text goes through the log redaction; a traceback would not.
            logger.warning("Could not deliver the replies in %s: %s: %s", conversation_id, type(exc).__name__, exc)

    async def _slow_down(self, message: Inbound, cleaned: str, known: Conversation | None, stored: int,
                         wait: int) -> tuple[list[BotMessage], bool]:
        """Over the conversation's limit: the message is kept (hosts see it) but not answered, and the
        person is told to wait — on a chat channel once a minute (each notice there is a message the
        platform counts), to an HTTP client with every refused message (it answers 429)."""
        notice = self._local_reply("utter_rate_limited", message, cleaned, known, count=wait).with_meta(
            retry_after=wait)
        first = (await self.rates.hit("notice", message.conversation_id)).allowed
        await self.store.record_outbound(message.conversation_id, Author.GATEWAY, [notice] if first else [],
                                         answered=stored, status=Delivery.UNANSWERED)
        return [notice], first

    async def _deletion_asked(self, conversation_id: str) -> bool:
        """The bot's last message in this very conversation asked "delete everything?" (a typed or
        replayed confirmation without that question deletes nothing)."""
        last = await self.store.last_sent(conversation_id)
        return last is not None and last.message.meta.response == "utter_confirm_delete"

    async def _forget(self, message: Inbound, known: Conversation | None) -> list[BotMessage]:
        """The person asked to delete their conversation and confirmed: nothing of it is kept."""
        replies = [self._local_reply("utter_deleted", message, "", known)]
        await self.booking.cancel_all(message.conversation_id)  # hosts hear of it before the records go
        await forget(self.store, [message.conversation_id], self.tracker)
        logger.info("Deleted conversation %s at the person's request", message.conversation_id)
        return replies

    async def _route(self, message: Inbound, cleaned: str, known: Conversation | None) -> Route:
        """Who answers: the host (the bot stays silent), the handoff intake, or Rasa."""
        conversation_id = message.conversation_id
        handoff = await self.intake.handoffs.current(conversation_id)
        if handoff is not None and handoff.status in WITH_HUMAN:
            await self.events.publish(Event(EventKind.MESSAGE, handoff.municipality, handoff.id, conversation_id))
            return Route([], Delivery.ANSWERED, Author.GATEWAY)
        if cleaned == DELETE_CANCEL:
            return Route([self._local_reply("utter_delete_cancelled", message, cleaned, known)], Delivery.ANSWERED,
                         Author.GATEWAY)
        if handoff is not None and handoff.status == Status.INTAKE:
            intake_replies = await self.intake.step(handoff, cleaned)
            current = await self.intake.handoffs.get(handoff.id)
            if current is not None and current.status in (Status.WAITING, Status.TICKET):
                kind = EventKind.WAITING if current.status == Status.WAITING else EventKind.TICKET
                await self.events.publish(Event(kind, current.municipality, current.id, conversation_id))
            if intake_replies is not None:
                return Route(intake_replies, Delivery.ANSWERED, Author.GATEWAY)
        last = await self.store.last_sent(conversation_id)  # what the person answers, if anything
        place = message.municipality or (known.municipality if known else None)
        language = (last.message.meta.language if last else None) or (known.language if known else None) or "en"
        booked = await self.booking.step(conversation_id, place, language, _typed_choice(cleaned, last))
        if booked is not None:
            return Route(booked, Delivery.ANSWERED, Author.GATEWAY)
        rated = await self._rating(cleaned, known, last)
        if rated is not None:
            return Route(rated, Delivery.ANSWERED, Author.GATEWAY)
        route = await self._reply(message, cleaned, known, last)
        meeting = next((r.meta for r in route.replies
                        if r.meta.response == "utter_book_meeting" and r.meta.municipality), None)
        if meeting is not None:
            slots = await self.booking.offer(meeting.municipality, meeting.language or "en")
            return Route([*route.replies, *slots], route.status, route.author)
        offer = next((r.meta for r in route.replies if r.meta.handoff_offered and r.meta.municipality), None)
        if offer is None:
            return await self._with_satisfaction(route, known)
        reason = offer.handoff_reason or (HandoffReason.FAILED if route.status == Delivery.UNANSWERED
                                          else HandoffReason.ASKED)
        if not await self._may_start_handoff(conversation_id, offer.municipality):
            return Route([*route.replies, self._busy(offer.municipality, offer.language or "en")], route.status,
                         route.author)
        intake = await self.intake.begin(conversation_id, offer.municipality, message.channel,
                                         offer.language or "en", reason=HandoffReason(reason))
        return Route(route.replies + intake, route.status, route.author)

    async def _rating(self, cleaned: str, known: Conversation | None, last: StoredMessage | None
                      ) -> list[BotMessage] | None:
        """The replies when this message answers the satisfaction question (``insight.satisfaction``)."""
        if known is None or last is None:
            return None
        language = last.message.meta.language or known.language or "en"
        return await self.satisfaction.receive(known, cleaned, last.message.meta.response, language)

    async def _with_satisfaction(self, route: Route, known: Conversation | None) -> Route:
        """A reply that ends the conversation (goodbye) is followed by the satisfaction question, once."""
        ends = any(reply.meta.response in ENDINGS for reply in route.replies)
        if not ends or known is None or await self.intake.handoffs.current(known.id) is not None:
            return route  # never during a handoff
        asked = await self.satisfaction.ask(known, route.replies)
        return route if asked is None else Route([*route.replies, asked], route.status, route.author)

    async def _may_start_handoff(self, conversation_id: str, municipality: str) -> bool:
        """Hosts' time is limited: a few handoffs per conversation, a bounded number per municipality."""
        return ((await self.rates.hit("handoff", conversation_id)).allowed
                and (await self.rates.hit("municipality_handoff", municipality)).allowed)

    @staticmethod
    def _busy(municipality: str, language: str) -> BotMessage:
        place = municipalities.load_all()[municipality]
        lines = [catalog_text(language, "handoff_busy", municipality_name=place.name), *contact_lines(place, language)]
        return BotMessage(text="\n\n".join(lines), meta=Meta(language=language, response="handoff_busy",
                                                              municipality=municipality))

    async def _reply(self, message: Inbound, cleaned: str, known: Conversation | None,
                     last: StoredMessage | None) -> Route:
        """Rasa's answer, or the gateway's own for what Rasa should not see or could not answer."""
        if message.media and not cleaned:
            key = "utter_text_only"
        elif not cleaned or is_empty(cleaned):
            key = "utter_empty_message"
        elif len(cleaned) > MAX_CHARS:
            key = "utter_message_too_long"
        else:
            text = to_rasa_text(_typed_choice(cleaned, last))
            metadata = RasaMetadata(municipality=message.municipality, language=normalise_code(message.language_hint),
                                    channel=message.channel, message_id=message.message_id,
                                    e5_vector=await query_vector(text))
            try:
                with stage("rasa: whole call"):
                    replies = await self.rasa.send(message.conversation_id, text, metadata)
            except RasaUnavailable as exc:
                RASA_FAILURES.labels(exc.reason).inc()
                logger.warning("Rasa did not answer conversation %s: %s", message.conversation_id, exc)
                reply = self._local_reply("utter_service_unavailable", message, cleaned, known)
                return Route([reply], Delivery.UNANSWERED, Author.GATEWAY)
            return Route(replies, Delivery.ANSWERED, Author.BOT)
        # Recorded as the bot's answer, as before the gateway answered bad input itself.
        return Route([self._local_reply(key, message, cleaned, known)], Delivery.ANSWERED, Author.BOT)

    async def push(self, conversation_id: str, messages: list[BotMessage], author: Author) -> bool:
        """Send messages that no inbound message asked for (a host's reply) on the person's channel."""
        async with self._hold(conversation_id):
            conversation = await self.store.conversation(conversation_id)
            if conversation is None:
                return False
            ends = any(message.meta.response in ENDINGS for message in messages)
            if ends and await self.intake.handoffs.current(conversation_id) is None:  # handed back or resolved
                asked = await self.satisfaction.ask(conversation, messages)
                messages = messages if asked is None else [*messages, asked]
            await self.store.record_outbound(conversation_id, author, messages, answered=None, status=Delivery.SENT)
            _count_sent(conversation.channel, messages, author, conversation.municipality)
            channel = self.channels.get(conversation.channel)
            if channel is None or not channel.pushes:
                return False  # the HTTP API's client reads stored messages instead
            try:
                await channel.send(conversation, messages)
            except Exception as exc:  # the host sees it did not arrive; nothing is lost
                logger.warning("Could not deliver a host message in %s: %s: %s", conversation_id,
                               type(exc).__name__, exc)
                return False
            return True

    async def reach(self, conversation_id: str) -> Reach:
        """What may be sent to the person now, on their channel (for the host desk)."""
        conversation = await self.store.conversation(conversation_id)
        channel = self.channels.get(conversation.channel) if conversation else None
        if conversation is None or channel is None:
            return Reach(can_send_text=False)
        return Reach(can_send_text=channel.can_send_text(conversation, now()), template=channel.template())
