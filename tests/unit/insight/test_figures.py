"""The analytics figures, counted from a known set of stored conversations on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import random

import pytest

from insight.figures import Figures, Period, figures
from municipalities import calendar
from storage.store import Store
from tests import figures_seed
from tests.figures_seed import (
    EXPECTED_LANGUAGE_MATCH,
    EXPECTED_OUTCOMES,
    EXPECTED_SATISFACTION,
    EXPECTED_SATISFACTION_LANGUAGES,
    EXPECTED_SUMMARY,
    FIRST,
    OTHER,
    PLACE,
    expected_per_day,
)


def _week() -> tuple[dt.date, dt.date]:
    """A Monday-to-Wednesday no other test seeded (the PostgreSQL test database is shared by the session),
    in an ordinary week: a holiday or half-day up to Thursday would move the tickets' promised answer."""
    while True:
        monday = FIRST - dt.timedelta(weeks=random.randrange(1, 5000))
        days = [monday + dt.timedelta(days=offset) for offset in range(4)]
        if not any(calendar.is_closed(day) or calendar.is_half_day(day) for day in days):
            return monday, monday + dt.timedelta(days=2)


def _figures(database_url: str, monday: dt.date, *asked: tuple[Period, list[str] | None]) -> list[Figures]:
    """Seed once, then compute the figures for each (period, scope) asked."""
    async def run() -> list[Figures]:
        store = Store(database_url)
        await store.create_schema()
        try:
            await figures_seed.seed(store, monday)
            return [await figures(store, period, scope) for period, scope in asked]
        finally:
            await store.close()

    return asyncio.run(run())


def test_a_municipalitys_figures_count_what_its_people_asked_and_how_it_went(database_url: str) -> None:
    first, last = _week()
    [found] = _figures(database_url, first, (Period(first, last), [PLACE]))
    assert found.summary == EXPECTED_SUMMARY
    series = found.series
    assert series["per_day"].rows == expected_per_day(first)
    assert series["outcomes"].rows == EXPECTED_OUTCOMES
    assert dict(series["languages"].rows) == {"ar": "1", "en": "1", "pl": "1", "sv": "1", "uk": "1"}
    assert dict(series["channels"].rows) == {"telegram": "1", "web": "3", "whatsapp": "1"}
    assert dict(series["topics"].rows) == {"housing": "1", "schools": "1"}
    assert dict(series["handoff_reasons"].rows) == {"asked": "1", "failed": "1", "personal": "1"}
    assert dict(series["handoff_outcomes"].rows) == {"resolved": "2", "ticket": "1"}
    assert dict(series["satisfaction"].rows) == EXPECTED_SATISFACTION  # asked but not rated: not counted
    assert series["satisfaction_languages"].rows == EXPECTED_SATISFACTION_LANGUAGES
    assert series["satisfaction_topics"].rows == [("housing", "5.00", "1"), ("schools", "2.00", "1"),
                                                  ("unknown", "4.00", "1")]
    assert series["language_match"].rows == EXPECTED_LANGUAGE_MATCH  # the unclaimed ticket is not counted


def test_the_region_counts_every_municipality_and_a_range_only_its_days(database_url: str) -> None:
    first, last = _week()
    tuesday = first + dt.timedelta(days=1)
    whole = Period(first, last)
    region, other, one_day = _figures(database_url, first, (whole, None), (whole, [OTHER]),
                                      (Period(tuesday, tuesday), [PLACE]))
    assert other.summary["conversations"] == 1 and dict(other.series["topics"].rows) == {"work": "1"}
    assert region.summary["conversations"] == EXPECTED_SUMMARY["conversations"] + 1
    assert one_day.series["per_day"].rows == [(tuesday.isoformat(), "1", "1")]
    assert one_day.summary["handoffs"] == 0
    assert region.series["satisfaction_municipalities"].rows == [(PLACE, "3.67", "3"), (OTHER, "3.00", "1")]


def test_a_period_must_not_end_before_it_starts() -> None:
    with pytest.raises(ValueError):
        Period(FIRST, FIRST - dt.timedelta(days=1))


def test_claims_from_before_hosts_declared_languages_are_left_out_of_the_match(database_url: str) -> None:
    """A handoff claimed before revision 0007 has no ``language_match``: unknown, so neither a match nor
    a claim in that figure; the other municipality's claims are its own."""
    from sqlalchemy import update

    from storage.schema import handoffs

    first, last = _week()

    async def run() -> tuple[Figures, Figures]:
        store = Store(database_url)
        await store.create_schema()
        try:
            prefix = await figures_seed.seed(store, first)
            async with store.engine.begin() as connection:
                await connection.execute(update(handoffs).where(
                    handoffs.c.conversation_id.like(f"%{prefix}%"), handoffs.c.language == "ar")
                    .values(language_match=None))
            return (await figures(store, Period(first, last), [PLACE]),
                    await figures(store, Period(first, last), [OTHER]))
        finally:
            await store.close()

    place, other = asyncio.run(run())
    assert (place.summary["language_claimed"], place.summary["language_matched"],
            place.summary["language_match_share"]) == (1, 1, 1.0)
    assert place.series["language_match"].rows == [("uk", "1.00", "1", "1")]
    assert (other.summary["language_claimed"], other.summary["language_match_share"]) == (0, None)
    assert other.series["language_match"].rows == []


def test_the_first_hour_after_stockholms_midnight_counts_on_its_stockholm_day(database_url: str) -> None:
    """23:30 UTC is already the next day in Stockholm, winter and summer: a rating and a question asked
    then belong to that day on both databases (SQLite drops the zone of what it is given)."""
    monday, _ = _week()
    tuesday = monday + dt.timedelta(days=1)
    late = dt.datetime.combine(monday, dt.time(23, 30), dt.UTC)
    place = f"midnight-{random.randrange(10**9)}"

    async def run() -> tuple[Figures, Figures]:
        from storage.schema import conversations, messages, ratings

        store = Store(database_url)
        await store.create_schema()
        try:
            async with store.engine.begin() as connection:
                await connection.execute(conversations.insert().values(
                    id=f"web:{place}", channel="web", user_ref=place, municipality=place, language="sv",
                    created_at=late, updated_at=late, last_inbound_at=late))
                await connection.execute(messages.insert().values(
                    conversation_id=f"web:{place}", direction="in", author="person", text="Hej?",
                    status="answered", created_at=late))
                await connection.execute(ratings.insert().values(
                    conversation_id=None, municipality=place, language="sv", channel="web", topic=None,
                    trigger="goodbye", score=4, asked_at=late, rated_at=late))
            return (await figures(store, Period(monday, monday), [place]),
                    await figures(store, Period(tuesday, tuesday), [place]))
        finally:
            await store.close()

    on_monday, on_tuesday = asyncio.run(run())
    assert on_tuesday.summary["conversations"] == 1 and on_tuesday.summary["mean_rating"] == 4.0
    assert on_monday.summary["conversations"] == 0 and on_monday.summary["mean_rating"] is None
