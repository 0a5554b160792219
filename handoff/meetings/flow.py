"""Booking a first digital meeting in the chat: free times as buttons, an e-mail address, a subject.

Like the handoff intake it is a small deterministic state machine the gateway runs before Rasa,
so a half-finished booking never depends on NLU. It starts when Rasa answers the ``book_meeting``
intent (``utter_book_meeting``) or the person presses the button offered after a ticket. The
person picks a time, not a host: when several hosts are free then, one who speaks the person's
language gets it. Picking holds the slot in the database (``records``), so two people who press
the same time at the same moment on two processes cannot both have it; the second is told and
offered the times still free. Every text is in the person's language (base/locales).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Callable
from typing import Any, Protocol

import municipalities
from assistant.nlg import contact_lines
from base.catalog import text
from base.clock import now
from base.dates import when, when_short
from base.messages import Author, BotMessage, Button, Meta
from base.workers import off_loop
from handoff.contact import find_email, find_phone
from handoff.hosts import Host, HostStore
from handoff.intake import MEETING_START
from handoff.meetings.availability import Availability, Slot
from handoff.meetings.invitation import Kind, Mailer, join_line, local
from handoff.meetings.records import Meeting, MeetingStatus, MeetingStore, Step, parse_slot_id, slot_id, slot_key
from handoff.privacy import labels, mask
from handoff.texts import STORAGE_LANGUAGE

logger = logging.getLogger(__name__)

PAYLOAD = "/meeting_"
START = MEETING_START  # also the button after a handoff ticket
STOP = f"{PAYLOAD}stop"
PICK = f"{PAYLOAD}pick "  # + the slot's UTC start, e.g. "20261207T0800Z" (+ " <meeting id>" to move one)
CANCEL = f"{PAYLOAD}cancel "  # + the meeting's id
REBOOK = f"{PAYLOAD}rebook "  # + the meeting's id
#: Free times offered at once (a chat's buttons, WhatsApp's list of ten at most).
OFFERED = 5


class Outbox(Protocol):
    """How a host's cancellation reaches the person (the gateway implements it)."""

    async def push(self, conversation_id: str, messages: list[BotMessage], author: Author) -> bool: ...


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _message(language: str, key: str, buttons: tuple[Button, ...] = (), municipality: str | None = None,
             **values: Any) -> BotMessage:
    return BotMessage(text=text(language, key, **values), buttons=buttons,
                      meta=Meta(language=language, response=key, municipality=municipality))


def confirmation(meeting: Meeting, host: Host, key: str, mailed: bool) -> BotMessage:
    """The meeting as the chat shows it (booked, moved, the reminder): when, with whom, how to join,
    where the invitation went (when e-mail is on), and buttons to move or cancel it."""
    lang = meeting.language
    place = municipalities.load_all()[meeting.municipality]
    lines = [text(lang, key, when=when(local(meeting), lang), host=host.first_name,
                  length=text(lang, "meeting_length", count=meeting.minutes), municipality_name=place.name),
             join_line(meeting, host, lang)]
    if mailed and meeting.email:
        lines.append(text(lang, "meeting_invitation_sent", email=meeting.email))
    buttons = (Button(text(lang, "meeting_rebook_button"), f"{REBOOK}{meeting.id}"),
               Button(text(lang, "meeting_cancel_button"), f"{CANCEL}{meeting.id}"))
    return BotMessage(text="\n\n".join(lines), buttons=buttons,
                      meta=Meta(language=lang, response=key, municipality=meeting.municipality))


def _number(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


class Booking:
    """The chat's side of meetings, for one conversation at a time (the gateway holds it)."""

    def __init__(self, meetings: MeetingStore, availability: Availability, hosts: HostStore,
                 mailer: Mailer | None = None, clock: Callable[[], dt.datetime] = now) -> None:
        self.meetings = meetings
        self.availability = availability
        self.hosts = hosts
        self.mailer = mailer
        self.clock = clock
        self._mail_tasks: set[asyncio.Task[None]] = set()

    # -- what is free -------------------------------------------------------------------------

    async def free(self, municipality: str) -> dict[dt.datetime, list[Slot]]:
        """Free slots by start (several hosts may be free at once), soonest first."""
        at = self.clock()
        slots = await self.availability.slots(municipality, at)
        taken = await self.meetings.taken(municipality, at, at)
        found: dict[dt.datetime, list[Slot]] = {}
        for slot in slots:
            if slot_key(slot.host_id, slot.starts_at) not in taken:
                found.setdefault(slot.starts_at, []).append(slot)
        return found

    async def offer(self, municipality: str, language: str, moving: int | None = None,
                    lead: str = "meeting_choose") -> list[BotMessage]:
        """The next free times as buttons, or, when there are none, how else to reach the hosts."""
        place = municipalities.load_all()[municipality]
        free = list(await self.free(municipality))[:OFFERED]
        if not free:
            lines = [text(language, "meeting_no_slots", municipality_name=place.name),
                     *contact_lines(place, language)]
            return [BotMessage(text="\n\n".join(lines),
                               meta=Meta(language=language, response="meeting_no_slots", municipality=municipality))]
        suffix = f" {moving}" if moving is not None else ""
        buttons = tuple(Button(when_short(moment, language), f"{PICK}{slot_id(moment)}{suffix}")
                        for moment in free)
        buttons += (Button(text(language, "meeting_stop_button"), STOP),)
        return [_message(language, lead, buttons, municipality, municipality_name=place.name)]

    # -- the chat -----------------------------------------------------------------------------

    async def step(self, conversation_id: str, municipality: str | None, language: str, said: str
                   ) -> list[BotMessage] | None:
        """The booking's answer to what the person said; None when it is not about a booking."""
        at = self.clock()
        held = await self.meetings.in_progress(conversation_id, at)
        if held is not None:
            language = held.language
        if said == START and municipality in municipalities.load_all():
            return await self._booked_already(conversation_id, at) or await self.offer(municipality, language)
        if said == STOP:
            if held is not None:
                await self.meetings.cancel(held.id, "person", at)
            return [_message(language, "meeting_stopped")]
        if said.startswith(PICK) and municipality in municipalities.load_all():
            moment, _, moving = said[len(PICK):].partition(" ")
            starts = parse_slot_id(moment)
            if starts is None:
                return await self.offer(municipality, language)
            if held is not None:  # picked another time while answering: the first one goes back
                await self.meetings.cancel(held.id, "person", at)
            if not moving and (already := await self._booked_already(conversation_id, at)):
                return already
            return await self._pick(conversation_id, municipality, language, starts, _number(moving))
        if said.startswith((CANCEL, REBOOK)):
            return await self._change(conversation_id, language, said)
        if said.startswith(PAYLOAD):  # a stale or forged button
            return [_message(language, "meeting_gone")]
        if held is None:
            return None
        return await self._answer(held, said)

    async def _booked_already(self, conversation_id: str, at: dt.datetime) -> list[BotMessage] | None:
        """One upcoming meeting per conversation: asked again, the person gets theirs, to move or cancel.

        Hosts' times are few; a conversation that could book every slot would leave none for others.
        """
        upcoming = await self.meetings.upcoming(conversation_id=conversation_id, since=at)
        host = await self.hosts.get(upcoming[0].host_id) if upcoming else None
        if not upcoming or host is None:
            return None
        return [confirmation(upcoming[0], host, "meeting_booked", self.mailer is not None)]

    async def _candidates(self, slots: list[Slot], language: str) -> list[Host]:
        """Hosts free at that time, those who speak the person's language first."""
        found = [host for host in [await self.hosts.get(slot.host_id) for slot in slots] if host is not None]
        return sorted(found, key=lambda host: not host.speaks(language))

    async def _pick(self, conversation_id: str, municipality: str, language: str, starts: dt.datetime,
                    moving: int | None) -> list[BotMessage]:
        slots = (await self.free(municipality)).get(starts, [])
        minutes = {slot.host_id: slot.minutes for slot in slots}
        if moving is not None:
            current = await self.meetings.get(moving)
            if current is None or current.conversation_id != conversation_id or current.status != MeetingStatus.BOOKED:
                return [_message(language, "meeting_gone")]
            for host in await self._candidates(slots, current.language):
                moved = await self.meetings.move(moving, host.id, starts, minutes[host.id])
                if moved is not None:
                    return await self._moved(moved, host)
            return await self.offer(municipality, language, moving, lead="meeting_taken")
        for host in await self._candidates(slots, language):
            step = Step.EMAIL
            held = await self.meetings.hold(conversation_id, municipality, host.id, language, starts,
                                            minutes[host.id], step, self.clock())
            if held is not None:
                return [_message(language, "meeting_ask_email", (Button(text(language, "meeting_stop_button"), STOP),),
                                 municipality, when=when(local(held), language), host=host.first_name)]
        return await self.offer(municipality, language, lead="meeting_taken")

    async def _answer(self, held: Meeting, said: str) -> list[BotMessage]:
        lang = held.language
        stop = (Button(text(lang, "meeting_stop_button"), STOP),)
        host = await self.hosts.get(held.host_id)
        if host is None:  # the account was removed meanwhile
            await self.meetings.cancel(held.id, "host", self.clock())
            return [_message(lang, "meeting_gone")]
        if held.step == Step.EMAIL:
            email = find_email(said)
            if email is None:
                return [_message(lang, "meeting_invalid_email", stop)]
            if taken := await self._address_taken(held, email):
                return taken
            step = Step.TOPIC if host.meeting_link else Step.PHONE
            await self.meetings.change(held.id, email=email, step=step)
            return [_message(lang, f"meeting_ask_{step}", stop, host=host.first_name)]
        if held.step == Step.PHONE:
            phone = find_phone(said)
            if phone is None:
                return [_message(lang, "meeting_invalid_phone", stop)]
            await self.meetings.change(held.id, phone=phone, step=Step.TOPIC)
            return [_message(lang, "meeting_ask_topic", stop)]
        if held.email and (taken := await self._address_taken(held, held.email)):  # two chats at once
            return taken
        # What they want to talk about, kept like a handoff's need: identifiers masked but their own contact.
        topic = await off_loop(mask, said[:1000], labels(STORAGE_LANGUAGE), (held.email or "", held.phone or ""))
        await self.meetings.change(held.id, topic=topic)
        token = secrets.token_urlsafe(24)
        booked = await self.meetings.book(held.id, token_hash(token), self.clock())
        self._mail(Kind.BOOKED, booked, host, token)
        return [confirmation(booked, host, "meeting_booked", self.mailer is not None)]

    async def _address_taken(self, held: Meeting, email: str) -> list[BotMessage] | None:
        """One upcoming meeting per address and municipality, whichever conversation booked it: a new
        chat (another device, another channel) must not hoard a second of the hosts' few times. The
        held time is let go; the reply points to the invitation's link and does not say when, since
        whoever typed the address may not be its owner."""
        if not await self.meetings.upcoming(email=email, municipality=held.municipality, since=self.clock()):
            return None
        await self.meetings.cancel(held.id, "person", self.clock())
        return [_message(held.language, "meeting_email_booked_already", municipality=held.municipality)]

    async def _moved(self, meeting: Meeting, host: Host) -> list[BotMessage]:
        token = secrets.token_urlsafe(24)  # a new link; the old e-mail's link stops working
        meeting = await self.meetings.change(meeting.id, token_hash=token_hash(token))
        self._mail(Kind.MOVED, meeting, host, token)
        return [confirmation(meeting, host, "meeting_moved", self.mailer is not None)]

    async def _change(self, conversation_id: str, language: str, said: str) -> list[BotMessage]:
        """Cancel or rebook from the confirmation's buttons (only this conversation's own meeting)."""
        verb = CANCEL if said.startswith(CANCEL) else REBOOK
        meeting_id = _number(said[len(verb):].strip())
        meeting = await self.meetings.get(meeting_id) if meeting_id is not None else None
        if meeting is None or meeting.conversation_id != conversation_id or meeting.status != MeetingStatus.BOOKED:
            return [_message(language, "meeting_gone")]
        if verb == REBOOK:
            return await self.offer(meeting.municipality, meeting.language, moving=meeting.id)
        cancelled = await self.cancel(meeting.id, "person")
        if cancelled is None:
            return [_message(language, "meeting_gone")]
        return [_message(meeting.language, "meeting_cancelled", (Button(text(meeting.language, "meeting_new_button"),
                                                                         START),),
                         meeting.municipality, when=when(local(meeting), meeting.language))]

    # -- verbs for the e-mail link and the console ---------------------------------------------

    async def cancel(self, meeting_id: int, by: str) -> Meeting | None:
        """Free the slot and send the cancellation to both; None when it was not booked any more."""
        cancelled = await self.meetings.cancel(meeting_id, by, self.clock())
        if cancelled is not None and cancelled.booked_at is not None:
            host = await self.hosts.get(cancelled.host_id)
            if host is not None:
                self._mail(Kind.CANCELLED, cancelled, host)
        return cancelled

    async def cancel_all(self, conversation_id: str) -> int:
        """Cancel the conversation's upcoming meetings (it is about to be deleted): the host is told
        by e-mail rather than waiting for someone whose records are gone. How many were cancelled."""
        upcoming = await self.meetings.upcoming(conversation_id=conversation_id, since=self.clock())
        return sum([await self.cancel(meeting.id, "person") is not None for meeting in upcoming])

    async def cancel_by_host(self, meeting_id: int, host: Host, outbox: Outbox) -> Meeting | None:
        """A host cancels their own meeting; the person is told in their language, in the chat and by e-mail."""
        meeting = await self.meetings.get(meeting_id)
        if meeting is None or meeting.host_id != host.id:
            return None
        cancelled = await self.cancel(meeting_id, "host")
        if cancelled is None:
            return None
        lang = cancelled.language
        note = _message(lang, "meeting_cancelled_by_host", (Button(text(lang, "meeting_new_button"), START),),
                        cancelled.municipality, when=when(local(cancelled), lang), host=host.first_name)
        await outbox.push(cancelled.conversation_id, [note], Author.HOST)
        return cancelled

    async def by_token(self, token: str) -> Meeting | None:
        if not token or len(token) > 100:
            return None
        return await self.meetings.by_token(token_hash(token))

    async def move_by_token(self, token: str, starts: dt.datetime) -> Meeting | None:
        """Another time chosen from the e-mail's page; None when the meeting or the time is gone."""
        meeting = await self.by_token(token)
        if meeting is None or meeting.status != MeetingStatus.BOOKED:
            return None
        slots = (await self.free(meeting.municipality)).get(starts, [])
        for host in await self._candidates(slots, meeting.language):
            minutes = next(slot.minutes for slot in slots if slot.host_id == host.id)
            moved = await self.meetings.move(meeting.id, host.id, starts, minutes)
            if moved is not None:
                self._mail(Kind.MOVED, moved, host, token)  # the link they used keeps working
                return moved
        return None

    async def drain(self) -> None:
        """Wait for the e-mails still being sent (a process that stops must not drop an invitation)."""
        await asyncio.gather(*self._mail_tasks, return_exceptions=True)

    def _mail(self, kind: Kind, meeting: Meeting, host: Host, token: str | None = None) -> None:
        """E-mail in the background: the chat's reply does not wait for the mail server."""
        if self.mailer is None:
            return
        task = asyncio.get_running_loop().create_task(self.mailer.send(kind, meeting, host, token))
        self._mail_tasks.add(task)
        task.add_done_callback(self._mail_tasks.discard)

