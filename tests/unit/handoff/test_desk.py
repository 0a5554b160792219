"""The host desk on SQLite and PostgreSQL, with a recording outbox: claim, write, the WhatsApp template,
hand back and resolve — the status each leaves, what the person is told (in their language) and the
desk errors a host sees."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import update

import handoff.hosts
from base.catalog import text
from base.messages import Author, BotMessage, HandoffReason
from handoff.desk import (
    OFFER_FIRST,
    Desk,
    NotDelivered,
    NoTemplate,
    NotHeld,
    NotWaiting,
    OfferedFirst,
    Reach,
    WindowClosed,
)
from handoff.events import Event, EventKind, Events
from handoff.hosts import Host, HostStore
from handoff.intake import Intake
from handoff.records import ContactMethod, Handoff, HandoffStore, Status
from handoff.roles import Role
from storage.schema import hosts as hosts_table
from storage.store import Store, aware

CLOCK = dt.datetime(2026, 3, 3, 12, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handoff.hosts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@dataclass
class Outbox:
    """Records what the desk sends; ``reach_now`` and ``delivers`` play the channel."""

    reach_now: Reach = field(default_factory=Reach)
    delivers: bool = True
    pushed: list[tuple[str, BotMessage, Author]] = field(default_factory=list)

    async def push(self, conversation_id: str, messages: list[BotMessage], author: Author) -> bool:
        self.pushed += [(conversation_id, message, author) for message in messages]
        return self.delivers

    async def reach(self, conversation_id: str) -> Reach:
        return self.reach_now

    def to(self, handoff: Handoff) -> list[BotMessage]:
        return [message for conversation_id, message, _ in self.pushed if conversation_id == handoff.conversation_id]


@dataclass
class Office:
    store: Store
    desk: Desk
    outbox: Outbox
    events: Events

    @property
    def handoffs(self) -> HandoffStore:
        return self.desk.handoffs

    async def host(self, municipality: str | None = "boden", name: str = "Anna", admin: bool = False,
                   languages: tuple[str, ...] = (), online: bool = False) -> Host:
        email = f"host-{uuid.uuid4().hex[:10]}@example.se"
        host = await self.desk.intake.hosts.add(email, name, PASSWORD, municipality,
                                                Role.ADMIN if admin else Role.HOST, languages=languages)
        if online:
            await self.desk.intake.hosts.touch(host.id)  # as the console does on every request
        return host

    async def handoff(self, status: Status, language: str = "sv", method: ContactMethod = ContactMethod.CHAT,
                      host: Host | None = None, contact: str | None = None,
                      queued_at: dt.datetime | None = None, municipality: str = "boden") -> Handoff:
        conversation_id = f"test:{uuid.uuid4().hex}"
        await self.store.record_inbound(conversation_id, "web", "u", municipality, "hej", None)
        started = await self.handoffs.start(conversation_id, municipality, "web", language, HandoffReason.ASKED)
        claimed = {"host_id": host.id, "claimed_at": CLOCK} if host else {}
        return await self.handoffs.change(started.id, status=status, step=None, consent=True, contact_method=method,
                                          contact_value=contact, queued_at=queued_at or dt.datetime.now(dt.UTC),
                                          **claimed)


def _run(database_url: str, body: Callable[[Office], Awaitable[Any]], outbox: Outbox | None = None) -> Any:
    async def main() -> Any:
        store = Store(database_url)
        await store.create_schema()
        async with store.engine.begin() as connection:  # hosts other tests left online must not be offered first
            await connection.execute(update(hosts_table).values(last_seen_at=None))
        handoffs, events = HandoffStore(store), Events()
        intake = Intake(handoffs, HostStore(store), clock=lambda: CLOCK)
        box = outbox or Outbox()
        try:
            return await body(Office(store, Desk(handoffs, intake, events, box, clock=lambda: CLOCK), box, events))
        finally:
            await store.close()

    return asyncio.run(main())


def test_claiming_a_waiting_conversation_makes_it_active_and_tells_the_person_who_joined(database_url: str) -> None:
    async def body(office: Office) -> tuple[Handoff, Handoff, Host, list[BotMessage], list[Event]]:
        anna = await office.host(name="Anna")
        console = office.events.subscribe({"boden"})
        waiting = await office.handoff(Status.WAITING, language="pl")
        claimed = await office.desk.claim(waiting, anna)
        stored = await office.handoffs.get(waiting.id)
        events = [console.get_nowait() for _ in range(console.qsize())]
        return claimed, stored, anna, office.outbox.to(waiting), events

    claimed, stored, anna, told, events = _run(database_url, body)
    assert claimed == stored
    assert (stored.status, stored.host_id, aware(stored.claimed_at)) == (Status.ACTIVE, anna.id, CLOCK)
    [joined] = told  # and no place in the queue
    assert joined.text == text("pl", "handoff_host_joined", host_name="Anna", municipality_name="Boden")
    assert (joined.meta.language, joined.meta.handoff_id) == ("pl", claimed.id)
    assert Event(EventKind.CLAIMED, "boden", claimed.id) in events


def test_a_claim_tells_everyone_still_waiting_their_new_place_in_their_language(database_url: str) -> None:
    async def body(office: Office) -> tuple[list[int], list[BotMessage], list[BotMessage]]:
        anna = await office.host()
        start = dt.datetime.now(dt.UTC)
        first, second, third = [await office.handoff(Status.WAITING, language=lang,
                                                     queued_at=start + dt.timedelta(seconds=i))
                                for i, lang in enumerate(("sv", "en", "de"))]
        ahead = [await office.handoffs.waiting_before(h) for h in (second, third)]  # places before: +1
        await office.desk.claim(first, anna)
        return ahead, office.outbox.to(second), office.outbox.to(third)

    (ahead_of_second, ahead_of_third), second, third = _run(database_url, body)
    [english], [german] = second, third
    assert f"You are number {ahead_of_second} in the queue" in english.text
    assert f"Du bist Nummer {ahead_of_third} in der Warteschlange" in german.text
    assert (english.meta.response, english.meta.language, german.meta.language) == ("handoff_queued", "en", "de")


def test_claiming_a_conversation_already_held_is_refused(database_url: str) -> None:
    async def body(office: Office) -> tuple[list[BotMessage], Handoff | None]:
        anna, bert = await office.host(name="Anna"), await office.host(name="Bert")
        active = await office.handoff(Status.ACTIVE, host=anna)
        with pytest.raises(NotWaiting):
            await office.desk.claim(active, bert)
        return office.outbox.to(active), await office.handoffs.get(active.id)

    told, stored = _run(database_url, body)
    assert told == []
    assert stored.host_id is not None and stored.status == Status.ACTIVE


def test_two_hosts_pressing_claim_at_once_do_not_both_get_the_conversation(database_url: str) -> None:
    """Fixed (handoff/desk.py:97-100): ``claim`` checks the status of the handoff it is given (the
    console route read it a moment before) and then updates the row unconditionally. Two hosts who
    press Claim on the same waiting conversation at the same time (both routes have read it as
    waiting) both succeed: the second silently takes it over and the person is told twice that a
    host joined. The update should be conditional on the status still being waiting/ticket."""

    async def body(office: Office) -> tuple[Handoff | None, Host, int]:
        anna, bert = await office.host(name="Anna"), await office.host(name="Bert")
        waiting = await office.handoff(Status.WAITING)
        seen_by_anna, seen_by_bert = await office.handoffs.get(waiting.id), await office.handoffs.get(waiting.id)
        await office.desk.claim(seen_by_anna, anna)
        with contextlib.suppress(NotWaiting):  # what Bert should see
            await office.desk.claim(seen_by_bert, bert)
        return await office.handoffs.get(waiting.id), anna, len(office.outbox.to(waiting))

    stored, anna, told = _run(database_url, body)
    assert stored.host_id == anna.id
    assert told == 1


def test_only_the_claiming_host_or_an_admin_may_write(database_url: str) -> None:
    async def body(office: Office) -> tuple[bool, list[tuple[str, BotMessage, Author]]]:
        anna, bert = await office.host(name="Anna"), await office.host(name="Bert")
        lea = await office.host(None, name="Lea", admin=True)
        active = await office.handoff(Status.ACTIVE, language="en", host=anna)
        with pytest.raises(NotHeld):
            await office.desk.write(active, bert, "Hello from Bert")
        waiting = await office.handoff(Status.WAITING)
        with pytest.raises(NotHeld):
            await office.desk.write(waiting, anna, "Not claimed yet")
        delivered = await office.desk.write(active, lea, "  Hello, I am Lea.  ")
        return delivered, office.outbox.pushed

    delivered, pushed = _run(database_url, body)
    assert delivered
    [(_, message, author)] = pushed
    assert author == Author.HOST
    assert message.text == "Hello, I am Lea."
    assert (message.meta.author, message.meta.host_name, message.meta.language) == ("host", "Lea", "en")


def test_the_holding_host_writes_and_learns_whether_it_was_delivered(database_url: str) -> None:
    async def body(office: Office) -> tuple[bool, list[BotMessage]]:
        anna = await office.host()
        active = await office.handoff(Status.ACTIVE, host=anna)
        return await office.desk.write(active, anna, "Hej!"), office.outbox.to(active)

    delivered, told = _run(database_url, body, Outbox(delivers=False))
    assert delivered is False
    assert [m.text for m in told] == ["Hej!"]


def test_writing_after_whatsapps_window_closed_is_refused(database_url: str) -> None:
    async def body(office: Office) -> list[tuple[str, BotMessage, Author]]:
        anna = await office.host()
        active = await office.handoff(Status.ACTIVE, host=anna)
        with pytest.raises(WindowClosed):
            await office.desk.write(active, anna, "Hej!")
        return office.outbox.pushed

    closed = Reach(can_send_text=False, template="newcomer_follow_up")
    assert _run(database_url, body, Outbox(reach_now=closed)) == []


def test_without_a_template_on_the_channel_none_can_be_sent(database_url: str) -> None:
    async def body(office: Office) -> list[tuple[str, BotMessage, Author]]:
        anna = await office.host()
        active = await office.handoff(Status.ACTIVE, host=anna)
        with pytest.raises(NoTemplate):
            await office.desk.send_template(active, anna)
        return office.outbox.pushed

    assert _run(database_url, body, Outbox(reach_now=Reach(can_send_text=False))) == []


def test_a_template_the_channel_could_not_deliver_is_reported(database_url: str) -> None:
    async def body(office: Office) -> list[BotMessage]:
        anna = await office.host()
        active = await office.handoff(Status.ACTIVE, host=anna)
        with pytest.raises(NotDelivered):
            await office.desk.send_template(active, anna)
        return office.outbox.to(active)

    outbox = Outbox(reach_now=Reach(can_send_text=False, template="newcomer_follow_up"), delivers=False)
    [attempt] = _run(database_url, body, outbox)
    assert attempt.template is True


def test_a_delivered_template_goes_out_as_the_channels_template(database_url: str) -> None:
    async def body(office: Office) -> list[BotMessage]:
        anna = await office.host()
        active = await office.handoff(Status.ACTIVE, host=anna)
        await office.desk.send_template(active, anna)
        return office.outbox.to(active)

    [sent] = _run(database_url, body, Outbox(reach_now=Reach(can_send_text=False, template="newcomer_follow_up")))
    assert sent.template is True
    assert "newcomer_follow_up" in sent.text
    assert sent.to_wire()["template"] is True


def test_handing_back_returns_the_conversation_to_the_bot_and_tells_the_person(database_url: str) -> None:
    async def body(office: Office) -> tuple[Handoff, Handoff | None, list[BotMessage]]:
        anna = await office.host(name="Anna")
        active = await office.handoff(Status.ACTIVE, language="uk", host=anna)
        returned = await office.desk.hand_back(active, anna)
        return returned, await office.handoffs.current(active.conversation_id), office.outbox.to(active)

    returned, still_open, told = _run(database_url, body)
    assert returned.status == Status.RETURNED and aware(returned.closed_at) == CLOCK
    assert still_open is None  # the bot answers again
    assert [m.text for m in told] == [text("uk", "handoff_returned", host_name="Anna")]


def test_another_host_cannot_hand_back_or_resolve_a_held_conversation(database_url: str) -> None:
    async def body(office: Office) -> Handoff | None:
        anna, bert = await office.host(name="Anna"), await office.host(name="Bert")
        active = await office.handoff(Status.ACTIVE, host=anna)
        with pytest.raises(NotHeld):
            await office.desk.hand_back(active, bert)
        with pytest.raises(NotHeld):
            await office.desk.resolve(active, bert, "done")
        return await office.handoffs.get(active.id)

    assert _run(database_url, body).status == Status.ACTIVE


@pytest.mark.parametrize(("method", "contact"), [(ContactMethod.EMAIL, "anna.k@example.org"),
                                                 (ContactMethod.PHONE, "+46701234567")])
def test_a_ticket_is_resolved_without_claiming_and_a_person_awaiting_a_call_or_email_gets_no_message(
        database_url: str, method: ContactMethod, contact: str) -> None:
    async def body(office: Office) -> tuple[Handoff, Host, list[tuple[str, BotMessage, Author]]]:
        bert = await office.host(name="Bert")
        ticket = await office.handoff(Status.TICKET, method=method, contact=contact)
        resolved = await office.desk.resolve(ticket, bert, "Ringde upp, bostadsfrågan löst.")
        return resolved, bert, office.outbox.pushed

    resolved, bert, pushed = _run(database_url, body)
    assert (resolved.status, resolved.host_id, resolved.note) == (Status.RESOLVED, bert.id,
                                                                  "Ringde upp, bostadsfrågan löst.")
    assert aware(resolved.closed_at) == CLOCK
    assert pushed == []


def test_resolving_a_chat_tells_the_person_who_closed_it(database_url: str) -> None:
    async def body(office: Office) -> tuple[Handoff, list[BotMessage]]:
        anna = await office.host(name="Anna")
        active = await office.handoff(Status.ACTIVE, language="ar", host=anna)
        return await office.desk.resolve(active, anna, "Svarat om förskola"), office.outbox.to(active)

    resolved, told = _run(database_url, body)
    assert resolved.status == Status.RESOLVED and resolved.note == "Svarat om förskola"
    assert [m.text for m in told] == [text("ar", "handoff_resolved", host_name="Anna")]
    assert told[0].meta.language == "ar"


# Offered first to hosts who speak the person's language. These run in Kiruna, where no other test
# of the desk has hosts online, so "who is online" is what each test sets up (the PostgreSQL test
# database is shared by the session). The window is measured on the desk's clock; being online is real time.
JUST_QUEUED = CLOCK - dt.timedelta(seconds=30)


def test_a_host_who_speaks_the_language_claims_at_once_and_the_match_is_stored(database_url: str) -> None:
    async def body(office: Office) -> tuple[Handoff, Host]:
        olena = await office.host("kiruna", "Olena", languages=("sv", "uk"), online=True)
        await office.host("kiruna", "Bert", languages=("sv",), online=True)
        waiting = await office.handoff(Status.WAITING, language="uk", queued_at=JUST_QUEUED, municipality="kiruna")
        await office.desk.claim(waiting, olena)
        return await office.handoffs.get(waiting.id), olena

    stored, olena = _run(database_url, body)
    assert (stored.status, stored.host_id, stored.language_match) == (Status.ACTIVE, olena.id, True)


def test_another_host_is_refused_inside_the_window_while_a_speaker_is_online(database_url: str) -> None:
    async def body(office: Office) -> tuple[Handoff, str, list[BotMessage]]:
        await office.host("kiruna", "Olena", languages=("uk",), online=True)
        bert = await office.host("kiruna", "Bert", languages=("sv", "en"), online=True)
        waiting = await office.handoff(Status.WAITING, language="uk", queued_at=JUST_QUEUED, municipality="kiruna")
        with pytest.raises(OfferedFirst) as refused:
            await office.desk.claim(waiting, bert)
        return await office.handoffs.get(waiting.id), refused.value.reason, office.outbox.to(waiting)

    stored, reason, told = _run(database_url, body)
    assert (stored.status, stored.host_id, stored.language_match) == (Status.WAITING, None, None)
    assert reason == "this conversation is offered first to hosts who speak Ukrainian"
    assert told == []


def test_anyone_claims_at_once_when_no_online_host_speaks_the_language(database_url: str) -> None:
    async def body(office: Office) -> Handoff:
        await office.host("kiruna", "Amira", languages=("ar",))  # speaks it, but her console is closed
        await office.host("boden", "Samir", languages=("ar",), online=True)  # online, but for Boden
        bert = await office.host("kiruna", "Bert", languages=("sv",), online=True)
        waiting = await office.handoff(Status.WAITING, language="ar", queued_at=JUST_QUEUED, municipality="kiruna")
        await office.desk.claim(waiting, bert)
        return await office.handoffs.get(waiting.id)

    stored = _run(database_url, body)
    assert (stored.status, stored.language_match) == (Status.ACTIVE, False)


def test_anyone_claims_once_the_window_is_over(database_url: str) -> None:
    async def body(office: Office) -> tuple[Handoff, Handoff]:
        await office.host("kiruna", "Olena", languages=("uk",), online=True)
        bert = await office.host("kiruna", "Bert", languages=("sv",), online=True)
        still = await office.handoff(Status.WAITING, language="uk", municipality="kiruna",
                                     queued_at=CLOCK - OFFER_FIRST + dt.timedelta(seconds=1))
        with pytest.raises(OfferedFirst):
            await office.desk.claim(still, bert)
        over = await office.handoff(Status.WAITING, language="uk", queued_at=CLOCK - OFFER_FIRST,
                                    municipality="kiruna")
        await office.desk.claim(over, bert)
        return await office.handoffs.get(still.id), await office.handoffs.get(over.id)

    still, over = _run(database_url, body)
    assert still.status == Status.WAITING
    assert (over.status, over.language_match) == (Status.ACTIVE, False)


def test_a_ticket_is_not_offered_first(database_url: str) -> None:
    """A ticket was promised contact later; whoever takes it up first is welcome."""
    async def body(office: Office) -> Handoff:
        await office.host("kiruna", "Olena", languages=("uk",), online=True)
        bert = await office.host("kiruna", "Bert", languages=("sv",), online=True)
        ticket = await office.handoff(Status.TICKET, language="uk", queued_at=JUST_QUEUED, municipality="kiruna")
        await office.desk.claim(ticket, bert)
        return await office.handoffs.get(ticket.id)

    assert _run(database_url, body).status == Status.ACTIVE


def test_the_queue_sees_the_same_offer_the_desk_enforces(database_url: str) -> None:
    async def body(office: Office) -> tuple[dict, list[Host], list[Handoff]]:
        olena = await office.host("kiruna", "Olena", languages=("uk", "pl"), online=True)
        piotr = await office.host("kiruna", "Piotr", languages=("pl",), online=True)
        bert = await office.host("kiruna", "Bert", languages=("sv",), online=True)
        queue = [await office.handoff(Status.WAITING, language=lang, queued_at=when, municipality="kiruna")
                 for lang, when in (("uk", JUST_QUEUED), ("pl", CLOCK - OFFER_FIRST), ("de", JUST_QUEUED))]
        return await office.desk.offers(queue), [olena, piotr, bert], queue

    offers, (olena, piotr, bert), (uk, pl, de) = _run(database_url, body)
    speakers = {h.id for h in offers[uk.id].speakers}  # earlier tests' Olenas may be online too
    assert olena.id in speakers and not {piotr.id, bert.id} & speakers and offers[uk.id].first
    assert offers[uk.id].for_host(olena, "uk") and not offers[uk.id].for_host(bert, "uk")
    assert offers[uk.id].refuses(bert, "uk") and not offers[uk.id].refuses(olena, "uk")
    assert {olena.id, piotr.id} <= {h.id for h in offers[pl.id].speakers}
    assert not offers[pl.id].first and not offers[pl.id].for_host(piotr, "pl")  # the window is over
    assert offers[de.id].speakers == () and not offers[de.id].first
    assert offers[uk.id].until == JUST_QUEUED + OFFER_FIRST  # the queue page redraws itself then
    assert offers[pl.id].until is None and offers[de.id].until is None
