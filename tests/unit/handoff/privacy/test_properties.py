"""Whatever surrounds them, generated valid identifiers never survive masking, and masking never raises."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from handoff.privacy import labels, mask
from handoff.privacy.checksums import luhn_valid

LABELS = labels("sv")
#: Text around an identifier: any characters, but kept apart from it by a space.
around = st.text(max_size=40).map(lambda text: text + " "), st.text(max_size=40).map(lambda text: " " + text)


def _check_digit(digits: str) -> str:
    return next(digit for digit in "0123456789" if luhn_valid(digits + digit))


@st.composite
def personal_numbers(draw: st.DrawFn) -> str:
    born = draw(st.dates(dt.date(1900, 1, 1), dt.date(2025, 12, 31)))
    day = born.day + (60 if draw(st.booleans()) else 0)  # a samordningsnummer adds 60
    digits = f"{born:%y%m}{day:02d}{draw(st.integers(0, 999)):03d}"
    digits += _check_digit(digits)
    century = draw(st.sampled_from(["", f"{born.year // 100}"]))
    separator = draw(st.sampled_from(["-", "–", " ", "", "+"] if not century else ["-", "–", " ", ""]))
    return f"{century}{digits[:6]}{separator}{digits[6:]}"


@st.composite
def cards(draw: st.DrawFn) -> str:
    length = draw(st.integers(13, 19))
    digits = draw(st.sampled_from("23456")) + "".join(draw(st.lists(st.sampled_from("0123456789"),
                                                                     min_size=length - 2, max_size=length - 2)))
    digits += _check_digit(digits)
    separator = draw(st.sampled_from(["", " ", "-", "."]))
    return separator.join(digits[i:i + 4] for i in range(0, len(digits), 4)) if separator else digits


@st.composite
def ibans(draw: st.DrawFn) -> str:
    country, length = draw(st.sampled_from([("SE", 24), ("DE", 22), ("PL", 28), ("FI", 18), ("UA", 29), ("NO", 15)]))
    bban = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=length - 4, max_size=length - 4)))
    check = 98 - int(bban + str(int(country[0], 36)) + str(int(country[1], 36)) + "00") % 97
    compact = f"{country}{check:02d}{bban}"
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4)) if draw(st.booleans()) else compact


@given(st.text(max_size=300), st.lists(st.text(max_size=30), max_size=2))
def test_masking_never_raises(text: str, keep: list[str]) -> None:
    assert isinstance(mask(text, LABELS, tuple(keep)), str)


@given(st.one_of(personal_numbers(), cards(), ibans()), *around)
def test_a_valid_identifier_never_survives(identifier: str, before: str, after: str) -> None:
    assert identifier not in mask(before + identifier + after, LABELS)
