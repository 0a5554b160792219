"""The words that say what a number is, in the assistant's eight languages (sv en fi pl de uk ar es).

A passport, case or account number has no check digit we could rely on, so it is only masked
right after one of these words; for personal identity and phone numbers the words settle a number
that could be either, and a phone word also admits a foreign number written without +. A word
counts for the number after it: at most ``REACH`` characters later, with no other digit in between
("ärendenummer hos Migrationsverket: 12-345678") but the earlier items of a list ("… 12-345678
och 12-345679"); of two words, the nearer one says what the number is.
Arabic words are matched inside longer words too, since Arabic writes "و" (and) or "ال" (the)
onto the word.
"""

from __future__ import annotations

import re

#: How far after its word a number may start.
REACH = 40


def _words(latin_and_cyrillic: str, arabic: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{latin_and_cyrillic})|(?:{arabic})", re.IGNORECASE)


ID_NUMBER = _words(
    r"person(?:nummer|numret|nr|ennummer|al (?:identity |id )?number)|pnr\b|samordningsn(?:ummer|umret|r)"
    r"|coordination number|id[- ]number|identitätsnummer|koordinierungsnummer|numer (?:osobisty|personalny)"
    r"|персональн\w* (?:ідентифікаційн\w* )?номер|ідентифікаційн\w* номер|henkilö(?:tunnu|numer)"
    r"|número (?:personal|de identidad)",
    r"الرقم الشخصي|رقمي الشخصي|رقم شخصي|رقم الهوية|رقم هويتي",
)
PHONE = _words(
    r"tel(?:efon\w*|ephone\w*|\.|\b)|mobil\w*|ring(?:a|er|de)?\b|sms\b|whats ?app|phone\w*|cell\b|call\b|text me"
    r"|my number|mitt nummer|komórk\w*|zadzwo\w*|mój numer|handy\w*|anruf\w*|ruf\b|meine nummer|телефон\w*|мобільн\w*"
    r"|дзвон\w*|подзвон\w*|мій номер|puhelin\w*|soita\w*|numeroni|teléfono|móvil|llám\w*|mi número",
    r"هاتف|جوال|موبايل|اتصل|واتساب|رقمي",
)
ACCOUNT = _words(
    r"(?:bank|löne|spar|person)?konto(?:t|s|nummer|numret|nr)?\b|clearing\w*|(?:bank )?account(?: number| no\.?)?"
    r"|acc(?:t|\.)?(?: no\.?| nr\.?| number)"
    r"|(?:numer|nr) (?:konta|rachunku)|rachun\w*|bankverbindung|рахун\w*|банківськ\w* рахун\w*"
    r"|(?:pankki)?tili(?:numero|n)?\b|(?:número de )?cuenta"
    r"|swedbank|handelsbanken|nordea|seb\b|danske bank|ica banken|länsförsäkringar|sparbank\w*|skandiabanken",
    r"رقم الحساب|حساب",
)
PASSPORT = _words(
    r"(?:reise)?pass(?:et|ets|nummer|numret|nr|port\w*)?\b|paszport\w*|паспорт\w*|закордонн\w*"
    r"|passi(?:n|numero)?\b|pasaporte",
    r"جواز",
)
CASE_NUMBER = _words(
    r"ärende(?:t|nummer|numret|nr)?\b|ärende nr|dossier(?:nummer|numret|nr|-nummer)?\b|diarienummer"
    r"|case(?: number| no\.?| nr| reference| id)\b|my case\b|(?:numer|nr) (?:sprawy|dossier)|sygnatur\w*|aktenzeichen"
    r"|fallnummer|vorgangsnummer|geschäftszeichen|номер (?:моєї )?справи|справ[аи] (?:№|номер)|номер досьє"
    r"|asianumero|asian numero|diaarinumero|(?:número de )?expediente|número de caso",
    r"رقم القضية|رقم الملف|رقم ملفي|قضيتي",
)
#: The words of every kind but phones: a number they introduce is not a phone number by guess.
OTHER_THAN_PHONE = re.compile("|".join(words.pattern for words in (ID_NUMBER, ACCOUNT, PASSPORT, CASE_NUMBER)),
                              re.IGNORECASE)

_DIGIT = re.compile(r"\d")
#: A number and the word that joins it to the next one ("23-481516 och "), in any of the eight languages.
_LISTED = re.compile(
    r"\d++(?:[^\S\n]?[-–][^\S\n]?\d++|[^\S\n]\d++)*+[^\S\n]*+"
    r"(?:,|och|samt|eller|and|or|und|oder|oraz|lub|albo|i|та|і|й|або|ja|tai|y|o|و|أو)(?!\w)",
    re.IGNORECASE,
)


def word_before(words: re.Pattern[str], text: str, start: int) -> int | None:
    """Where the nearest of words before text[start:] ends, if it introduces what starts there: within
    REACH, and no digit in between but for earlier numbers of a list ("ärendenummer 23-481516 och 23-481517")."""
    offset = max(0, start - 3 * REACH)
    window = text[offset:start]
    last = None
    for last in words.finditer(window):  # noqa: B007 - the last one is the nearest
        pass
    if last is None:
        return None
    gap = _LISTED.sub("", window[last.end():])
    return offset + last.end() if len(gap) <= REACH and not _DIGIT.search(gap) else None


def follows(words: re.Pattern[str], text: str, start: int) -> bool:
    """Whether one of words introduces text[start:] (see word_before)."""
    return word_before(words, text, start) is not None
