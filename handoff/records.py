"""Handoff records: one row per request for a human host, from intake to resolution.

They live beside the conversation records (same database, same metadata), so a host's view of
a conversation is one join away and a retention job deletes both together.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, func, or_, select, update

from base.clock import now
from base.messages import HandoffReason
from base.metrics import HANDOFFS
from storage.schema import handoffs
from storage.store import Store, aware


class Status(StrEnum):
    """Where a handoff stands: intake → (waiting → active) | ticket → resolved.

    ``declined`` (the person said no thanks, or asked something else) and ``returned`` (the host
    handed back) end with the bot answering again.
    """

    INTAKE = "intake"
    WAITING = "waiting"
    ACTIVE = "active"
    TICKET = "ticket"
    RESOLVED = "resolved"
    RETURNED = "returned"
    DECLINED = "declined"


#: A handoff in one of these is still going on.
OPEN = (Status.INTAKE, Status.WAITING, Status.ACTIVE, Status.TICKET)
#: While a host is awaited or chatting, the bot stays silent.
WITH_HUMAN = (Status.WAITING, Status.ACTIVE)
#: How a handoff ended (the console's history).
CLOSED = (Status.RESOLVED, Status.RETURNED)


class Step(StrEnum):
    """The intake's question the person is answering."""

    METHOD = "method"
    CONTACT = "contact"
    NEED = "need"
    CONSENT = "consent"


class ContactMethod(StrEnum):
    CHAT = "chat"
    EMAIL = "email"
    PHONE = "phone"


@dataclass(frozen=True)
class Handoff:
    id: int
    conversation_id: str
    municipality: str
    channel: str
    language: str
    status: Status
    step: Step | None
    reason: HandoffReason
    contact_method: ContactMethod | None
    contact_value: str | None
    need: str | None
    consent: bool
    host_id: int | None
    created_at: dt.datetime
    queued_at: dt.datetime | None
    claimed_at: dt.datetime | None
    closed_at: dt.datetime | None
    note: str | None
    ticket: bool = False  # submitted as a ticket (nobody could answer at once), whatever came later
    language_match: bool | None = None  # None until claimed; then whether the host speaks the language


def _handoff(row: Any) -> Handoff:
    values = {name: row[name] for name in Handoff.__dataclass_fields__}
    values.update(status=Status(row["status"]), reason=HandoffReason(row["reason"]),
                  step=Step(row["step"]) if row["step"] else None,
                  contact_method=ContactMethod(row["contact_method"]) if row["contact_method"] else None)
    return Handoff(**values)


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
                    reason: HandoffReason) -> Handoff:
        async with self.engine.begin() as connection:
            result = await connection.execute(handoffs.insert().values(
                conversation_id=conversation_id, municipality=municipality, channel=channel, language=language,
                status=Status.INTAKE, step=Step.METHOD, reason=reason, consent=False, created_at=now()))
            new_id = int(result.inserted_primary_key[0])
        HANDOFFS.labels(municipality, Status.INTAKE).inc()
        found = await self.get(new_id)
        assert found is not None
        return found

    async def get(self, handoff_id: int) -> Handoff | None:
        async with self.engine.connect() as connection:
            row = (await connection.execute(select(handoffs).where(handoffs.c.id == handoff_id))).mappings().first()
        return None if row is None else _handoff(row)

    async def transition(self, handoff_id: int, allowed: tuple[Status, ...], **values: Any) -> Handoff | None:
        """Change the handoff only if it is still in one of the allowed states (None if not).

        One conditional UPDATE, so two hosts pressing "claim" at the same moment — on one app
        process or two — cannot both get the conversation.
        """
        async with self.engine.begin() as connection:
            result = await connection.execute(update(handoffs).where(
                handoffs.c.id == handoff_id, handoffs.c.status.in_(allowed)).values(**values))
        if result.rowcount != 1:
            return None
        found = await self.get(handoff_id)
        if found is not None and "status" in values:
            HANDOFFS.labels(found.municipality, str(values["status"])).inc()
        return found

    async def change(self, handoff_id: int, **values: Any) -> Handoff:
        async with self.engine.begin() as connection:
            await connection.execute(update(handoffs).where(handoffs.c.id == handoff_id).values(**values))
        found = await self.get(handoff_id)
        assert found is not None
        if "status" in values:
            HANDOFFS.labels(found.municipality, str(values["status"])).inc()
        return found

    async def waiting_counts(self) -> dict[str, int]:
        """How many conversations wait for a host, per municipality."""
        query = (select(handoffs.c.municipality, func.count()).where(handoffs.c.status == Status.WAITING)
                 .group_by(handoffs.c.municipality))
        async with self.engine.connect() as connection:
            return {row[0]: int(row[1]) for row in (await connection.execute(query)).all()}

    async def waiting_before(self, handoff: Handoff) -> int:
        """How many of the municipality's waiting conversations entered the queue before this one."""
        earlier = or_(handoffs.c.queued_at < handoff.queued_at,
                      and_(handoffs.c.queued_at == handoff.queued_at, handoffs.c.id < handoff.id))
        query = select(func.count()).select_from(handoffs).where(
            handoffs.c.municipality == handoff.municipality, handoffs.c.status == Status.WAITING, earlier)
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

    async def by_status(self, municipality: str | None, statuses: tuple[Status, ...]) -> list[Handoff]:
        query = select(handoffs).where(handoffs.c.status.in_(statuses)).order_by(handoffs.c.id)
        if municipality is not None:
            query = query.where(handoffs.c.municipality == municipality)
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [_handoff(row) for row in rows]
