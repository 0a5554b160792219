"""Each kind of identifier is found however newcomers write it, and look-alikes are left alone."""

import time

import pytest

from handoff.privacy import find, labels, mask
from handoff.privacy.checksums import birth_date_valid, iban_valid


def found(text: str) -> list[tuple[str, str]]:
    return [(text[span.start:span.end], span.kind) for span in find(text)]


@pytest.mark.parametrize("number", [
    "811228-9874", "19811228-9874", "8112289874", "198112289874", "811228 9874", "811228–9874", "811228 – 9874",
    "811228+9874",  # + : over 100 years old
    "680982-0621", "19891087-4596",  # samordningsnummer: day + 60
    "٨١١٢٢٨-٩٨٧٤",  # typed on an Arabic keyboard
])
def test_personal_identity_and_coordination_numbers_with_any_separator(number: str) -> None:
    for said in (f"Mitt personnummer är {number}.", f"My personal number: {number}", f"رقمي الشخصي {number}"):
        assert found(said) == [(number, "id_number")]


def test_birth_dates_follow_the_calendar() -> None:
    assert birth_date_valid("000229") and birth_date_valid("000289")  # 29 February exists in some year
    assert not birth_date_valid("010229", "20") and not birth_date_valid("810231") and not birth_date_valid("810200")


def test_ibans_check_their_registered_length_and_mod_97() -> None:
    assert iban_valid("SE4550000000058398257466") and iban_valid("no9386011117947")
    assert not iban_valid("SE45500000000583982574660") and not iban_valid("XX4550000000058398257466")


@pytest.mark.parametrize("card", [
    "4111 1111 1111 1111", "4111-1111-1111-1111", "4111.1111.1111.1111", "4111111111111111",
    "3782 822463 10005", "3056 930902 5904", "2223 0031 2200 3222", "4111 111111111111",
])
def test_card_numbers_in_groups_or_not(card: str) -> None:
    assert found(f"Mitt kort {card} utgår 09/27") == [(card, "card")]
    assert found(f"Моя картка {card}, гроші зняли двічі") == [(card, "card")]


@pytest.mark.parametrize("address", [
    "åsa.öberg@exempel.se", "олена.коваль@приклад.укр", "jürgen.müller@beispiel.de", "d.kowalczyk+kommun@example.net",
    "Fatima.Haddad92@example.com",
])
def test_email_addresses_in_any_script(address: str) -> None:
    assert found(f"Skriv till {address}, tack") == [(address, "email")]


@pytest.mark.parametrize(("said", "value", "kind"), [
    # IBANs, and account numbers after an account word or a bank's name
    ("IBAN SE45 5000 0000 0583 9825 7466.", "SE45 5000 0000 0583 9825 7466", "account"),
    ("mój IBAN: pl61109010140000071219812874", "pl61109010140000071219812874", "account"),
    ("Meine IBAN lautet DE89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 00", "account"),
    ("رقم الحساب GB29 NWBK 6016 1331 9268 19 من فضلكم", "GB29 NWBK 6016 1331 9268 19", "account"),
    ("Номер рахунку UA21 3223 1300 0002 6007 2335 6600 1", "UA21 3223 1300 0002 6007 2335 6600 1", "account"),
    ("Jag har IBAN-nummer SE 45 5000 0000 0583 9825 7466", "SE 45 5000 0000 0583 9825 7466", "account"),
    ("Mitt kontonummer är 8327-9, 984 512 337-4.", "8327-9, 984 512 337-4", "account"),
    ("Clearingnummer 8327-9, kontonummer 984 512 337-4", "984 512 337-4", "account"),
    ("Swedbank 8327-9 984 512 337-4", "8327-9 984 512 337-4", "account"),
    ("numer konta w Szwecji: 6152 837 461 205", "6152 837 461 205", "account"),
    ("رقم الحساب البنكي 6152 837 461 205", "6152 837 461 205", "account"),
    # phone numbers, Swedish and foreign, with and without +
    ("ring 070-174 06 05", "070-174 06 05", "phone"),
    ("mitt nummer 0701740622", "0701740622", "phone"),
    ("Call me on +46 (0)70 174 06 77", "+46 (0)70 174 06 77", "phone"),
    ("Zadzwoń: 0048 512 330 784", "0048 512 330 784", "phone"),
    ("Zadzwoń: +48 601 482 913", "+48 601 482 913", "phone"),
    ("mój numer 48 601 482 913", "48 601 482 913", "phone"),  # country code without + after a phone word
    ("WhatsApp 46701740617", "46701740617", "phone"),
    ("Telefon: 0151 28473615", "0151 28473615", "phone"),  # a German mobile, dialled the German way
    ("Телефон: 067 418 23 95", "067 418 23 95", "phone"),  # a Ukrainian one
    ("رقم هاتفي ٠٧٠١٧٤٠٦٥٥", "٠٧٠١٧٤٠٦٥٥", "phone"),
    # street addresses with what follows them
    ("Jag bor på Storgatan 14 B, 972 31 Luleå och", "Storgatan 14 B, 972 31 Luleå", "address"),
    ("Ny adress: Hertsövägen 7 lgh 1103", "Hertsövägen 7 lgh 1103", "address"),
    ("Min adress är Hamngatan 4, 2 tr, 972 32 Luleå", "Hamngatan 4, 2 tr, 972 32 Luleå", "address"),
    ("Ich wohne in der Kyrkogatan 22, 93131 Skellefteå", "Kyrkogatan 22, 93131 Skellefteå", "address"),
    ("Я живу на Björkvägen 12b", "Björkvägen 12b", "address"),
    ("Jag ska flytta till Gamla vägen 5 i juni", "Gamla vägen 5", "address"),
    ("Jag bor på Stora Torget 3", "Stora Torget 3", "address"),
    ("min adress: Västra Varvsgatan 11", "Västra Varvsgatan 11", "address"),
    ("adress: storgatan 18, lägenheten längst upp", "storgatan 18", "address"),
    # passport numbers after a passport word
    ("Passnummer 89451236, jag behöver", "89451236", "passport"),
    ("Numer paszportu EA1234567, ważny do 2030", "EA1234567", "passport"),
    ("paszport nr EZ 7712406", "EZ 7712406", "passport"),
    ("Reisepassnummer C01X00T47, gültig bis 2031", "C01X00T47", "passport"),
    ("Закордонний паспорт FA123456", "FA123456", "passport"),
    ("Номер паспорта ЕК 204815", "ЕК 204815", "passport"),
    ("جواز سفري رقم RL4418276 ينتهي في 2027", "RL4418276", "passport"),
    ("Mi pasaporte PAA012345 caduca en 2028", "PAA012345", "passport"),
    # case numbers after a case word
    ("Mitt ärendenummer hos Migrationsverket är 23-481516", "23-481516", "case_number"),
    ("Dossiernummer 7654321, uppehållstillståndet", "7654321", "case_number"),
    ("Migration Agency case number 22-713045", "22-713045", "case_number"),
    ("Numer sprawy w Migrationsverket 22-184503", "22-184503", "case_number"),
    ("Aktenzeichen beim Migrationsverket: 21-556093", "21-556093", "case_number"),
    ("Номер справи в Міграційній службі 21-334455", "21-334455", "case_number"),
    ("رقم القضية في مصلحة الهجرة 23-904417", "23-904417", "case_number"),
    ("Asianumero 22-918304 Migrationsverketissä", "22-918304", "case_number"),
    ("Número de expediente: 20-447190", "20-447190", "case_number"),
])
def test_each_kind_as_newcomers_write_it(said: str, value: str, kind: str) -> None:
    assert found(said) == [(value, kind)]


@pytest.mark.parametrize("said", [
    # identity numbers
    "ordernummer 811228-9875",  # fails Luhn
    "personnummer 811328-9874",  # no 13th month
    "Vi kom 2019-03-15 och hyran är 8 500 kr, 68 m², buss 104 kl 07.45",
    "Jag är född 19811228",  # a date, without the birth number
    "18811228-9874",  # no such century
    # cards
    "Ordernummer 4491 0273 3318 5562",  # fails Luhn
    "OCR 7720 3315 6690 7",  # Luhn-valid, but no card network starts with 7
    "4111 11 11 1111 1111",  # no card is printed in groups of two
    "4111 1111.1111-1111",  # separators change midway
    "Kundnummer 9111 1111 1111 1110",  # Luhn-valid, but no card network starts with 9
    # accounts
    "IBAN SE45 5000 0000 0583 9825 7467",  # fails mod 97
    "SE45 5000 0000 0583 9825 74",  # too short for Sweden
    "Jag har 1 500 000 kr på kontot",  # a balance comes before the word, and carries kr
    "kontot: 1 500 000 kr",
    "Jag har fått kontonummer 5520-0",  # a bankgiro-length number
    "Jag har konto hos Swedbank sedan 2019",
    # phones
    "Ska jag ringa 112 eller 1177?", "Bussen 104 går 07.45",
    "48 601 482 913",  # no phone word: no country code without +
    "Swish till 123 456 78 90", "Ordernummer 4915128473615",
    # addresses
    "Postnumret här är 961 36, vilken vårdcentral hör jag till?",  # a postcode alone
    "Jag bor på Storgatan, nära torget",  # a street without a number
    "Jag bor på nummer 12 i Boden",  # a number and a town without the street
    "Vi var på torget 2 gånger",  # no street name
    "Meine Schwester wohnt in 80331 München",
    # passports and case numbers
    "AB1234567 och 7654321",  # no passport or case word: the format alone says nothing
    "Ärendet gäller min ansökan från 2023-06-14",  # a date after a case word
    "Jag jobbar pass på äldreboendet, 12 timmar per pass",
    "my case worker said 2 weeks",
])
def test_look_alikes_are_left_alone(said: str) -> None:
    assert found(said) == []


def test_a_list_after_one_word_is_read_as_a_list() -> None:
    said = "ring 070-174 06 05 eller 46701740617"
    assert found(said) == [("070-174 06 05", "phone"), ("46701740617", "phone")]
    said = "Mina ärendenummer är 23-481516 och 23-481517"
    assert found(said) == [("23-481516", "case_number"), ("23-481517", "case_number")]


def test_the_nearest_word_says_what_a_number_is() -> None:
    assert found("Mój numer sprawy to 23-481516") == [("23-481516", "case_number")]
    assert found("personnummer 811228-9874 och telefon 48 601 482 913") == [("811228-9874", "id_number"),
                                                                           ("48 601 482 913", "phone")]


def test_masking_stays_fast_on_long_hostile_texts() -> None:
    hostile = ["1 " * 2500, "12-" * 1600, "a." * 2500 + "@", "a@" + "b." * 2500, "Storgatan 1 " * 400,
               "kontonummer 1 " * 350, "SE45 " * 1000, "+4" * 2500, "pass " * 1000 + "AB1234567"]
    for text in hostile:
        start = time.perf_counter()
        mask(text, labels("sv"))
        assert time.perf_counter() - start < 3, text[:20]
