"""Conversations and handoffs are deleted after the municipality's retention period, and only then —
everywhere: our records, Rasa's tracker store (SQLite or PostgreSQL) — and expired sessions go too."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from pathlib import Path

from sqlalchemy import create_engine, delete, select, text, update

import municipalities
from base.messages import HandoffReason
from handoff.hosts import HostStore
from handoff.meetings.records import MeetingStatus, MeetingStore, Step
from handoff.records import HandoffStore, Status
from handoff.retention import run
from storage.schema import conversations, host_sessions, meetings
from storage.schema import hosts as hosts_table
from storage.store import Store
from storage.tracker import TrackerEvents

RETENTION = municipalities.load_all()["boden"].retention_days


def _tracker_url(database_url: str, tmp_path: Path) -> str:
    """Rasa's tracker store beside our records: its own SQLite file, or the same PostgreSQL server."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'rasa-tracker.sqlite'}"
    return database_url


def test_retention_deletes_old_conversations_everywhere_and_keeps_recent_ones(database_url: str,
                                                                              tmp_path: Path) -> None:
    tracker_url = _tracker_url(database_url, tmp_path)
    rasa_db = create_engine(tracker_url)
    with rasa_db.begin() as db:  # the shape of Rasa's SQL tracker store table
        db.execute(text("CREATE TABLE IF NOT EXISTS events (id SERIAL PRIMARY KEY, sender_id TEXT, data TEXT)"
                        if database_url.startswith("postgresql") else
                        "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, data TEXT)"))
    old, recent = f"test:{uuid.uuid4().hex}", f"test:{uuid.uuid4().hex}"

    async def main() -> tuple[int, int, int, int]:
        store = Store(database_url)
        await store.create_schema()
        for conversation_id in (old, recent):
            await store.record_inbound(conversation_id, "test", "u", "boden", "Mitt personnummer är …", None)
            await HandoffStore(store).start(conversation_id, "boden", "test", "sv", HandoffReason.ASKED)
            with rasa_db.begin() as db:
                db.execute(text("INSERT INTO events (sender_id, data) VALUES (:s, '{}')"), {"s": conversation_id})
        # The recent conversation's last message is 10 days before the run; the old one's just past retention.
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=RETENTION, hours=1)
        async with store.engine.begin() as connection:
            await connection.execute(update(conversations).where(conversations.c.id == recent)
                                     .values(updated_at=later - dt.timedelta(days=10)))
        tracker = TrackerEvents(tracker_url)
        deleted = await run(store, tracker, moment=later)
        tracker.close()
        kept = await store.count_messages(recent)
        gone = await store.count_messages(old)
        handoffs_left = len([h for h in await HandoffStore(store).by_status("boden", (Status.INTAKE,))
                             if h.conversation_id in (old, recent)])
        await store.close()
        return deleted, kept, gone, handoffs_left

    deleted, kept, gone, handoffs_left = asyncio.run(main())
    with rasa_db.begin() as db:
        senders = [row[0] for row in db.execute(text("SELECT sender_id FROM events WHERE sender_id IN (:a, :b)"),
                                                {"a": old, "b": recent})]
    rasa_db.dispose()
    assert deleted >= 1
    assert kept == 1 and gone == 0
    assert handoffs_left == 1
    assert senders == [recent]


def test_expired_console_sessions_are_purged_and_live_ones_kept(database_url: str) -> None:
    expired, live = uuid.uuid4().hex, uuid.uuid4().hex

    async def main() -> list[str]:
        store = Store(database_url)
        await store.create_schema()
        stamp = dt.datetime.now(dt.UTC)
        async with store.engine.begin() as connection:
            for token_hash, expires in ((expired, stamp - dt.timedelta(minutes=1)),
                                        (live, stamp + dt.timedelta(hours=1))):
                await connection.execute(host_sessions.insert().values(token_hash=token_hash, host_id=1, csrf="x",
                                                                       expires_at=expires))
        await run(store, None, moment=stamp)
        async with store.engine.connect() as connection:
            left = [row[0] for row in await connection.execute(
                select(host_sessions.c.token_hash).where(host_sessions.c.token_hash.in_([expired, live])))]
        await store.close()
        return left

    assert asyncio.run(main()) == [live]


def test_a_conversation_with_a_meeting_to_come_is_kept_until_the_meeting_has_begun(database_url: str) -> None:
    """Idle past its retention period, but booked for next week: deleting it would silently take the
    meeting from the host's list and the person's link; once the meeting has begun, it goes."""
    conversation_id = f"test:{uuid.uuid4().hex}"

    async def main() -> tuple[list[int], list[int], list[int]]:
        store = Store(database_url)
        await store.create_schema()
        host = await HostStore(store).add(f"h-{uuid.uuid4().hex[:8]}@boden.example", "Sara", "a long password 123",
                                          "boden")
        try:
            await store.record_inbound(conversation_id, "test", "u", "boden", "Kan vi ses?", None)
            later = dt.datetime.now(dt.UTC) + dt.timedelta(days=RETENTION, hours=1)
            records = MeetingStore(store)
            held = await records.hold(conversation_id, "boden", host.id, "sv", later + dt.timedelta(days=7), 30,
                                      Step.EMAIL, dt.datetime.now(dt.UTC))
            assert held is not None
            await records.book(held.id, uuid.uuid4().hex, dt.datetime.now(dt.UTC))
            tracker = None
            meeting_ids = select(meetings.c.id).where(meetings.c.conversation_id == conversation_id,
                                                      meetings.c.status == MeetingStatus.BOOKED)
            found = []
            for moment in (later, later + dt.timedelta(days=7, minutes=1)):
                await run(store, tracker, moment=moment)
                async with store.engine.connect() as connection:
                    found.append([row[0] for row in await connection.execute(meeting_ids)])
            async with store.engine.connect() as connection:
                left = [row[0] for row in await connection.execute(
                    select(conversations.c.id).where(conversations.c.id == conversation_id))]
            return found[0], found[1], left
        finally:
            async with store.engine.begin() as connection:
                await connection.execute(delete(hosts_table).where(hosts_table.c.id == host.id))
            await store.close()

    before, after, left = asyncio.run(main())
    assert len(before) == 1, "kept while the meeting is to come"
    assert after == [] and left == [], "deleted, meeting and all, once it has begun"
