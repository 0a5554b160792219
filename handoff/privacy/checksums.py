"""The check digits that tell a real identifier from any other number: Luhn, IBAN mod-97, birth dates.

Digits may be any Unicode decimal digits (an Arabic keyboard types ٠١٢٣…); they count by value.
"""

from __future__ import annotations

import calendar
import unicodedata

#: The length of an IBAN per country (SWIFT's IBAN registry: 4 characters + the country's BBAN).
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29,
    "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24,
    "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
    "YE": 30,
}


def ascii_digits(text: str) -> str:
    """The decimal digits of text, as ASCII (anything else is dropped)."""
    return "".join(str(unicodedata.decimal(char)) for char in text if char.isdecimal())


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod-10) check that personnummer, samordningsnummer and payment cards carry."""
    digits = ascii_digits(digits)
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return bool(digits) and total % 10 == 0


def iban_valid(compact: str) -> bool:
    """An IBAN without spaces: a known country, its registered length and ISO 7064 mod 97-10."""
    compact = compact.upper()
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact.isascii() or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def birth_date_valid(date: str, century: str = "") -> bool:
    """YYMMDD (or YYYYMMDD with century) as a personnummer's date; day + 60 is a samordningsnummer's."""
    year, month, day = int(century + date[:2]) if century else 2000, int(date[2:4]), int(date[4:6])
    if day > 60:
        day -= 60
    # Without a century the year is unknown: a leap year admits 29 February.
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]
