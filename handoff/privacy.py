"""Masking of personal identifiers in what hosts see and what tickets store.

Swedish personal identity and co-ordination numbers, payment card numbers, e-mail addresses and
phone numbers are replaced by a label — except the contact details the person gave for this very
handoff, which the host needs. Numbers are only masked when their checksum (Luhn, as both
personnummer and card numbers use) or libphonenumber says they are real, so a year or a price
stays readable.
"""

from __future__ import annotations

import re

import phonenumbers

from handoff.texts import host_texts

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
#: YYMMDD-NNNN, YYYYMMDDNNNN, with -, + or nothing between (+ marks a person over 100).
_PERSONAL_NUMBER = re.compile(r"(?<![\d-])(?:19|20)?(\d{6})[-+ ]?(\d{4})(?![\d-])")
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def mask(text: str, labels: dict[str, str], keep: tuple[str, ...] = ()) -> str:
    """The text with identifiers replaced by labels[kind] (kinds: id_number, card, email, phone)."""
    kept = {item.lower() for item in keep if item}

    def personal(match: re.Match[str]) -> str:
        return labels["id_number"] if luhn_valid(match.group(1) + match.group(2)) else match.group(0)

    def card(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return labels["card"] if luhn_valid(digits) else match.group(0)

    def email(match: re.Match[str]) -> str:
        return match.group(0) if match.group(0).lower() in kept else labels["email"]

    text = _PERSONAL_NUMBER.sub(personal, text)
    text = _CARD.sub(card, text)
    text = _EMAIL.sub(email, text)
    pieces, last = [], 0
    for found in phonenumbers.PhoneNumberMatcher(text, "SE"):
        number = phonenumbers.format_number(found.number, phonenumbers.PhoneNumberFormat.E164)
        if number.lower() in kept:
            continue
        pieces += [text[last:found.start], labels["phone"]]
        last = found.end
    return "".join(pieces) + text[last:]


def labels(language: str) -> dict[str, str]:
    """The replacement labels in a host language (tickets are stored with STORAGE_LANGUAGE's)."""
    texts = host_texts(language)
    return {kind: texts[f"mask_{kind}"] for kind in ("id_number", "card", "email", "phone")}
