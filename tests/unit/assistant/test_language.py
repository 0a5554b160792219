"""How the reply language is chosen: detection, short messages, hints and explicit requests."""

import pytest

from assistant.language import choose_language, detect, normalise_code, requested_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hur hittar jag en lägenhet i Boden?", "sv"),
        ("How do I find a flat in Boden?", "en"),
        ("Jak znaleźć mieszkanie w Boden?", "pl"),
        ("Wie finde ich eine Wohnung in Luleå?", "de"),
        ("Miten löydän asunnon Luleåsta?", "fi"),
        ("Як знайти квартиру в Будені?", "uk"),
        ("كيف أجد شقة في بودن؟", "ar"),
        ("¿Cómo encuentro un piso en Luleå?", "es"),
    ],
)
def test_long_messages_are_answered_in_their_language(text: str, expected: str) -> None:
    assert choose_language(text, current="sv" if expected != "sv" else "en") == expected


def test_short_message_keeps_the_conversation_language() -> None:
    assert choose_language("ok", current="pl") == "pl"
    assert choose_language("hej", current="de", hint="sv") == "de"


def test_short_first_message_uses_the_channel_hint() -> None:
    assert choose_language("hello", hint="pl-PL") == "pl"


def test_unsupported_language_keeps_the_conversation_language() -> None:
    dutch = "Hoe vind ik een huurwoning in Luleå voor mijn gezin?"
    assert detect(dutch)[0] == "nl"
    assert choose_language(dutch, current="sv") == "sv"
    assert choose_language(dutch) == "en"


def test_explicit_request_wins_over_detection() -> None:
    assert choose_language("Can you answer in Polish please?", current="en", requested="pl") == "pl"


def test_detection_is_deterministic() -> None:
    text = "Jag vill veta mer om förskola"
    assert len({detect(text) for _ in range(5)}) == 1


def test_text_without_letters_has_no_language() -> None:
    assert detect("😀🎉 123 !!") == (None, 0.0)
    assert choose_language("😀🎉", current="uk") == "uk"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("can you answer in Polish?", "pl"),
        ("po polsku proszę", "pl"),
        ("på svenska tack", "sv"),
        ("Kannst du auf Deutsch antworten?", "de"),
        ("¿Puedes contestar en español?", "es"),
        ("Відповідай українською, будь ласка", "uk"),
    ],
)
def test_requested_language_is_recognised(text: str, expected: str) -> None:
    assert requested_language(text) == expected


@pytest.mark.parametrize(
    ("code", "expected"), [("pl-PL", "pl"), ("SV", "sv"), ("en_GB", "en"), ("", None), (None, None)]
)
def test_language_codes_are_normalised(code, expected) -> None:
    assert normalise_code(code) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wie viel kostet die Kita (förskola) in Boden?", "de"),
        ("Як стати в чергу на житло в Лулео?", "uk"),
        ("¿Cuánto tardan en dar plaza en la guardería (förskola) en Skellefteå?", "es"),
    ],
)
def test_swedish_place_names_and_glosses_do_not_decide_the_language(text: str, expected: str) -> None:
    assert choose_language(text) == expected
