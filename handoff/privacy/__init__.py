"""Masking of personal identifiers in what hosts see, what e-mails say and what tickets store.

The identifiers a person types are replaced by a label in the host's language (``labels``) —
except the contact details they gave for this very handoff, which the host needs (``keep``).
``recognisers`` holds one recogniser per kind, ``checksums`` their check digits, ``context``
the words in eight languages that say what a number is, ``masking`` settles overlaps and
replaces, and ``evaluation`` scores all of it on the labelled set eval/masking.yml
(``python -m app masking``, and section 0 of ``make bench``).

What is masked, and on what evidence:

- ``id_number``: personnummer and samordningsnummer (day + 60), YYMMDD or YYYYMMDD (century 19
  or 20), then hyphen, en or em dash, minus, plus (over 100 years old), space or nothing, then
  four digits; the date must exist and the Luhn check hold. Ten digits with no separator are also
  a valid Swedish mobile number now and then ("0701740615"): a phone then, unless an identity
  word introduces them.
- ``card``: 13–19 digits beginning with 2–6 (the major networks' ranges), in one block, in groups
  of 3–6 or of four with the rest last, or cut once, with one separator throughout (space, dot,
  hyphen); Luhn. An expiry date after the number does not hide it.
- ``account``: IBANs of every country in SWIFT's registry (its length per country, mod 97,
  with or without spaces, any case); and account numbers without an IBAN — a Swedish clearing
  number and account number, or a foreign account number — as 7–16 digits right after an
  account word or a Swedish bank's name ("kontonummer", "clearingnummer", "Swedbank", "account
  number", "numer konta", "Kontonummer", "номер рахунку", "رقم الحساب", "tilinumero", "número de
  cuenta"…). Swedish account numbers differ in length and check digit by bank and clearing range,
  so neither is checked; nor is a clearing number alone masked (it names a bank branch).
- ``email``: addresses in any script on both sides of the @.
- ``phone``: what libphonenumber finds valid, written with +, with 00, or nationally with 0
  (Swedish numbers). Right after a phone word ("ring", "telefon", "Handy", "телефон", "هاتف"…)
  also a country code without + or 00 ("48 601 234 567") and a foreign number the way its own
  country dials it ("0151 28473615") — unless a nearer word of another kind introduces it.
- ``address``: a Swedish street name (…gatan, …vägen, …gränd, …stigen, …backen, …torget; "Gamla
  vägen", "Västra Varvsgatan") with its number, letter, apartment ("lgh 1103") and floor ("2 tr"),
  and the postcode and post town when they follow.
- ``passport``: passport formats differ by country, so 6–11 letters and digits (at least four
  digits) right after a passport word ("pass", "passport", "paszport", "Reisepass", "паспорт",
  "جواز السفر", "passi", "pasaporte"…).
- ``case_number``: the Migration Agency's case and dossier numbers (and other agencies') follow
  no published rule we could check, so 6–12 digits right after a case word ("ärendenummer",
  "dossiernummer", "case number", "numer sprawy", "Aktenzeichen", "номер справи", "رقم القضية",
  "asianumero", "número de expediente"…), never a date or a sum of money.

A context word counts for the number right after it (``context.REACH`` characters, no other digit
between but the earlier items of a list); no checksum is invented for a format that has none.

Deliberately not masked: a number failing its checksum (an order number, a mistyped personnummer:
it identifies no one we can tell), years, dates, clock times, prices and other sums, flat sizes,
bus and line numbers, the public short numbers (112, 1177); a postcode or a post town alone and a
street without a number (each is shared by thousands, and hosts need the locality); people's
names and other countries' national identity numbers (PESEL, Steuer-ID, РНОКПП — not recognised
yet); numbers no word introduces when the format alone cannot tell them from any other number
(passport, case and Swedish account numbers).
"""

from handoff.privacy.checksums import luhn_valid
from handoff.privacy.masking import find, labels, mask
from handoff.privacy.recognisers import KINDS, Span

__all__ = ["KINDS", "Span", "find", "labels", "luhn_valid", "mask"]
