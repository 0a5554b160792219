"""One recogniser per kind of identifier: where in a text each kind may stand, and the check that says it does.

Every recogniser returns candidate spans; ``masking`` settles the overlaps. Numbers are read as
*runs*: digit groups joined by one separator (space, hyphen or dash with optional spaces around
it, dot, plus), so "4111 1111 1111 1111 12/27" and "811228-9874 070-123 45 67" are each one run,
and a recogniser may take any consecutive groups of a run (a *window*). Every pattern here is
linear: possessive or bounded repetitions, and no repetition inside another that could match the
same characters two ways.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import phonenumbers

from handoff.privacy import context
from handoff.privacy.checksums import IBAN_LENGTHS, ascii_digits, birth_date_valid, iban_valid, luhn_valid

#: Every kind of identifier, most specific first (the order settles a tie between equal spans).
KINDS = ("id_number", "card", "phone", "account", "case_number", "passport", "email", "address")

_SPACE = r"[^\S\n]"
_SEPARATOR = rf"(?:{_SPACE}?[-–—−]{_SPACE}?|{_SPACE}|[.+])"
_RUN = re.compile(rf"\d++(?:{_SEPARATOR}\d++)*+")
_GROUP = re.compile(r"\d+")
#: At most this many groups in one window (a 19-digit card in groups of 3 has 7).
_MAX_GROUPS = 8
_ID_SEPARATORS = {"", "-", "–", "—", "−", "+"}
_CARD_SEPARATORS = {" ", "\u00a0", ".", "-", "–"}
#: A sum of money right after a number: "1 500 000 kr" on an account is its balance, not its number.
_AMOUNT = re.compile(r"[^\S\n]?(?:kr\b|kronor|sek\b|eur\b|euro|€|\$|zł|pln\b|грн|usd\b|:-)", re.IGNORECASE)


@dataclass(frozen=True)
class Span:
    """A candidate: text[start:end] is an identifier of kind; score weighs it against an equal-length rival."""

    start: int
    end: int
    kind: str
    score: int = 2
    #: The form the handoff's own contact is compared in (e-mail lower-cased, phone in E.164).
    normal: str = ""


@dataclass(frozen=True)
class Window:
    """Consecutive digit groups of one run, with the separators between them."""

    start: int
    end: int
    groups: tuple[str, ...]
    separators: tuple[str, ...]
    digits: str = field(init=False)  # the groups' digits, in ASCII

    def __post_init__(self) -> None:
        object.__setattr__(self, "digits", ascii_digits("".join(self.groups)))


def _letter(char: str) -> bool:
    return char.isalpha() or char == "_"


def runs(text: str) -> Iterator[Window]:
    """Every run of digit groups in text, whole."""
    for run in _RUN.finditer(text):
        found = [(run.start() + g.start(), run.start() + g.end()) for g in _GROUP.finditer(run.group())]
        yield Window(run.start(), run.end(), tuple(text[s:e] for s, e in found),
                     tuple(text[e:s] for (_, e), (s, _) in itertools.pairwise(found)))


def windows(text: str, whole: list[Window]) -> Iterator[Window]:
    """Every window of up to _MAX_GROUPS groups of the runs that is not glued to a letter ("SE45 …", "12A")."""
    for run in whole:
        bounds, position = [], run.start
        for index, group in enumerate(run.groups):
            bounds.append((position, position + len(group)))
            position += len(group) + (len(run.separators[index]) if index < len(run.separators) else 0)
        glued_before = run.start > 0 and _letter(text[run.start - 1])
        glued_after = run.end < len(text) and _letter(text[run.end])
        last = len(run.groups) - 1
        for first in range(1 if glued_before else 0, last + 1):
            for final in range(first, min(last, first + _MAX_GROUPS - 1) + 1):
                if final == last and glued_after:
                    continue
                yield Window(bounds[first][0], bounds[final][1], run.groups[first:final + 1],
                             run.separators[first:final])


def id_numbers(text: str, found: list[Window]) -> Iterator[Span]:
    """Personnummer and samordningsnummer: [CC]YYMMDD, separator, NNNN; date (day + 60) and Luhn."""
    for window in found:
        groups, digits = window.groups, window.digits
        if len(groups) == 1 and len(digits) in (10, 12):
            century, rest, score = digits[:-10], digits[-10:], 3 if len(digits) == 12 else 1
        elif (len(groups) == 2 and len(groups[0]) in (6, 8) and len(groups[1]) == 4
              and window.separators[0].strip() in _ID_SEPARATORS):
            century, rest, score = digits[:-10], digits[-10:], 3
        else:
            continue
        if century not in ("", "19", "20") or not birth_date_valid(rest[:6], century) or not luhn_valid(rest):
            continue
        if context.follows(context.ID_NUMBER, text, window.start):
            score += 2
        yield Span(window.start, window.end, "id_number", score)


def _card_groups(groups: tuple[str, ...]) -> bool:
    """Groups of 3–6 as printed on cards, fours with the rest last ("4222 2222 2222 2"), or the number
    cut once anywhere ("4111 111111111111")."""
    sizes = [len(group) for group in groups]
    return (all(3 <= size <= 6 for size in sizes) or all(size == 4 for size in sizes[:-1])
            or (len(sizes) == 2 and min(sizes) >= 3))


def cards(text: str, found: list[Window]) -> Iterator[Span]:
    """Payment cards: 13–19 digits from 2–6 (Mastercard, Visa, Amex, Diners, Discover, JCB, UnionPay…),
    in one group or in groups with one separator throughout, and Luhn."""
    for window in found:
        digits = window.digits
        if not 13 <= len(digits) <= 19 or digits[0] not in "23456" or len(set(window.separators)) > 1:
            continue
        if window.separators and (window.separators[0] not in _CARD_SEPARATORS or not _card_groups(window.groups)):
            continue
        if luhn_valid(digits):
            yield Span(window.start, window.end, "card", 3)


_IBAN_START = re.compile(r"(?<![^\W_])([A-Za-z]{2})[ \u00a0]?(\d{2})")
_IBAN_CHAR = re.compile(r"[A-Za-z0-9]")


def ibans(text: str) -> Iterator[Span]:
    """IBANs, grouped or not, upper or lower case: the country's registered length and mod 97."""
    for start in _IBAN_START.finditer(text):
        length = IBAN_LENGTHS.get(start.group(1).upper())
        if length is None:
            continue
        compact, position = start.group(1) + start.group(2), start.end()
        while len(compact) < length and position < len(text):
            if text[position] in " \u00a0-" and position + 1 < len(text) and _IBAN_CHAR.match(text[position + 1]):
                position += 1
            if not _IBAN_CHAR.match(text[position]):
                break
            compact += text[position]
            position += 1
        glued = position < len(text) and (text[position].isalnum() or text[position] == "_")
        if len(compact) == length and not glued and iban_valid(compact):
            yield Span(start.start(), position, "account", 3)


def _after_words(words: re.Pattern[str], text: str, window: Window) -> bool:
    """Right after one of words, not glued to a letter before it, and not followed by a currency."""
    glued = window.start > 0 and _letter(text[window.start - 1])
    return not glued and _AMOUNT.match(text, window.end) is None and context.follows(words, text, window.start)


def _joined(text: str, run: Window, following: dict[int, Window]) -> Window:
    """A clearing number and the account number after a comma ("8327-9, 123 456 789-0") as one run."""
    comma = text[run.end:run.end + 2]
    if comma[:1] != ",":
        return run
    after = following.get(run.end + (2 if comma == ", " else 1))
    if after is None:
        return run
    return Window(run.start, after.end, run.groups + after.groups, (*run.separators, comma, *after.separators))


def bank_accounts(text: str, whole: list[Window]) -> Iterator[Span]:
    """Account numbers without an IBAN (Swedish clearing + account, or a foreign account number):
    7–16 digits right after an account word. Their check digits depend on the bank and are not checked."""
    following = {run.start: run for run in whole}
    for run in whole:
        joined = _joined(text, run, following)
        if 7 <= len(joined.digits) <= 16 and _after_words(context.ACCOUNT, text, joined):
            yield Span(joined.start, joined.end, "account", 2)


def _date_shaped(window: Window) -> bool:
    sizes = tuple(len(group) for group in window.groups)
    return len(sizes) == 3 and (sizes[0] == 4 or sizes[2] == 4) and min(sizes) <= 2


def case_numbers(text: str, whole: list[Window]) -> Iterator[Span]:
    """Case and dossier numbers (the Migration Agency's and other agencies'): their formats are not
    published as a rule, so 6–12 digits right after a case word, and never a date or a sum."""
    for run in whole:
        if 6 <= len(run.digits) <= 12 and not _date_shaped(run) and _after_words(context.CASE_NUMBER, text, run):
            yield Span(run.start, run.end, "case_number", 2)


_PASSPORT = re.compile(
    r"(?<![^\W_])(?:[A-ZА-ЯІЇЄҐ]{1,2}[^\S\n])?[^\W_]{6,10}(?![^\W_])(?![^\S\n]?[-–—−.+/]?[^\S\n]?\d)"
)


def passports(text: str) -> Iterator[Span]:
    """Passport numbers: every country has its own format (AB1234567, C01X00T47, FA123456, 12345678…),
    so 6–11 letters and digits, at least four of them digits, right after a passport word."""
    for token in _PASSPORT.finditer(text):
        digits = sum(char.isdecimal() for char in token.group())
        if digits >= 4 and context.follows(context.PASSPORT, text, token.start()):
            yield Span(token.start(), token.end(), "passport", 2)


_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]{1,64}@[^\W_][\w-]*+(?:\.[\w-]++)*\.[^\W\d_]{2,}(?![\w-])")


def emails(text: str) -> Iterator[Span]:
    """E-mail addresses, in any script on both sides of the @ ("åsa.öberg@exempel.se", "олена@пошта.укр")."""
    for found in _EMAIL.finditer(text):
        yield Span(found.start(), found.end(), "email", 2, found.group().lower())


def _national_or_international(raw: str) -> bool:
    """Written as one dials it: with +, or from Sweden with 0 (national) or 00 (abroad)."""
    first = raw.lstrip("(")[:1]
    return first == "+" or (first.isdecimal() and ascii_digits(first) == "0")


#: Where newcomers' own numbers come from, tried for a number written nationally after a phone word.
_HOME_REGIONS = ("PL", "DE", "FI", "UA", "ES", "GB", "SY", "IQ", "SA", "EG", "TR", "IR", "AF", "SO", "ER")


def _foreign(digits: str) -> str | None:
    """digits as a valid number: with a country code in front, or in one of _HOME_REGIONS' national format."""
    attempts = [("+" + digits, None)] if digits[0] != "0" else []
    for raw, region in [*attempts, *((digits, region) for region in _HOME_REGIONS)]:
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def phones(text: str, found: list[Window]) -> Iterator[Span]:
    """Phone numbers libphonenumber finds valid: Swedish ones with or without +46, foreign ones with +
    or 00; after a phone word also a country code without + ("48 601 234 567") and a foreign number
    written the way its country dials it ("0151 28473615", "601 234 567") — unless a nearer word of
    another kind introduces it ("mój numer sprawy 23-481516")."""
    for match in phonenumbers.PhoneNumberMatcher(text, "SE"):
        if _national_or_international(match.raw_string):
            e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            bonus = 2 if context.follows(context.PHONE, text, match.start) else 0
            yield Span(match.start, match.end, "phone", 2 + bonus, e164)
    for window in found:
        if 7 <= len(window.digits) <= 15 and text[window.start - 1:window.start] != "+":
            phone_word = context.word_before(context.PHONE, text, window.start)
            other_word = context.word_before(context.OTHER_THAN_PHONE, text, window.start)
            introduced = phone_word is not None and (other_word is None or other_word < phone_word)
            if introduced and (e164 := _foreign(window.digits)):
                yield Span(window.start, window.end, "phone", 3, e164)


_UPPER, _LOWER = "A-ZÅÄÖÉÜ", "a-zåäöéüø"
_COMPOUND = "gatan|gata|vägen|väg|gränden|gränd|stigen|stig|backen|backe|torget|torg|allén|allé|leden|led|plan" \
            "|gången|slingan|stråket|platsen|plats|liden|kajen|esplanaden|promenaden|ringen|svängen|höjden"
_ADDRESS = re.compile(
    rf"(?<![^\W_])(?:"
    rf"(?:[{_UPPER}][{_LOWER}]++{_SPACE}){{1,2}}(?i:vägen|väg|gatan|gata|gränd|torget|torg|plan|stigen|backen|allén)"
    rf"|(?:(?:Västra|Östra|Norra|Södra|Stora|Lilla|Nya|Gamla|Övre|Nedre){_SPACE})?[{_UPPER}][{_LOWER}]*(?:{_COMPOUND})"
    rf"|[{_LOWER}]{{2,}}(?:gatan|vägen|gränd|stigen|allén))"
    rf"{_SPACE}\d{{1,3}}(?!\d)(?:(?:[A-Za-z]|{_SPACE}[A-H])(?![^\W_]))?"
    rf"(?:,?{_SPACE}(?:lgh|lägenhet)\.?{_SPACE}?\d{{4}}(?!\d))?"
    rf"(?:,?{_SPACE}\d{{1,2}}{_SPACE}?(?:tr|trappor|vån|våning)\b\.?)?"
    rf"(?:,?{_SPACE}[1-9]\d\d{_SPACE}?\d\d(?!\d)(?:{_SPACE}[{_UPPER}][{_LOWER}]+)?)?"
    rf"(?![^\W_])"
)


def addresses(text: str) -> Iterator[Span]:
    """Swedish street addresses: a street name, its number (and letter, apartment number, floor), and
    the postcode and post town when they follow. A street without a number, or a postcode alone, is not one."""
    for found in _ADDRESS.finditer(text):
        yield Span(found.start(), found.end(), "address", 2)


def candidates(text: str) -> list[Span]:
    """Every candidate span of every kind, overlapping as they come."""
    whole = list(runs(text))
    found = list(windows(text, whole))
    return [*id_numbers(text, found), *cards(text, found), *ibans(text), *bank_accounts(text, whole),
            *case_numbers(text, whole), *passports(text), *emails(text), *phones(text, found), *addresses(text)]
