"""Handoff records: one row per request for a human host, from intake to resolution.

They live beside the conversation records (same database, same metadata), so a host's view of
a conversation is one join away and a retention job deletes both together.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    and_,
    func,
    or_,
    select,
    update,
)

from connectors.store import Store, aware, metadata, now

#: intake → (waiting → active) | ticket → resolved; declined and returned end with the bot.
OPEN = ("intake", "waiting", "active", "ticket")
WITH_HUMAN = ("waiting", "active")

handoffs = Table(
    "handoffs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(200), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("municipality", String(64), nullable=False, index=True),
    Column("channel", String(20), nullable=False),
    Column("language", String(8), nullable=False),
    Column("status", String(12), nullable=False),
    Column("step", String(12)),  # intake: method | contact | need | consent
    Column("reason", String(12), nullable=False),  # asked | failed | personal | emergency
    Column("contact_method", String(8)),  # chat | email | phone
    Column("contact_value", String(200)),
    Column("need", Text),
    Column("consent", Boolean, nullable=False, default=False),
    Column("host_id", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("queued_at", DateTime(timezone=True)),
    Column("claimed_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("note", Text),
)


@dataclass(frozen=True)
class Handoff:
    id: int
    conversation_id: str
    municipality: str
    channel: str
    language: str
    status: str
    step: str | None
    reason: str
    contact_method: str | None
    contact_value: str | None
    need: str | None
    consent: bool
    host_id: int | None
    created_at: dt.datetime
    queued_at: dt.datetime | None
    claimed_at: dt.datetime | None
    closed_at: dt.datetime | None
    note: str | None


def _handoff(row: Any) -> Handoff:
    return Handoff(**{name: row[name] for name in Handoff.__dataclass_fields__})


class HandoffStore:
    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    async def current(self, conversation_id: str) -> Handoff | None:
        """The conversation's open handoff, if any."""
        query = (select(handoffs).where(handoffs.c.conversation_id == conversation_id, handoffs.c.status.in_(OPEN))
                 .order_by(handoffs.c.id.desc()).limit(1))
        async with self.engine.connect() as connection:
            row = (await connection.execute(query)).mappings().first()
        return None if row is None else _handoff(row)

    async def start(self, conversation_id: str, municipality: str, channel: str, language: str,
                    reason: str) -> Handoff:
        async with self.engine.begin() as connection:
            result = await connection.execute(handoffs.insert().values(
                conversation_id=conversation_id, municipality=municipality, channel=channel, language=language,
                status="intake", step="method", reason=reason, consent=False, created_at=now()))
            new_id = int(result.inserted_primary_key[0])
        found = await self.get(new_id)
        assert found is not None
        return found

    async def get(self, handoff_id: int) -> Handoff | None:
        async with self.engine.connect() as connection:
            row = (await connection.execute(select(handoffs).where(handoffs.c.id == handoff_id))).mappings().first()
        return None if row is None else _handoff(row)

    async def change(self, handoff_id: int, **values: Any) -> Handoff:
        async with self.engine.begin() as connection:
            await connection.execute(update(handoffs).where(handoffs.c.id == handoff_id).values(**values))
        found = await self.get(handoff_id)
        assert found is not None
        return found

    async def waiting_before(self, handoff: Handoff) -> int:
        """How many of the municipality's waiting conversations entered the queue before this one."""
        earlier = or_(handoffs.c.queued_at < handoff.queued_at,
                      and_(handoffs.c.queued_at == handoff.queued_at, handoffs.c.id < handoff.id))
        query = select(func.count()).select_from(handoffs).where(
            handoffs.c.municipality == handoff.municipality, handoffs.c.status == "waiting", earlier)
        async with self.engine.connect() as connection:
            return int((await connection.execute(query)).scalar_one())

    async def recent_waits(self, municipality: str, limit: int = 20) -> list[float]:
        """Seconds from queueing to a host's claim, for the municipality's latest claimed chats."""
        query = (select(handoffs.c.queued_at, handoffs.c.claimed_at)
                 .where(handoffs.c.municipality == municipality, handoffs.c.claimed_at.is_not(None),
                        handoffs.c.queued_at.is_not(None))
                 .order_by(handoffs.c.claimed_at.desc()).limit(limit))
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [(aware(claimed) - aware(queued)).total_seconds() for queued, claimed in rows]

    async def by_status(self, municipality: str | None, statuses: tuple[str, ...]) -> list[Handoff]:
        query = select(handoffs).where(handoffs.c.status.in_(statuses)).order_by(handoffs.c.id)
        if municipality is not None:
            query = query.where(handoffs.c.municipality == municipality)
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [_handoff(row) for row in rows]
