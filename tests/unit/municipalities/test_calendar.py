"""Office hours on the real Swedish calendar: holidays and "eves" closed, half-days end at noon."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

import municipalities
from municipalities import OfficeHours, calendar

ZONE = ZoneInfo("Europe/Stockholm")
#: Boden-like hours: Monday to Thursday 08:00–16:00, Friday 08:00–15:00.
BODEN = OfficeHours(days={"mon": "08:00-16:00", "tue": "08:00-16:00", "wed": "08:00-16:00",
                          "thu": "08:00-16:00", "fri": "08:00-15:00"})


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=ZONE)


@pytest.mark.parametrize("day", [dt.date(2026, 6, 19), dt.date(2027, 6, 25)])
def test_midsummer_eve_is_closed(day: dt.date) -> None:
    assert day.weekday() == 4  # a Friday, which the weekday hours alone would staff
    assert BODEN.span(day) is None
    assert not BODEN.is_open(at(day.year, day.month, day.day, 10))


def test_christmas_eve_is_closed_and_hosts_are_back_after_christmas_and_the_weekend() -> None:
    assert BODEN.span(dt.date(2026, 12, 24)) is None  # a Thursday
    assert BODEN.span(dt.date(2026, 12, 25)) is None  # Christmas Day, a Friday
    assert BODEN.next_opening(at(2026, 12, 23, 16, 30)) == at(2026, 12, 28, 8)  # Monday 28 December


def test_new_years_eve_and_epiphany_are_closed() -> None:
    assert BODEN.span(dt.date(2026, 12, 31)) is None
    assert BODEN.span(dt.date(2027, 1, 6)) is None
    assert BODEN.next_opening(at(2026, 12, 30, 17)) == at(2027, 1, 4, 8)  # over New Year and the weekend


@pytest.mark.parametrize("day", [dt.date(2027, 3, 25), dt.date(2027, 4, 30), dt.date(2027, 5, 5),
                                 dt.date(2027, 1, 5), dt.date(2027, 11, 5)])
def test_a_half_day_closes_at_noon(day: dt.date) -> None:
    """Skärtorsdag, valborgsmässoafton, the day before Ascension, trettondagsafton, allhelgonaafton 2027."""
    assert calendar.is_half_day(day)
    assert BODEN.span(day) == (at(day.year, day.month, day.day, 8), at(day.year, day.month, day.day, 12))
    assert not BODEN.is_open(at(day.year, day.month, day.day, 13))


def test_half_days_come_from_the_moving_feasts_of_each_year() -> None:
    assert calendar.half_days(2026) == {dt.date(2026, 1, 5), dt.date(2026, 4, 2), dt.date(2026, 4, 30),
                                        dt.date(2026, 5, 13), dt.date(2026, 10, 30)}


def test_a_half_day_with_an_afternoon_opening_has_no_hours_and_an_early_close_stays() -> None:
    hours = OfficeHours(days={"thu": "13:00-17:00", "fri": "08:00-11:00"})
    assert hours.span(dt.date(2027, 3, 25)) is None  # skärtorsdag, opening after noon
    assert hours.span(dt.date(2027, 4, 30)) == (at(2027, 4, 30, 8), at(2027, 4, 30, 11))  # already before noon


def test_a_normal_weekday_is_unchanged() -> None:
    assert BODEN.span(dt.date(2026, 11, 24)) == (at(2026, 11, 24, 8), at(2026, 11, 24, 16))
    assert BODEN.span(dt.date(2026, 11, 27)) == (at(2026, 11, 27, 8), at(2026, 11, 27, 15))
    assert BODEN.next_opening(at(2026, 11, 24, 20)) == at(2026, 11, 25, 8)
    assert BODEN.span(dt.date(2026, 11, 28)) is None  # Saturday: not in ``days``


def test_a_holiday_on_a_staffed_sunday_is_closed_but_other_sundays_are_not() -> None:
    every_day = OfficeHours(days=dict.fromkeys(municipalities.WEEKDAYS, "10:00-14:00"))
    assert every_day.span(dt.date(2027, 3, 28)) is None  # Easter Sunday
    assert every_day.span(dt.date(2027, 3, 21)) == (at(2027, 3, 21, 10), at(2027, 3, 21, 14))


def test_a_ticket_made_before_a_holiday_is_due_by_the_close_of_the_next_office_day() -> None:
    # Wednesday 5 May 2027 is the day before Ascension (a half-day); Thursday 6 May is Ascension Day.
    assert BODEN.answer_due(at(2027, 5, 5, 13)) == at(2027, 5, 7, 15)  # Friday's close
    assert BODEN.answer_due(at(2027, 5, 5, 9)) == at(2027, 5, 5, 12)  # the half-day's own close
    assert BODEN.answer_due(at(2026, 12, 23, 17)) == at(2026, 12, 28, 16)


def _boden_file(folder: Path, office_hours: dict) -> Path:
    raw = yaml.safe_load((municipalities.CONFIG_DIR / "boden.yml").read_text(encoding="utf-8"))
    raw["office_hours"] = office_hours
    path = folder / "boden.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_a_municipalitys_own_closed_days_are_closed(tmp_path: Path) -> None:
    path = _boden_file(tmp_path, {})  # then the block as a municipality would write it:
    text = path.read_text(encoding="utf-8").replace("office_hours: {}\n", "")
    text += ('office_hours:\n  days: {mon: "08:00-16:00", tue: "08:00-16:00", wed: "08:00-16:00",'
             ' thu: "08:00-16:00", fri: "08:00-15:00"}\n  closed: [2026-12-28, 2026-12-29]\n')
    path.write_text(text, encoding="utf-8")
    hours = municipalities.load_file(path).office_hours
    assert hours.closed == [dt.date(2026, 12, 28), dt.date(2026, 12, 29)]
    assert hours.span(dt.date(2026, 12, 28)) is None
    assert hours.next_opening(at(2026, 12, 23, 16, 30)) == at(2026, 12, 30, 8)


def test_a_long_local_closure_is_crossed(tmp_path: Path) -> None:
    """Four summer weeks closed: the search reaches past them instead of giving up."""
    summer = [dt.date(2027, 7, 1) + dt.timedelta(days=n) for n in range(28)]
    hours = OfficeHours(days=dict(BODEN.days), closed=summer)
    assert hours.next_opening(at(2027, 6, 30, 17)) == at(2027, 7, 29, 8)


@pytest.mark.parametrize("bad", ["2026-02-30", "next friday"])
def test_a_bad_closed_day_names_the_file_and_field(tmp_path: Path, bad: str) -> None:
    path = _boden_file(tmp_path, {"days": dict(BODEN.days), "closed": [bad]})
    with pytest.raises(municipalities.ConfigError, match=r"boden\.yml.*field 'office_hours\.closed\.0'"):
        municipalities.load_file(path)



def test_a_service_staffed_on_holidays_opts_out_of_the_calendar_but_keeps_its_own_closed_days() -> None:
    hours = OfficeHours(days={"thu": "08:00-16:00"}, public_holidays=False, closed=[dt.date(2026, 12, 31)])
    assert hours.span(dt.date(2026, 12, 24)) is not None  # Christmas Eve, a Thursday
    assert hours.span(dt.date(2026, 12, 31)) is None
