"""The host desk: what a relocation host does with a handoff — claim, write, hand back, resolve.

Each verb is a status change on the handoff plus what the person must be told about it, in their
language, on their own channel. It lives here rather than in the console's route handlers so that
it works the same from any front end (the console today, an API or a test tomorrow) and never
depends on HTTP. The person is reached through an ``Outbox`` — the gateway implements it — so the
handoff does not need to know the channels that sit above it.
"""

from __future__ import annotations

from collections.abc import Callable
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
from storage.store import aware


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
    """A verb that does not fit the handoff's state; ``reason`` says why, for the host."""

    reason = "this cannot be done now"

    def __init__(self) -> None:
        super().__init__(self.reason)


class NotWaiting(DeskError):
    reason = "this conversation is not waiting"


class NotHeld(DeskError):
    reason = "claim the conversation first"


class WindowClosed(DeskError):
    reason = "WhatsApp's 24-hour window has closed: send the template"


class NoTemplate(DeskError):
    reason = "templates exist only on WhatsApp"


class NotDelivered(DeskError):
    reason = "the template could not be sent"


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

    async def claim(self, handoff: Handoff, host: Host) -> Handoff:
        """The host takes the conversation; the person is told who joined, the queue moves up."""
        claimed = await self.handoffs.transition(handoff.id, (Status.WAITING, Status.TICKET), status=Status.ACTIVE,
                                                 host_id=host.id, claimed_at=self.clock())
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
