"""Meeting records: the database refuses a second booking of a slot, whichever process asks."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from sqlalchemy import delete

from handoff.hosts import HostStore
from handoff.meetings.records import HOLD, MeetingStatus, MeetingStore, Step
from storage.schema import hosts as hosts_table
from storage.store import Store

NOW = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)


async def _setup(database_url: str) -> tuple[Store, int, list[str]]:
    store = Store(database_url)
    await store.create_schema()
    host = await HostStore(store).add(f"h-{uuid.uuid4().hex[:8]}@boden.example", "Sara", "a long password 123",
                                      "boden")
    conversations = []
    for _ in range(2):
        conversation_id = f"test:{uuid.uuid4().hex}"
        await store.record_inbound(conversation_id, "test", "u", "boden", "hej", None)
        conversations.append(conversation_id)
    return store, host.id, conversations


async def _teardown(store: Store, host_id: int) -> None:
    async with store.engine.begin() as connection:
        await connection.execute(delete(hosts_table).where(hosts_table.c.id == host_id))
    await store.close()


def test_two_processes_picking_the_same_slot_at_once_book_it_once(database_url: str) -> None:
    """Two Stores are two connection pools, as two app processes have: each races for 20 slots."""
    async def main() -> list[int]:
        store, host_id, (first, second) = await _setup(database_url)
        other = Store(database_url)
        winners = []
        try:
            for hour in range(20):
                starts = NOW + dt.timedelta(days=1, hours=hour)
                results = await asyncio.gather(
                    MeetingStore(store).hold(first, "boden", host_id, "pl", starts, 45, Step.EMAIL, NOW),
                    MeetingStore(other).hold(second, "boden", host_id, "sv", starts, 45, Step.EMAIL, NOW))
                winners.append(sum(result is not None for result in results))
        finally:
            await other.close()
            await _teardown(store, host_id)
        return winners

    assert asyncio.run(main()) == [1] * 20


def test_a_lapsed_hold_gives_its_slot_to_the_next_person_and_a_move_onto_a_taken_slot_fails(
        database_url: str) -> None:
    async def main() -> None:
        store, host_id, (first, second) = await _setup(database_url)
        meetings = MeetingStore(store)
        starts, later = NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=2)
        try:
            held = await meetings.hold(first, "boden", host_id, "pl", starts, 45, Step.EMAIL, NOW)
            assert held is not None
            assert await meetings.hold(second, "boden", host_id, "sv", starts, 45, Step.EMAIL, NOW + HOLD / 2) is None
            taken_over = await meetings.hold(second, "boden", host_id, "sv", starts, 45, Step.EMAIL,
                                             NOW + HOLD + dt.timedelta(minutes=1))
            assert taken_over is not None
            assert (await meetings.get(held.id)).status == MeetingStatus.EXPIRED
            assert await meetings.in_progress(first, NOW + HOLD) is None

            booked = await meetings.book(taken_over.id, "hash-1", NOW)
            blocker = await meetings.hold(first, "boden", host_id, "pl", later, 45, Step.EMAIL, NOW)
            assert blocker is not None
            assert await meetings.move(booked.id, host_id, later, 45) is None  # held by the first person
            assert (await meetings.get(booked.id)).starts_at == starts
            assert await meetings.cancel(booked.id, "person", NOW) is not None
            assert await meetings.cancel(booked.id, "person", NOW) is None
        finally:
            await _teardown(store, host_id)

    asyncio.run(main())
