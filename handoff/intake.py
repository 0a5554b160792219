"""The handoff intake: how to be contacted, what it is about, consent — then queue or ticket.

Rasa decides *that* a person needs a human (they asked, the FAQ failed twice, a personal case);
its reply carries ``custom.handoff_offered``. From then on the gateway talks to the person through
this small, deterministic state machine, so a half-finished intake never depends on NLU, and once
the conversation waits for or is held by a host the bot stays silent. Every text comes from the
catalogs in the person's language.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable
from typing import Any

import municipalities
from base.catalog import text
from base.clock import now
from base.dates import when
from base.messages import BotMessage, Button, HandoffReason, Meta
from base.workers import off_loop
from handoff.contact import find_email, find_phone
from handoff.hosts import HostStore
from handoff.privacy import labels, mask
from handoff.records import ContactMethod, Handoff, HandoffStore, Status, Step
from handoff.texts import STORAGE_LANGUAGE

#: The button after a ticket that starts booking a meeting (``handoff.meetings.flow.START``).
MEETING_START = "/meeting_start"
#: Button payloads of the intake (the gateway never forwards them to Rasa).
PAYLOAD = "/handoff_"
CANCEL, YES, NO = f"{PAYLOAD}cancel", f"{PAYLOAD}yes", f"{PAYLOAD}no"


def _message(language: str, key: str, handoff: Handoff | None = None, buttons: tuple[Button, ...] = (),
             **values: Any) -> BotMessage:
    meta = Meta(language=language, response=key, handoff_id=handoff.id if handoff else None,
                handoff_status=handoff.status if handoff else None)
    return BotMessage(text=text(language, key, **values), buttons=buttons, meta=meta)


def _consent_buttons(language: str) -> tuple[Button, ...]:
    return (Button(text(language, "handoff_yes"), YES), Button(text(language, "handoff_no"), NO))


class Intake:
    """Runs the intake for one conversation at a time (the gateway holds the conversation)."""

    def __init__(self, handoffs: HandoffStore, hosts: HostStore, clock: Callable[[], dt.datetime] = now) -> None:
        self.handoffs = handoffs
        self.hosts = hosts
        self.clock = clock

    async def begin(self, conversation_id: str, municipality: str, channel: str, language: str,
                    reason: HandoffReason) -> list[BotMessage]:
        handoff = await self.handoffs.start(conversation_id, municipality, channel, language, reason)
        return [self._ask_method(handoff)]

    def _ask_method(self, handoff: Handoff) -> BotMessage:
        lang = handoff.language
        place = municipalities.load_all()[handoff.municipality]
        buttons = tuple(Button(text(lang, f"handoff_method_{m}"), f"{PAYLOAD}{m}") for m in ContactMethod)
        buttons += (Button(text(lang, "handoff_cancel"), CANCEL),)
        return _message(lang, "handoff_ask_method", handoff, buttons, municipality_name=place.name)

    async def step(self, handoff: Handoff, said: str) -> list[BotMessage] | None:
        """The intake's answer to what the person said at the current step.

        None when the person, offered a host, simply asked something else: the offer lapses and
        the bot answers that message.
        """
        lang = handoff.language
        if said == CANCEL or (said == NO and handoff.step == Step.CONSENT):
            handoff = await self.handoffs.change(handoff.id, status=Status.DECLINED, step=None,
                                                 closed_at=self.clock())
            return [_message(lang, "handoff_declined", handoff)]
        if handoff.step == Step.METHOD:
            return await self._method(handoff, said)
        if handoff.step == Step.CONTACT:
            return await self._contact(handoff, said)
        if handoff.step == Step.NEED:
            # Stored in the ticket with identifiers masked, except the contact details given here.
            need = await off_loop(mask, said[:1000], labels(STORAGE_LANGUAGE), (handoff.contact_value or "",))
            handoff = await self.handoffs.change(handoff.id, need=need, step=Step.CONSENT)
            return [_message(lang, "handoff_ask_consent", handoff, _consent_buttons(lang))]
        if handoff.step == Step.CONSENT:
            if said != YES:
                return [_message(lang, "handoff_ask_consent", handoff, _consent_buttons(lang))]
            return await self._submit(handoff)
        return []

    async def _method(self, handoff: Handoff, said: str) -> list[BotMessage] | None:
        lang = handoff.language
        chosen = said[len(PAYLOAD):] if said.startswith(PAYLOAD) else ""
        method = ContactMethod(chosen) if chosen in tuple(ContactMethod) else None
        email, phone = find_email(said), find_phone(said)
        if method is None and (email or phone):  # typed their address straight away
            method = ContactMethod.EMAIL if email else ContactMethod.PHONE
        if method is None:
            await self.handoffs.change(handoff.id, status=Status.DECLINED, step=None, closed_at=self.clock())
            return None
        if method == ContactMethod.CHAT:
            handoff = await self.handoffs.change(handoff.id, contact_method=method, step=Step.NEED)
            return [_message(lang, "handoff_ask_need", handoff)]
        value = email if method == ContactMethod.EMAIL else phone
        if value:
            handoff = await self.handoffs.change(handoff.id, contact_method=method, contact_value=value,
                                                 step=Step.NEED)
            return [_message(lang, "handoff_ask_need", handoff)]
        handoff = await self.handoffs.change(handoff.id, contact_method=method, step=Step.CONTACT)
        return [_message(lang, f"handoff_ask_{method}", handoff)]

    async def _contact(self, handoff: Handoff, said: str) -> list[BotMessage]:
        lang = handoff.language
        value = find_email(said) if handoff.contact_method == ContactMethod.EMAIL else find_phone(said)
        if not value:
            return [_message(lang, f"handoff_invalid_{handoff.contact_method}", handoff)]
        handoff = await self.handoffs.change(handoff.id, contact_value=value, step=Step.NEED)
        return [_message(lang, "handoff_ask_need", handoff)]

    async def _submit(self, handoff: Handoff) -> list[BotMessage]:
        """Into the queue when a host can answer now; otherwise a ticket with an honest time."""
        lang = handoff.language
        place = municipalities.load_all()[handoff.municipality]
        moment = self.clock()
        staffed = place.office_hours.is_open(moment) and bool(await self.hosts.online(handoff.municipality))
        if staffed:
            handoff = await self.handoffs.change(handoff.id, status=Status.WAITING, step=None, consent=True,
                                                 queued_at=moment)
            return [await self.position_message(handoff)]
        handoff = await self.handoffs.change(handoff.id, status=Status.TICKET, step=None, consent=True,
                                             queued_at=moment, ticket=True)
        opening = place.office_hours.next_opening(moment)
        how = text(lang, f"handoff_by_{handoff.contact_method}", contact=handoff.contact_value or "")
        # A ticket's last word: the person may book a meeting with a host instead of waiting (handoff.meetings).
        meeting = (Button(text(lang, "meeting_offer_button"), MEETING_START),)
        if opening is None or opening <= moment + dt.timedelta(minutes=1):  # open, but nobody online
            return [_message(lang, "handoff_ticket_no_hours", handoff, meeting, how=how, municipality_name=place.name)]
        return [_message(lang, "handoff_ticket", handoff, meeting, how=how, municipality_name=place.name,
                         opening=when(opening, lang))]

    async def position_message(self, handoff: Handoff) -> BotMessage:
        """The person's place in the queue and, when there is history to go on, the usual wait."""
        place = municipalities.load_all()[handoff.municipality]
        position = await self.handoffs.waiting_before(handoff) + 1
        waits = await self.handoffs.recent_waits(handoff.municipality)
        if len(waits) >= 3:
            minutes = max(1, round(statistics.median(waits) * position / 60))
            return _message(handoff.language, "handoff_queued", handoff, position=position,
                            municipality_name=place.name, wait=text(handoff.language, "handoff_wait", count=minutes))
        return _message(handoff.language, "handoff_queued", handoff, position=position, municipality_name=place.name,
                        wait=text(handoff.language, "handoff_wait_unknown"))
