"""The handoff intake and the queue/ticket decision, on SQLite and PostgreSQL, with a fixed clock."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from base.catalog import text
from base.dates import when
from base.messages import BotMessage, HandoffReason
from handoff.contact import find_phone
from handoff.hosts import HostStore
from handoff.intake import CANCEL, MEETING_START, YES, Intake
from handoff.records import HandoffStore
from storage.store import Store

#: Tuesday 24 November 2026, 10:00 in Sweden (Boden's hosts work 08:00–16:00) and 20:00 (closed).
OPEN = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
CLOSED = dt.datetime(2026, 11, 24, 19, 0, tzinfo=dt.UTC)


def _run(database_url: str, clock: dt.datetime, body: Callable[[Intake, HostStore, Store], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        store = Store(database_url)
        await store.create_schema()
        hosts = HostStore(store)
        intake = Intake(HandoffStore(store), hosts, clock=lambda: clock)
        try:
            return await body(intake, hosts, store)
        finally:
            await store.close()

    return asyncio.run(main())


async def _conversation(store: Store, municipality: str = "boden") -> str:
    conversation_id = f"test:{uuid.uuid4().hex}"
    await store.record_inbound(conversation_id, "test", "u", municipality, "hej", None)
    return conversation_id


async def _through_intake(intake: Intake, store: Store, said: list[str], language: str = "sv") -> list[BotMessage]:
    conversation_id = await _conversation(store)
    replies = await intake.begin(conversation_id, "boden", "test", language, HandoffReason.ASKED)
    for message in said:
        handoff = await intake.handoffs.current(conversation_id)
        replies = await intake.step(handoff, message)
    return replies


def test_outside_office_hours_the_request_becomes_a_ticket_with_the_next_opening(database_url: str) -> None:
    async def body(intake: Intake, hosts: HostStore, store: Store) -> list[BotMessage]:
        return await _through_intake(intake, store, ["/handoff_phone", "070-123 45 67", "Om bostad", YES])

    [reply] = _run(database_url, CLOSED, body)
    assert reply.meta.handoff_status == "ticket"
    how = text("sv", "handoff_by_phone", contact="+46701234567")
    assert reply.text == text("sv", "handoff_ticket", municipality_name="Boden", how=how,
                              opening="onsdag 25 november 08:00")
    # Rather than wait, the person may book a meeting with a host (handoff.meetings).
    assert [(b.title, b.payload) for b in reply.buttons] == [(text("sv", "meeting_offer_button"), MEETING_START)]


def test_on_a_holiday_a_host_online_does_not_make_a_queue_the_ticket_names_the_day_hosts_are_back(
        database_url: str) -> None:
    christmas_eve = dt.datetime(2026, 12, 24, 9, 0, tzinfo=dt.UTC)  # Thursday 10:00 in Boden

    async def body(intake: Intake, hosts: HostStore, store: Store) -> list[BotMessage]:
        host = await hosts.add(f"{uuid.uuid4().hex[:8]}@boden.example", "Anna", "x" * 12, "boden")
        await hosts.touch(host.id)
        return await _through_intake(intake, store, ["/handoff_chat", "Om bostad", YES], language="en")

    [reply] = _run(database_url, christmas_eve, body)
    assert reply.meta.handoff_status == "ticket"
    assert "Monday, December 28" in reply.text  # after Christmas Day, Boxing Day and the weekend


def test_in_office_hours_with_a_host_online_the_person_is_queued(database_url: str) -> None:
    async def body(intake: Intake, hosts: HostStore, store: Store) -> tuple[list[BotMessage], list[BotMessage]]:
        host = await hosts.add(f"{uuid.uuid4().hex[:8]}@boden.example", "Anna", "x" * 12, "boden")
        await hosts.touch(host.id)
        first = await _through_intake(intake, store, ["/handoff_chat", "Om förskola", YES])
        second = await _through_intake(intake, store, ["/handoff_chat", "Om skola", YES], language="en")
        return first, second

    first, second = _run(database_url, OPEN, body)
    assert first[0].meta.handoff_status == "waiting"
    assert second[0].text.startswith("Thank you. You are number ")
    position = int(second[0].text.split("number ")[1].split(" ")[0])
    assert position >= 2  # behind the Swedish request (and any others this database holds)


def test_a_wrong_address_is_asked_again_and_cancel_returns_to_the_bot(database_url: str) -> None:
    async def body(intake: Intake, hosts: HostStore, store: Store) -> tuple[list[BotMessage], list[BotMessage], object]:
        conversation_id = await _conversation(store)
        await intake.begin(conversation_id, "boden", "test", "de", HandoffReason.FAILED)
        handoff = await intake.handoffs.current(conversation_id)
        await intake.step(handoff, "/handoff_email")
        handoff = await intake.handoffs.current(conversation_id)
        again = await intake.step(handoff, "meine adresse ist kaputt")
        handoff = await intake.handoffs.current(conversation_id)
        cancelled = await intake.step(handoff, CANCEL)
        return again, cancelled, await intake.handoffs.current(conversation_id)

    again, cancelled, current = _run(database_url, OPEN, body)
    assert again[0].text == text("de", "handoff_invalid_email")
    assert cancelled[0].text == text("de", "handoff_declined")
    assert current is None  # no open handoff: the bot answers again


def test_phone_numbers_are_read_in_swedish_and_international_forms() -> None:
    assert find_phone("ring mig på 070-123 45 67") == "+46701234567"
    assert find_phone("my number is +48 601 234 567") == "+48601234567"
    assert find_phone("inget nummer här") is None


def test_asking_something_else_instead_of_choosing_lets_the_offer_lapse(database_url: str) -> None:
    async def body(intake: Intake, hosts: HostStore, store: Store) -> tuple[object, object]:
        conversation_id = await _conversation(store)
        await intake.begin(conversation_id, "boden", "test", "en", HandoffReason.FAILED)
        handoff = await intake.handoffs.current(conversation_id)
        return await intake.step(handoff, "How much does the bus cost?"), await intake.handoffs.current(conversation_id)

    answer, current = _run(database_url, OPEN, body)
    assert answer is None and current is None  # the bot answers the bus question instead


@pytest.mark.parametrize(("language", "parts"), [
    ("sv", ("måndag", "28 december", "08:00")),
    ("en", ("Monday", "December 28", "8:00")),
    ("de", ("Montag", "28. Dezember", "08:00")),
    ("ar", ("الاثنين", "28 ديسمبر", "8:00")),
])
def test_the_opening_names_weekday_date_and_time_in_the_persons_language(language: str,
                                                                         parts: tuple[str, ...]) -> None:
    opening = when(dt.datetime(2026, 12, 28, 8, 0, tzinfo=ZoneInfo("Europe/Stockholm")), language)
    assert all(part in opening for part in parts), opening
    assert opening.index(parts[0]) < opening.index(parts[2])  # the day before the time
