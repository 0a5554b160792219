"""Deletes conversations, their messages and handoffs after each municipality's retention period.

    python -m app retention            # run it daily (cron, a systemd timer, a k8s CronJob)

A conversation is kept for its municipality's ``retention_days`` after its last message; one with
no municipality (the person never said which) for the shortest period any municipality sets.
The Rasa tracker store's events of those conversations are deleted too, so nothing of what the
person wrote remains. The same deletion serves a person who asks the bot to forget them.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from sqlalchemy import delete, or_, select

import municipalities
from base.clock import now
from storage.schema import conversations, handoffs, messages
from storage.store import Store


async def forget(store: Store, conversation_ids: list[str], rasa_tracker_db: Path | None) -> int:
    """Delete these conversations everywhere this product keeps them; how many were deleted."""
    if not conversation_ids:
        return 0
    async with store.engine.begin() as connection:
        # Explicit child deletes: SQLite connections without the foreign-key pragma would not cascade.
        await connection.execute(delete(handoffs).where(handoffs.c.conversation_id.in_(conversation_ids)))
        await connection.execute(delete(messages).where(messages.c.conversation_id.in_(conversation_ids)))
        result = await connection.execute(delete(conversations).where(conversations.c.id.in_(conversation_ids)))
    if rasa_tracker_db is not None and rasa_tracker_db.exists():
        with sqlite3.connect(rasa_tracker_db) as tracker:
            exists = tracker.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='events'").fetchone()
            if exists:
                tracker.executemany("DELETE FROM events WHERE sender_id = ?", [(c,) for c in conversation_ids])
    return int(result.rowcount or 0)


async def expired(store: Store, moment: dt.datetime) -> list[str]:
    """Ids of conversations past their municipality's retention period at this moment."""
    places = municipalities.load_all()
    shortest = min((m.retention_days for m in places.values()), default=90)
    conditions = [(conversations.c.municipality == mid) & (conversations.c.updated_at < moment
                                                          - dt.timedelta(days=m.retention_days))
                  for mid, m in places.items()]
    conditions.append(conversations.c.municipality.is_(None)
                      & (conversations.c.updated_at < moment - dt.timedelta(days=shortest)))
    async with store.engine.connect() as connection:
        rows = (await connection.execute(select(conversations.c.id).where(or_(*conditions)))).all()
    return [row[0] for row in rows]


async def run(store: Store, rasa_tracker_db: Path | None, moment: dt.datetime | None = None) -> int:
    return await forget(store, await expired(store, moment or now()), rasa_tracker_db)
