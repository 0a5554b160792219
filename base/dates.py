"""Moments written the way each language writes dates (CLDR, through Babel).

"måndag 28 december 08:00", "poniedziałek, 28 grudnia 08:00", "Monday, December 28 at 8:00 AM":
the order of weekday, day and month, the month's grammatical case and the glue between date and
time differ per language, so they come from CLDR rather than from a pattern in code. The moment is
shown in the time zone it carries (the municipality's), since that is where the office or the
meeting is. No year: what is shown is weeks away at most.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from babel import Locale
from babel.dates import (
    format_datetime,
    format_skeleton,
    format_time,
    match_skeleton,
    tokenize_pattern,
    untokenize_pattern,
)


@cache
def _long_pattern(language: str) -> str:
    """CLDR's pattern for the skeleton "MMMMEd" widened to the full weekday, joined to the short time.

    Babel keeps the matched pattern's short weekday ("mån"), so the weekday field is widened, and
    the language's own long date-time glue joins the date to its time ("{1} 'at' {0}").
    """
    locale = Locale.parse(language)
    skeletons = locale.datetime_skeletons
    tokens = tokenize_pattern(str(skeletons[match_skeleton("MMMMEEEEd", skeletons)]))
    day = untokenize_pattern([("field", (field[0], 4)) if kind == "field" and field[0] in "Ec" else (kind, field)
                              for kind, field in tokens])
    return str(locale.datetime_formats["long"]).replace("{1}", day).replace("{0}", locale.time_formats["short"].pattern)


def when(moment: dt.datetime, language: str) -> str:
    """Weekday, date and time in full, for a sentence: "måndag 28 december 08:00"."""
    return format_datetime(moment, _long_pattern(language), tzinfo=moment.tzinfo, locale=language)


def when_short(moment: dt.datetime, language: str) -> str:
    """Abbreviated weekday and month, for a narrow button (Telegram, WhatsApp): "mån 28 dec. 08:00"."""
    return f"{format_skeleton('MMMEd', moment, locale=language)} {format_time(moment, 'short', locale=language)}"
