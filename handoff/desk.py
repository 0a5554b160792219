"""The host desk: what a relocation host does with a handoff — claim, write, hand back, resolve.

Each verb is a status change on the handoff plus what the person must be told about it, in their
language, on their own channel. It lives here rather than in the console's route handlers so that
it works the same from any front end (the console today, an API or a test tomorrow) and never
depends on HTTP. The person is reached through an ``Outbox`` — the gateway implements it — so the
handoff does not need to know the channels that sit above it.

Who may claim is decided here too, in ``offer``: for ``OFFER_FIRST`` after a conversation joined
the queue, when one of the municipality's online hosts speaks the person's language, only hosts
who speak it may claim it. The console's queue shows the same ``Offer`` (who speaks it, whether it
is offered to you first), so what a host sees and what the desk allows cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import municipalities
from base.catalog import text
from base.clock import now
from base.messages import Author, BotMessage, Meta
from base.metrics import QUEUE_WAIT_SECONDS
from handoff.events import Event, EventKind, Events
from handoff.hosts import Host
from handoff.intake import Intake
from handoff.records import ContactMethod, Handoff, HandoffStore, Status
from handoff.texts import host_texts
from storage.store import aware

#: How long a waiting conversation is offered only to online hosts who speak the person's language:
#: the speaking host gets the first chance, and the person's wait grows by this much at most.
OFFER_FIRST = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class Reach:
    """What can be sent to a person right now."""

    #: False when the channel refuses free text (WhatsApp, 24 hours after the person's last message).
    can_send_text: bool = True
    #: The channel's approved message that invites the person to write again, if it has one.
    template: str | None = None


class Outbox(Protocol):
    """How the desk reaches a person without a message of theirs to answer."""

    async def push(self, conversation_id: str, messages: list[BotMessage], author: Author) -> bool:
        """Store and send; False when the channel could not deliver (or the client polls instead)."""
        ...

    async def reach(self, conversation_id: str) -> Reach: ...


class DeskError(Exception):
    """A verb that does not fit the handoff's state. ``reason`` says why in English (the JSON answer
    to a script); ``key`` names the hosts' catalog text the console shows in the host's language."""

    reason = "this cannot be done now"
    key = "refused_default"

    def __init__(self) -> None:
        super().__init__(self.reason)


class NotWaiting(DeskError):
    reason = "this conversation is not waiting"
    key = "refused_not_waiting"


class NotHeld(DeskError):
    reason = "claim the conversation first"
    key = "refused_not_held"


class WindowClosed(DeskError):
    reason = "WhatsApp's 24-hour window has closed: send the template"
    key = "refused_window_closed"


class NoTemplate(DeskError):
    reason = "templates exist only on WhatsApp"
    key = "refused_no_template"


class NotDelivered(DeskError):
    reason = "the template could not be sent"
    key = "refused_not_delivered"


class OfferedFirst(DeskError):
    """Another host's claim inside the offer-first window, while a host who speaks the language is online."""

    key = "refused_offered_first"

    def __init__(self, language: str) -> None:
        self.language = language
        name = host_texts("en").get(f"language_{language}", language)
        self.reason = f"this conversation is offered first to hosts who speak {name}"
        super().__init__()


#: Every refusal's catalog key, read from the classes so a new one is included: the console shows
#: a ``?refused=`` key only if it is among these.
REFUSALS = frozenset(error.key for error in (DeskError, *DeskError.__subclasses__()))


@dataclass(frozen=True)
class Offer:
    """To whom a waiting conversation is offered right now."""

    #: The municipality's online hosts who speak the person's language.
    speakers: tuple[Host, ...]
    #: When the offer-first window closes and anyone may claim it; None when it is not (or no longer) open.
    until: dt.datetime | None = None

    @property
    def first(self) -> bool:
        """True while only those hosts may claim it (inside ``OFFER_FIRST``, and someone speaks it)."""
        return self.until is not None

    def for_host(self, host: Host, language: str) -> bool:
        """Offered to this host first: marked as theirs in the queue, and shown before the rest."""
        return self.first and host.speaks(language)

    def refuses(self, host: Host, language: str) -> bool:
        return self.first and not host.speaks(language)


def offer(handoff: Handoff, online: Sequence[Host], moment: dt.datetime) -> Offer:
    """The offer-first rule, in one place: ``claim`` enforces it and the console's queue shows it.

    Only a conversation waiting in the queue is offered first; a ticket was already promised contact
    later and is anyone's. No online speaker, or the window over: anyone may claim at once.
    """
    speakers = tuple(h for h in online if h.municipality == handoff.municipality and h.speaks(handoff.language))
    waited = moment - aware(handoff.queued_at) if handoff.queued_at is not None else OFFER_FIRST
    first = handoff.status == Status.WAITING and bool(speakers) and waited < OFFER_FIRST
    return Offer(speakers, until=moment - waited + OFFER_FIRST if first else None)


class Desk:
    def __init__(self, handoffs: HandoffStore, intake: Intake, events: Events, outbox: Outbox,
                 clock: Callable[[], Any] = now) -> None:
        self.handoffs = handoffs
        self.intake = intake
        self.events = events
        self.outbox = outbox
        self.clock = clock

    async def _tell(self, handoff: Handoff, key: str, **values: Any) -> None:
        """A message to the person in their language, from the catalogs (host joined, handed back…)."""
        message = BotMessage(text=text(handoff.language, key, **values),
                             meta=Meta(language=handoff.language, response=key, handoff_id=handoff.id))
        await self.outbox.push(handoff.conversation_id, [message], Author.GATEWAY)

    @staticmethod
    def _require_held(host: Host, handoff: Handoff) -> None:
        if handoff.status != Status.ACTIVE or (handoff.host_id != host.id and not host.is_admin):
            raise NotHeld()

    async def offers(self, waiting: Sequence[Handoff]) -> dict[int, Offer]:
        """Each handoff's offer now, asking who is online once per municipality."""
        online = {place: await self.intake.hosts.online(place) for place in {h.municipality for h in waiting}}
        moment = self.clock()
        return {h.id: offer(h, online[h.municipality], moment) for h in waiting}

    async def claim(self, handoff: Handoff, host: Host) -> Handoff:
        """The host takes the conversation; the person is told who joined, the queue moves up.

        Refused with ``OfferedFirst`` while the conversation is offered first to hosts who speak the
        person's language and this host does not. Whether the host speaks it is stored with the claim
        (``language_match``, counted by the analytics).
        """
        if handoff.status == Status.WAITING:
            (found,) = (await self.offers([handoff])).values()
            if found.refuses(host, handoff.language):
                raise OfferedFirst(handoff.language)
        claimed = await self.handoffs.transition(handoff.id, (Status.WAITING, Status.TICKET), status=Status.ACTIVE,
                                                 host_id=host.id, claimed_at=self.clock(),
                                                 language_match=host.speaks(handoff.language))
        if claimed is None:
            raise NotWaiting()
        handoff = claimed
        if handoff.queued_at is not None and handoff.claimed_at is not None:
            waited = (aware(handoff.claimed_at) - aware(handoff.queued_at)).total_seconds()
            QUEUE_WAIT_SECONDS.labels(handoff.municipality).observe(waited)
        place = municipalities.load_all()[handoff.municipality]
        await self._tell(handoff, "handoff_host_joined", host_name=host.first_name, municipality_name=place.name)
        await self.events.publish(Event(EventKind.CLAIMED, handoff.municipality, handoff.id))
        await self.update_queue(handoff.municipality)
        return handoff

    async def update_queue(self, municipality: str) -> None:
        """Everyone still waiting moved up one place: tell them their new place, in their language."""
        for waiting in await self.handoffs.by_status(municipality, (Status.WAITING,)):
            message = await self.intake.position_message(waiting)
            await self.outbox.push(waiting.conversation_id, [message], Author.GATEWAY)

    async def reach(self, handoff: Handoff) -> Reach:
        return await self.outbox.reach(handoff.conversation_id)

    async def write(self, handoff: Handoff, host: Host, said: str) -> bool:
        """The host's own message to the person; whether it was delivered."""
        self._require_held(host, handoff)
        if not (await self.reach(handoff)).can_send_text:
            raise WindowClosed()
        message = BotMessage(text=said.strip(), meta=Meta(language=handoff.language, author=Author.HOST,
                                                          host_name=host.first_name, handoff_id=handoff.id))
        return await self.outbox.push(handoff.conversation_id, [message], Author.HOST)

    async def send_template(self, handoff: Handoff, host: Host) -> None:
        """Outside WhatsApp's window only an approved template may go out; it invites the person to reply."""
        self._require_held(host, handoff)
        template = (await self.reach(handoff)).template
        if template is None:
            raise NoTemplate()
        message = BotMessage(text=f"[template {template}]", template=True,
                             meta=Meta(author=Author.HOST, handoff_id=handoff.id))
        if not await self.outbox.push(handoff.conversation_id, [message], Author.HOST):
            raise NotDelivered()

    async def hand_back(self, handoff: Handoff, host: Host) -> Handoff:
        """The bot answers again; the person is told so by name."""
        self._require_held(host, handoff)
        returned = await self.handoffs.transition(handoff.id, (Status.ACTIVE,), status=Status.RETURNED,
                                                  closed_at=self.clock())
        if returned is None:
            raise NotHeld()
        handoff = returned
        await self._tell(handoff, "handoff_returned", host_name=host.first_name)
        return handoff

    async def resolve(self, handoff: Handoff, host: Host, note: str) -> Handoff:
        """Close the handoff with the host's note; a ticket may be resolved without claiming it."""
        if handoff.status == Status.TICKET:
            handoff = await self.handoffs.change(handoff.id, host_id=host.id)
        else:
            self._require_held(host, handoff)
        handoff = await self.handoffs.change(handoff.id, status=Status.RESOLVED, closed_at=self.clock(), note=note)
        if handoff.contact_method == ContactMethod.CHAT or handoff.claimed_at is not None:
            await self._tell(handoff, "handoff_resolved", host_name=host.first_name)
        return handoff
