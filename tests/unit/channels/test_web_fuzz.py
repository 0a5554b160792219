"""socket.io ``user_uttered`` events as anyone on the internet may send them: any JSON, and the widget's
own shape with fields replaced by junk. parse_uttered never raises, and keeps only what may be trusted:
a configured municipality, a short language code, a bounded message id."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import municipalities
from channels.web.channel import Uttered, parse_uttered
from tests.unit.channels.test_telegram_fuzz import json_objects, json_values, mutated, strings

MUNICIPALITIES = sorted(municipalities.load_all())

#: What our widget and rasa-webchat send, with hostile values in every field.
events = st.fixed_dictionaries(
    {"message": st.one_of(strings, st.sampled_from(["/greet", "/ /restart", "hej"]))},
    optional={
        "session_id": st.one_of(st.text(max_size=60), strings),
        "message_id": st.one_of(st.uuids().map(str), st.text(max_size=120), strings),
        "customData": st.fixed_dictionaries({}, optional={
            "municipality": st.one_of(st.sampled_from([*MUNICIPALITIES, "BODEN", "Boden", "boden ", "evil",
                                                       "__proto__", ""]), strings),
            "language": st.one_of(st.sampled_from(["sv", "pl-PL", "uk_UA", "EN", "zz", "english", "e", "",
                                                   " de ", "ar-", "-", "ǅǅ", "ﬀ", "İ", "日本"]), strings),
        }),
    },
)


def _check(data: Any) -> Uttered | None:
    uttered = parse_uttered(data)
    if not isinstance(data, dict) or not isinstance(data.get("message"), str):
        assert uttered is None
        return None
    assert isinstance(uttered, Uttered)
    assert uttered.text == data["message"]
    custom = data.get("customData") if isinstance(data.get("customData"), dict) else {}
    # The municipality only exactly as configured: never a look-alike, never a made-up one.
    assert uttered.municipality is None or (uttered.municipality in MUNICIPALITIES
                                            and uttered.municipality == custom.get("municipality"))
    # The language only as a short code of letters.
    assert uttered.language is None or (isinstance(uttered.language, str) and 2 <= len(uttered.language) <= 3
                                        and uttered.language.isalpha() and uttered.language == uttered.language.lower())
    assert uttered.message_id is None or (uttered.message_id == data.get("message_id")
                                          and len(uttered.message_id) <= 100)
    assert uttered.session_token is None or uttered.session_token == data.get("session_id")
    return uttered


@pytest.mark.fuzz
@given(st.one_of(json_values, json_objects))
def test_any_json_never_raises(data: Any) -> None:
    _check(data)


@pytest.mark.fuzz
@given(st.one_of(events, mutated(events)))
def test_near_valid_events_keep_only_trusted_fields(data: dict[str, Any]) -> None:
    _check(data)


@pytest.mark.fuzz
@given(events)
def test_a_configured_municipality_and_a_real_language_code_are_kept(data: dict[str, Any]) -> None:
    uttered = _check(data)
    custom = data.get("customData", {})
    assert (uttered.municipality is not None) == (custom.get("municipality") in MUNICIPALITIES)
    if custom.get("language") in ("sv", "pl-PL", "uk_UA", "EN"):
        assert uttered.language == custom["language"][:2].lower()


@pytest.mark.parametrize("data", [None, [], "hej", 5, {}, {"message": None}, {"message": 5}, {"message": ["hej"]},
                                  {"message": {"text": "hej"}}, {"text": "hej"}])
def test_no_message_is_none(data: Any) -> None:
    assert parse_uttered(data) is None


def test_fields_of_the_wrong_type_are_dropped() -> None:
    uttered = parse_uttered({"message": "hej", "session_id": 5, "message_id": ["x"],
                             "customData": {"municipality": ["boden"], "language": {"code": "sv"}}})
    assert uttered == Uttered(text="hej", municipality=None, language=None, message_id=None, session_token=None)
    assert parse_uttered({"message": "hej", "customData": "boden"}).municipality is None
    assert parse_uttered({"message": "hej", "message_id": "x" * 101}).message_id is None
    assert parse_uttered({"message": "hej", "message_id": "x" * 100}).message_id == "x" * 100
