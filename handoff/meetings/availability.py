"""When hosts hold first meetings: weekly hours, the exceptions to them, and the office calendar.

A host publishes recurring weekly hours ("Tuesdays 09:00, 45 minutes") and exceptions (a day
off, or one slot of a day). A slot is offered only on a day the municipality's office is open
(``OfficeHours.span``: public holidays, half-days and its own closed days) and only when it fits
within that day's hours, so a meeting never falls on midsummer eve or runs past a half-day's noon.
Times are the municipality's local time; stored moments are UTC.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select

import municipalities
from base.clock import now
from handoff.roles import Role
from storage.schema import hosts, meeting_exceptions, meeting_hours
from storage.store import Store

#: What a host may choose as a meeting's length.
LENGTHS = (30, 45, 60)
#: A slot is offered from this long ahead (the host must be able to see it coming) …
NOTICE = dt.timedelta(hours=2)
#: … up to this far ahead.
HORIZON = dt.timedelta(days=21)


class AvailabilityError(ValueError):
    """What a host entered cannot be a meeting time; the message is a key of the host texts."""


@dataclass(frozen=True)
class WeeklyHours:
    id: int
    host_id: int
    weekday: int  # 0 Monday … 6 Sunday
    start: dt.time
    minutes: int


@dataclass(frozen=True)
class Exception_:
    id: int
    host_id: int
    day: dt.date
    start: dt.time | None  # None: the whole day


@dataclass(frozen=True)
class Slot:
    host_id: int
    starts_at: dt.datetime  # aware, in the municipality's time zone
    minutes: int


def candidate_slots(place: municipalities.Municipality, weekly: list[WeeklyHours], exceptions: list[Exception_],
                    since: dt.datetime, until: dt.datetime) -> list[Slot]:
    """Every slot the hours give between two moments, less exceptions and closed office days, soonest first."""
    zone = place.office_hours.zone
    skipped_days = {(e.host_id, e.day) for e in exceptions if e.start is None}
    skipped_slots = {(e.host_id, e.day, e.start) for e in exceptions if e.start is not None}
    found: list[Slot] = []
    day = since.astimezone(zone).date()
    while day <= until.astimezone(zone).date():
        span = place.office_hours.span(day)
        for hours in weekly:
            if span is None or hours.weekday != day.weekday() or (hours.host_id, day) in skipped_days:
                continue
            if (hours.host_id, day, hours.start) in skipped_slots:
                continue
            starts = dt.datetime.combine(day, hours.start, zone)
            ends = starts + dt.timedelta(minutes=hours.minutes)
            if since <= starts <= until and span[0] <= starts and ends <= span[1]:
                found.append(Slot(hours.host_id, starts, hours.minutes))
        day += dt.timedelta(days=1)
    return sorted(found, key=lambda slot: (slot.starts_at, slot.host_id))


def _clock_time(value: str) -> dt.time:
    try:
        moment = dt.time.fromisoformat(value.strip())
    except ValueError:
        raise AvailabilityError("meetings_bad_time") from None
    return moment.replace(second=0, microsecond=0)


class Availability:
    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    async def weekly(self, host_ids: list[int]) -> list[WeeklyHours]:
        query = select(meeting_hours).where(meeting_hours.c.host_id.in_(host_ids)).order_by(
            meeting_hours.c.weekday, meeting_hours.c.start)
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [WeeklyHours(r["id"], r["host_id"], r["weekday"], dt.time.fromisoformat(r["start"]), r["minutes"])
                for r in rows]

    async def exceptions(self, host_ids: list[int], since: dt.date | None = None) -> list[Exception_]:
        query = select(meeting_exceptions).where(meeting_exceptions.c.host_id.in_(host_ids))
        if since is not None:
            query = query.where(meeting_exceptions.c.day >= since)
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query.order_by(meeting_exceptions.c.day))).mappings().all()
        return [Exception_(r["id"], r["host_id"], r["day"], dt.time.fromisoformat(r["start"]) if r["start"] else None)
                for r in rows]

    async def add_weekly(self, host_id: int, weekday: int, start: str, minutes: int) -> None:
        if weekday not in range(7):
            raise AvailabilityError("meetings_bad_weekday")
        if minutes not in LENGTHS:
            raise AvailabilityError("meetings_bad_length")
        begins = _clock_time(start)
        if any(h.weekday == weekday and h.start == begins for h in await self.weekly([host_id])):
            raise AvailabilityError("meetings_duplicate")
        async with self.engine.begin() as connection:
            await connection.execute(meeting_hours.insert().values(
                host_id=host_id, weekday=weekday, start=begins.strftime("%H:%M"), minutes=minutes, created_at=now()))

    async def add_exception(self, host_id: int, day: str, start: str = "") -> None:
        try:
            date = dt.date.fromisoformat(day.strip())
        except ValueError:
            raise AvailabilityError("meetings_bad_date") from None
        begins = _clock_time(start) if start.strip() else None
        async with self.engine.begin() as connection:
            await connection.execute(meeting_exceptions.insert().values(
                host_id=host_id, day=date, start=begins.strftime("%H:%M") if begins else None, created_at=now()))

    async def remove_weekly(self, host_id: int, hours_id: int) -> None:
        """Only the host's own hours (another id is silently nobody's)."""
        async with self.engine.begin() as connection:
            await connection.execute(delete(meeting_hours).where(meeting_hours.c.id == hours_id,
                                                                 meeting_hours.c.host_id == host_id))

    async def remove_exception(self, host_id: int, exception_id: int) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(delete(meeting_exceptions).where(meeting_exceptions.c.id == exception_id,
                                                                      meeting_exceptions.c.host_id == host_id))

    async def hosts_of(self, municipality: str) -> list[int]:
        """The municipality's hosts (not editors) who have published weekly hours."""
        query = select(hosts.c.id).where(hosts.c.municipality == municipality, hosts.c.role == Role.HOST.value,
                                         hosts.c.id.in_(select(meeting_hours.c.host_id)))
        async with self.engine.connect() as connection:
            return [row[0] for row in (await connection.execute(query)).all()]

    async def slots(self, municipality: str, at: dt.datetime) -> list[Slot]:
        """Every slot the municipality's hosts offer from ``at + NOTICE`` to the horizon (taken or not)."""
        place = municipalities.load_all()[municipality]
        host_ids = await self.hosts_of(municipality)
        if not host_ids:
            return []
        since = at + NOTICE
        weekly = await self.weekly(host_ids)
        exceptions = await self.exceptions(host_ids, since.date() - dt.timedelta(days=1))
        return candidate_slots(place, weekly, exceptions, since, at + HORIZON)
