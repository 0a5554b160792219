"""Booked meetings: one row per slot a person took, from the pick in the chat to the meeting.

No double booking, also across app processes: a meeting that holds its slot carries the slot's
key ("<host>@<start>") in a unique column, and a second insert of the same key fails in the
database whichever process tries it. A hold that was never completed lapses after ``HOLD``; it
gives its key up the moment someone else asks for the slot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from storage.schema import meetings
from storage.store import Store, aware

#: How long a picked slot is kept for a person who is still typing their e-mail address.
HOLD = dt.timedelta(minutes=15)


class MeetingStatus(StrEnum):
    HELD = "held"  # picked; the chat asks for the e-mail address and the subject
    BOOKED = "booked"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # the hold lapsed before the booking was completed


class Step(StrEnum):
    """What the chat asks next while a slot is held."""

    EMAIL = "email"
    PHONE = "phone"  # only when the host has no video link and will call
    TOPIC = "topic"


#: A slot's start as buttons, forms and keys carry it: UTC to the minute, e.g. "20261207T0800Z".
_SLOT_ID = "%Y%m%dT%H%MZ"


def slot_id(starts_at: dt.datetime) -> str:
    return f"{starts_at.astimezone(dt.UTC):{_SLOT_ID}}"


def parse_slot_id(raw: str) -> dt.datetime | None:
    """The start a button or form sent back; None for anything else."""
    try:
        return dt.datetime.strptime(raw, _SLOT_ID).replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def slot_key(host_id: int, starts_at: dt.datetime) -> str:
    return f"{host_id}@{slot_id(starts_at)}"


@dataclass(frozen=True)
class Meeting:
    id: int
    conversation_id: str
    municipality: str
    host_id: int
    language: str
    starts_at: dt.datetime
    minutes: int
    status: MeetingStatus
    step: Step | None
    email: str | None
    phone: str | None
    topic: str | None
    sequence: int
    created_at: dt.datetime
    booked_at: dt.datetime | None

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + dt.timedelta(minutes=self.minutes)


def _meeting(row: Any) -> Meeting:
    return Meeting(id=row["id"], conversation_id=row["conversation_id"], municipality=row["municipality"],
                   host_id=row["host_id"], language=row["language"], starts_at=aware(row["starts_at"]),
                   minutes=row["minutes"], status=MeetingStatus(row["status"]),
                   step=Step(row["step"]) if row["step"] else None, email=row["email"], phone=row["phone"],
                   topic=row["topic"], sequence=row["sequence"], created_at=aware(row["created_at"]),
                   booked_at=aware(row["booked_at"]) if row["booked_at"] else None)


class MeetingStore:
    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    async def hold(self, conversation_id: str, municipality: str, host_id: int, language: str,
                   starts_at: dt.datetime, minutes: int, step: Step, at: dt.datetime) -> Meeting | None:
        """Take the slot for this conversation; None when someone else holds or booked it."""
        key = slot_key(host_id, starts_at)
        try:
            async with self.engine.begin() as connection:
                await connection.execute(update(meetings).where(
                    meetings.c.slot_key == key, meetings.c.status == MeetingStatus.HELD,
                    meetings.c.created_at < at - HOLD).values(status=MeetingStatus.EXPIRED, slot_key=None, step=None))
                result = await connection.execute(meetings.insert().values(
                    conversation_id=conversation_id, municipality=municipality, host_id=host_id, language=language,
                    starts_at=starts_at.astimezone(dt.UTC), minutes=minutes, status=MeetingStatus.HELD, step=step,
                    slot_key=key, sequence=0, created_at=at))
                meeting_id = result.inserted_primary_key[0]
        except IntegrityError:
            return None
        return await self.get(meeting_id)

    async def get(self, meeting_id: int) -> Meeting | None:
        async with self.engine.connect() as connection:
            row = (await connection.execute(select(meetings).where(meetings.c.id == meeting_id))).mappings().first()
        return None if row is None else _meeting(row)

    async def by_token(self, token_hash: str) -> Meeting | None:
        async with self.engine.connect() as connection:
            row = (await connection.execute(
                select(meetings).where(meetings.c.token_hash == token_hash))).mappings().first()
        return None if row is None else _meeting(row)

    async def in_progress(self, conversation_id: str, at: dt.datetime) -> Meeting | None:
        """The conversation's held slot whose questions are still being answered (not lapsed)."""
        query = select(meetings).where(meetings.c.conversation_id == conversation_id,
                                       meetings.c.status == MeetingStatus.HELD, meetings.c.created_at >= at - HOLD
                                       ).order_by(meetings.c.id.desc())
        async with self.engine.connect() as connection:
            row = (await connection.execute(query)).mappings().first()
        return None if row is None else _meeting(row)

    async def change(self, meeting_id: int, **values: Any) -> Meeting:
        async with self.engine.begin() as connection:
            await connection.execute(update(meetings).where(meetings.c.id == meeting_id).values(**values))
        found = await self.get(meeting_id)
        assert found is not None
        return found

    async def book(self, meeting_id: int, token_hash: str, at: dt.datetime) -> Meeting:
        return await self.change(meeting_id, status=MeetingStatus.BOOKED, step=None, token_hash=token_hash,
                                 booked_at=at)

    async def cancel(self, meeting_id: int, by: str, at: dt.datetime) -> Meeting | None:
        """Let the slot go; None when the meeting was not held or booked any more (cancelled twice)."""
        async with self.engine.begin() as connection:
            result = await connection.execute(update(meetings).where(
                meetings.c.id == meeting_id, meetings.c.status.in_((MeetingStatus.HELD, MeetingStatus.BOOKED))
            ).values(status=MeetingStatus.CANCELLED, slot_key=None, step=None, cancelled_at=at, cancelled_by=by,
                     sequence=meetings.c.sequence + 1))
        return await self.get(meeting_id) if result.rowcount else None

    async def move(self, meeting_id: int, host_id: int, starts_at: dt.datetime, minutes: int) -> Meeting | None:
        """Move a booked meeting to another slot in one statement; None when that slot is taken."""
        try:
            async with self.engine.begin() as connection:
                result = await connection.execute(update(meetings).where(
                    meetings.c.id == meeting_id, meetings.c.status == MeetingStatus.BOOKED
                ).values(host_id=host_id, starts_at=starts_at.astimezone(dt.UTC), minutes=minutes,
                         slot_key=slot_key(host_id, starts_at), reminded_at=None, sequence=meetings.c.sequence + 1))
        except IntegrityError:
            return None
        return await self.get(meeting_id) if result.rowcount else None

    async def taken(self, municipality: str, since: dt.datetime, at: dt.datetime) -> set[str]:
        """Keys of the municipality's slots from ``since`` that are booked or freshly held."""
        query = select(meetings.c.slot_key).where(
            meetings.c.municipality == municipality, meetings.c.starts_at >= since, meetings.c.slot_key.is_not(None),
            or_(meetings.c.status == MeetingStatus.BOOKED,
                and_(meetings.c.status == MeetingStatus.HELD, meetings.c.created_at >= at - HOLD)))
        async with self.engine.connect() as connection:
            return {row[0] for row in (await connection.execute(query)).all()}

    async def upcoming(self, *, host_id: int | None = None, conversation_id: str | None = None,
                       email: str | None = None, municipality: str | None = None,
                       since: dt.datetime) -> list[Meeting]:
        """Booked meetings that have not ended, soonest first: a host's, one conversation's or one
        e-mail address's (in any letter case), in any municipality or one."""
        query = select(meetings).where(meetings.c.status == MeetingStatus.BOOKED,
                                       meetings.c.starts_at >= since - dt.timedelta(hours=3))
        if host_id is not None:
            query = query.where(meetings.c.host_id == host_id)
        if conversation_id is not None:
            query = query.where(meetings.c.conversation_id == conversation_id)
        if email is not None:
            query = query.where(func.lower(meetings.c.email) == email.lower())
        if municipality is not None:
            query = query.where(meetings.c.municipality == municipality)
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query.order_by(meetings.c.starts_at))).mappings().all()
        return [m for m in map(_meeting, rows) if m.ends_at > since]

    async def due_reminders(self, at: dt.datetime, ahead: dt.timedelta) -> list[Meeting]:
        query = select(meetings).where(meetings.c.status == MeetingStatus.BOOKED, meetings.c.reminded_at.is_(None),
                                       meetings.c.starts_at > at, meetings.c.starts_at <= at + ahead)
        async with self.engine.connect() as connection:
            return [_meeting(row) for row in (await connection.execute(query)).mappings().all()]

    async def mark_reminded(self, meeting_id: int, at: dt.datetime) -> bool:
        """True for the one process that marks it first: each reminder goes out once."""
        async with self.engine.begin() as connection:
            result = await connection.execute(update(meetings).where(
                meetings.c.id == meeting_id, meetings.c.reminded_at.is_(None)).values(reminded_at=at))
        return bool(result.rowcount)
