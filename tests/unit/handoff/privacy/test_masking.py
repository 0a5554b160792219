"""Masking of personal identifiers for hosts and tickets: replacement, the kept contact, overlaps."""

from handoff.privacy import find, labels, luhn_valid, mask

LABELS = {"id_number": "[ID]", "card": "[CARD]", "email": "[EMAIL]", "phone": "[PHONE]", "account": "[ACCOUNT]",
          "address": "[ADDRESS]", "passport": "[PASSPORT]", "case_number": "[CASE]"}


def test_personal_identity_numbers_are_masked_but_dates_and_prices_are_not() -> None:
    said = "Mitt personnummer är 811228-9874 och min frus 19811228-9874. Vi kom 2024 och hyran är 8500 kr."
    assert mask(said, LABELS) == "Mitt personnummer är [ID] och min frus [ID]. Vi kom 2024 och hyran är 8500 kr."
    assert mask("ordernummer 811228-9875", LABELS) == "ordernummer 811228-9875"  # fails the checksum


def test_card_numbers_emails_and_phones_are_masked() -> None:
    said = "Kort 4111 1111 1111 1111, mejl ola@example.com, ring 070-123 45 67 eller +48 601 234 567."
    assert mask(said, LABELS) == "Kort [CARD], mejl [EMAIL], ring [PHONE] eller [PHONE]."


def test_the_contact_details_given_for_the_handoff_stay_visible() -> None:
    said = "Nå mig på anna.k@example.com eller 070-123 45 67; min chefs nummer är 070-765 43 21."
    masked = mask(said, LABELS, keep=("anna.k@example.com", "+46701234567"))
    assert masked == "Nå mig på anna.k@example.com eller 070-123 45 67; min chefs nummer är [PHONE]."


def test_luhn() -> None:
    assert luhn_valid("8112289874") and luhn_valid("4111111111111111")
    assert not luhn_valid("8112289875")


def test_the_kept_contact_is_recognised_however_it_is_written_and_in_any_case() -> None:
    said = "Ring +46 70 174 06 05 eller 0701740605, skriv till Åsa.Öberg@Exempel.se, inte till bo@exempel.se"
    masked = mask(said, LABELS, keep=("+46701740605", "åsa.öberg@exempel.se"))
    assert masked == "Ring +46 70 174 06 05 eller 0701740605, skriv till Åsa.Öberg@Exempel.se, inte till [EMAIL]"
    assert mask(said, LABELS, keep=("", "  ")) == "Ring [PHONE] eller [PHONE], skriv till [EMAIL], inte till [EMAIL]"


def test_every_kind_has_a_label_in_both_host_languages() -> None:
    assert labels("sv")["account"] == "[kontonummer dolt]" and labels("en")["case_number"] == "[case number hidden]"
    assert set(labels("sv")) == set(labels("en")) == set(LABELS)
    assert labels("fr") == labels("sv")  # hosts work in Swedish or English; anything else gets the default


def test_masking_a_masked_text_changes_nothing() -> None:
    once = mask("pnr 811228-9874, IBAN SE45 5000 0000 0583 9825 7466, Storgatan 12, 972 31 Luleå", labels("sv"))
    assert once == "pnr [personnummer dolt], IBAN [kontonummer dolt], [adress dold]"
    assert mask(once, labels("sv")) == once


def test_the_longest_candidate_wins_an_overlap() -> None:
    # the IBAN's digits hold a Luhn-valid card-length run; the e-mail's local part holds a personnummer
    said = "SE45 5000 0000 0583 9825 7466 och anna.8112289874@exempel.se"
    assert [(said[s.start:s.end], s.kind) for s in find(said)] == [
        ("SE45 5000 0000 0583 9825 7466", "account"), ("anna.8112289874@exempel.se", "email")]
    # a Nordea personal account is clearing number 3300 and the holder's personnummer
    assert mask("Nordea personkonto 3300 8112289874", LABELS) == "Nordea personkonto [ACCOUNT]"


def test_of_equal_spans_the_one_its_context_word_supports_wins() -> None:
    # 0701740615 is a valid Swedish mobile number and a valid samordningsnummer (born 14 January 2007)
    assert [s.kind for s in find("ring mig på 0701740615")] == ["phone"]
    assert [s.kind for s in find("dotterns samordningsnummer 0701740615")] == ["id_number"]
    assert [s.kind for s in find("0701740615")] == ["phone"]  # no word: the separator-less form is a phone first
    assert [s.kind for s in find("070174-0615")] == ["id_number"]  # the hyphen says personnummer
