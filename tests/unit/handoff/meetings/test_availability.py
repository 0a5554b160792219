"""Meeting slots: weekly hours less exceptions, and never on a day or hour the office is closed."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

import municipalities
from handoff.hosts import HostStore
from handoff.meetings.availability import Availability, AvailabilityError, Exception_, WeeklyHours, candidate_slots
from storage.store import Store

SWEDEN = ZoneInfo("Europe/Stockholm")
BODEN = municipalities.load_all()["boden"]  # Mon–Thu 08:00–16:00, Fri 08:00–15:00


def _slots(weekly: list[WeeklyHours], since: dt.datetime, days: int = 21, exceptions: list[Exception_] | None = None,
           place: municipalities.Municipality = BODEN) -> list[dt.datetime]:
    found = candidate_slots(place, weekly, exceptions or [], since, since + dt.timedelta(days=days))
    return [slot.starts_at for slot in found]


def _at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=SWEDEN)


def test_weekly_hours_give_a_slot_on_each_such_weekday_in_the_municipalitys_time() -> None:
    weekly = [WeeklyHours(1, 7, 1, dt.time(10, 0), 45)]  # Tuesdays 10:00
    slots = _slots(weekly, _at(2026, 11, 23, 9, 0), days=16)
    assert slots == [_at(2026, 11, 24, 10, 0), _at(2026, 12, 1, 10, 0), _at(2026, 12, 8, 10, 0)]
    assert slots[0].utcoffset() == dt.timedelta(hours=1)


def test_christmas_eve_and_new_years_eve_offer_no_meetings() -> None:
    weekly = [WeeklyHours(1, 7, 3, dt.time(10, 0), 45)]  # Thursdays; 24 and 31 December 2026 are Thursdays
    assert _slots(weekly, _at(2026, 12, 21, 9, 0), days=18)[0] == _at(2027, 1, 7, 10, 0)


def test_midsummer_eve_offers_no_meetings() -> None:
    weekly = [WeeklyHours(1, 7, 4, dt.time(10, 0), 45)]  # Fridays; midsummer eve 2027 is Friday 25 June
    assert _slots(weekly, _at(2027, 6, 21, 9, 0), days=12) == [_at(2027, 7, 2, 10, 0)]


def test_a_half_day_keeps_its_morning_slots_and_drops_the_afternoon() -> None:
    weekly = [WeeklyHours(1, 7, 4, dt.time(10, 0), 45), WeeklyHours(2, 7, 4, dt.time(13, 0), 45)]
    slots = _slots(weekly, _at(2027, 4, 26, 9, 0), days=5)  # Friday 30 April 2027, Walpurgis eve
    assert slots == [_at(2027, 4, 30, 10, 0)]


def test_a_municipalitys_own_closed_day_and_a_hosts_exceptions_offer_nothing() -> None:
    closed = BODEN.model_copy(update={"office_hours": BODEN.office_hours.model_copy(
        update={"closed": [dt.date(2026, 12, 8)]})})
    weekly = [WeeklyHours(1, 7, 1, dt.time(10, 0), 45), WeeklyHours(2, 7, 1, dt.time(14, 0), 45)]
    assert _at(2026, 12, 8, 10, 0) not in _slots(weekly, _at(2026, 12, 7, 9, 0), days=7, place=closed)
    exceptions = [Exception_(1, 7, dt.date(2026, 12, 15), None), Exception_(2, 7, dt.date(2026, 12, 22),
                                                                            dt.time(14, 0))]
    slots = _slots(weekly, _at(2026, 12, 14, 9, 0), days=9, exceptions=exceptions)
    assert slots == [_at(2026, 12, 22, 10, 0)]


def test_a_slot_must_end_within_the_office_day() -> None:
    weekly = [WeeklyHours(1, 7, 4, dt.time(14, 30), 45)]  # Fridays Boden closes at 15:00
    assert _slots(weekly, _at(2026, 11, 23, 9, 0), days=7) == []


def test_hosts_enter_hours_that_make_sense(database_url: str) -> None:
    async def main() -> None:
        store = Store(database_url)
        await store.create_schema()
        try:
            host = await HostStore(store).add("slots@boden.example", "Sara", "a long password 123", "boden")
            availability = Availability(store)
            await availability.add_weekly(host.id, 1, "09:30", 45)
            for weekday, start, minutes, problem in ((1, "09:30", 45, "meetings_duplicate"),
                                                      (7, "09:30", 45, "meetings_bad_weekday"),
                                                      (1, "9.30 am", 45, "meetings_bad_time"),
                                                      (1, "11:00", 400, "meetings_bad_length")):
                with pytest.raises(AvailabilityError, match=problem):
                    await availability.add_weekly(host.id, weekday, start, minutes)
            with pytest.raises(AvailabilityError, match="meetings_bad_date"):
                await availability.add_exception(host.id, "31/12/2026")
            assert [(h.weekday, h.start, h.minutes) for h in await availability.weekly([host.id])] == [
                (1, dt.time(9, 30), 45)]
            other = await HostStore(store).add("other@boden.example", "Olle", "a long password 123", "boden")
            hours = (await availability.weekly([host.id]))[0]
            await availability.remove_weekly(other.id, hours.id)  # not theirs: nothing happens
            assert await availability.weekly([host.id])
            await availability.remove_weekly(host.id, hours.id)
            assert not await availability.weekly([host.id])
        finally:
            await store.close()

    asyncio.run(main())
