"""Masking of personal identifiers for hosts and tickets."""

from handoff.privacy import luhn_valid, mask

LABELS = {"id_number": "[ID]", "card": "[CARD]", "email": "[EMAIL]", "phone": "[PHONE]"}


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
