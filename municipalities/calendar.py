"""The Swedish working calendar that office hours follow: public holidays, the "eves" and half-days.

Weekday hours alone told newcomers on midsummer eve or Christmas Eve that hosts were available when
nobody was at work. The rules for Swedish holidays move (Easter, Ascension, midsummer, All Saints'
Day), so they come from the ``holidays`` package, not from dates written here:

- Closed: the public holidays (``PUBLIC``) and the days Swedish law treats as holidays although
  they are not (``DE_FACTO``: midsummer eve, Christmas Eve, New Year's Eve — the Annual Leave Act
  counts them with Sundays). The package's optional "every Sunday" entries are left out: which
  weekdays are staffed is the municipality's ``days``, not the calendar's.
- Half-days ("halvdagar"): trettondagsafton, skärtorsdag, valborgsmässoafton, the day before
  Ascension Day and allhelgonaafton. The package has no half-day category for Sweden (its ``BANK``
  and ``OPTIONAL`` categories each hold a different mix, e.g. bank-only afternoons before Christmas
  Eve), so each is taken as the day before the package's holiday it precedes. On a half-day hosts
  stop at :data:`HALF_DAY_CLOSES`.

The package knows Swedish holidays from 1953 to 2100; outside that range only weekdays and a
municipality's own closed days count. Each year's sets are built once (a handoff asks on every
submit), and the package is imported only when first asked, not when the tenant files load.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from functools import lru_cache
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import holidays

#: When a half-day's office hours end (unless the usual closing is earlier): this deployment's
#: decision that hosts work the morning of a half-day; an opening at or after it means no hours.
HALF_DAY_CLOSES: Final = dt.time(12, 0)

#: The package's holiday (by its Swedish name, which is the package's own source text and does not
#: depend on a translation) whose eve is a half-day.
_HALF_DAY_BEFORE: Final = ("Trettondedag jul", "Långfredagen", "Första maj", "Kristi himmelsfärdsdag",
                           "Alla helgons dag")


def _national(year: int) -> holidays.HolidayBase:
    """The package's Swedish closed days of ``year`` (imported here: a process that never asks pays nothing)."""
    import holidays

    return holidays.Sweden(years=year, language="sv", categories=(holidays.PUBLIC, holidays.DE_FACTO),
                           include_sundays=False)


@lru_cache(maxsize=32)
def closed_days(year: int) -> frozenset[dt.date]:
    """Public holidays plus midsummer eve, Christmas Eve and New Year's Eve of ``year``."""
    return frozenset(_national(year))


@lru_cache(maxsize=32)
def half_days(year: int) -> frozenset[dt.date]:
    """The usual Swedish half-days of ``year``: the eves of the holidays in ``_HALF_DAY_BEFORE``.

    Empty outside the years the package knows. Inside them a missing holiday means the package
    renamed it: that raises rather than silently dropping a half-day.
    """
    calendar = _national(year)
    if not calendar:
        return frozenset()
    eves = set()
    for name in _HALF_DAY_BEFORE:
        found = calendar.get_named(name, lookup="exact")
        if len(found) != 1:
            raise LookupError(f"the holidays package has no single {name!r} in {year}; update _HALF_DAY_BEFORE")
        eves.add(found[0] - dt.timedelta(days=1))
    return frozenset(eves)


def is_closed(day: dt.date, extra: Collection[dt.date] = ()) -> bool:
    """Whether nobody works on ``day``: a Swedish holiday or one of the municipality's ``extra`` days."""
    return day in extra or day in closed_days(day.year)


def is_half_day(day: dt.date) -> bool:
    return day in half_days(day.year)


def hours_on(day: dt.date, opens: dt.time, closes: dt.time,
             extra_closed: Collection[dt.date] = ()) -> tuple[dt.time, dt.time] | None:
    """The hours actually staffed on ``day`` when the usual hours of its weekday are ``opens``–``closes``.

    None on a closed day, and on a half-day whose usual opening is not before :data:`HALF_DAY_CLOSES`.
    """
    if is_closed(day, extra_closed):
        return None
    if is_half_day(day):
        if opens >= HALF_DAY_CLOSES:
            return None
        closes = min(closes, HALF_DAY_CLOSES)
    return opens, closes
