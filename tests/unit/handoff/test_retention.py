"""Conversations and handoffs are deleted after the municipality's retention period, and only then —
everywhere: our records, Rasa's tracker store (SQLite or PostgreSQL) — and expired sessions go too."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from pathlib import Path

from sqlalchemy import create_engine, select, text, update

import municipalities
from base.messages import HandoffReason
from handoff.records import HandoffStore, Status
from handoff.retention import run
from storage.schema import conversations, host_sessions
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
