"""Conversations and handoffs are deleted after the municipality's retention period, and only then."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import uuid
from pathlib import Path

import municipalities
from base.messages import HandoffReason
from handoff.records import HandoffStore, Status
from handoff.retention import run
from storage.store import Store

RETENTION = municipalities.load_all()["boden"].retention_days


def test_retention_deletes_old_conversations_everywhere_and_keeps_recent_ones(database_url: str,
                                                                              tmp_path: Path) -> None:
    tracker = tmp_path / "rasa-tracker.sqlite"
    with sqlite3.connect(tracker) as db:
        db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, data TEXT)")

    async def main() -> tuple[int, int, int, int, list[str]]:
        store = Store(database_url)
        await store.create_schema()
        old, recent = f"test:{uuid.uuid4().hex}", f"test:{uuid.uuid4().hex}"
        for conversation_id in (old, recent):
            await store.record_inbound(conversation_id, "test", "u", "boden", "Mitt personnummer är …", None)
            await HandoffStore(store).start(conversation_id, "boden", "test", "sv", HandoffReason.ASKED)
            with sqlite3.connect(tracker) as db:
                db.execute("INSERT INTO events (sender_id, data) VALUES (?, '{}')", (conversation_id,))
        # The recent conversation's last message is 10 days before the run; the old one's just past retention.
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=RETENTION, hours=1)
        async with store.engine.begin() as connection:
            from sqlalchemy import update

            from storage.schema import conversations
            await connection.execute(update(conversations).where(conversations.c.id == recent)
                                     .values(updated_at=later - dt.timedelta(days=10)))
        deleted = await run(store, tracker, moment=later)
        kept = await store.count_messages(recent)
        gone = await store.count_messages(old)
        handoffs_left = len([h for h in await HandoffStore(store).by_status("boden", (Status.INTAKE,))
                             if h.conversation_id in (old, recent)])
        with sqlite3.connect(tracker) as db:
            senders = [row[0] for row in db.execute("SELECT sender_id FROM events")]
        await store.close()
        return deleted, kept, gone, handoffs_left, senders

    deleted, kept, gone, handoffs_left, senders = asyncio.run(main())
    assert deleted >= 1
    assert kept == 1 and gone == 0
    assert handoffs_left == 1
    assert len(senders) == 1 and senders[0].startswith("test:")
