"""The bot message contract: representative wire messages survive from_wire/to_wire unchanged, None
fields stay off the wire, malformed input gives a message instead of an error, and the metadata sent
to Rasa keeps all its keys."""

from __future__ import annotations

import copy
import json
from dataclasses import fields
from typing import Any

import pytest

from base.messages import BotMessage, Button, Meta, RasaMetadata

FAQ_ANSWER = {
    "text": "Du ställer dig i bostadskön hos Bodens Energi och Bostäder.",
    "custom": {"response": "utter_faq_answer", "language": "sv", "municipality": "boden", "faq_id": "boden-housing-3",
               "topic": "housing", "score": 0.8125,
               "sources": ["https://www.boden.se/bostad", "https://www.bebo.se"], "time_sensitive": True,
               "verified": "2025-09-01"},
    "image": "https://www.boden.se/logo.png",
}
CLOSE_CALL = {
    "text": "Menade du något av detta?",
    "buttons": [{"title": "Hur får jag förskoleplats?", "payload": "Hur får jag förskoleplats?"},
                {"title": "Ingen av dessa", "payload": "/none_of_these"}],
    "custom": {"response": "utter_close_call", "language": "sv", "municipality": "lulea",
               "choices": ["lulea-school-1", "lulea-school-4"], "scores": [0.61, 0.58]},
}
HANDOFF_OFFER = {
    "text": "Jag hittar inget svar. Vill du prata med en inflyttningslots?",
    "buttons": [{"title": "Ja", "payload": "/ask_for_host"}],
    "custom": {"response": "utter_offer_host", "language": "sv", "municipality": "boden", "handoff_offered": False,
               "handoff_reason": "failed"},
}
HOST_MESSAGE = {
    "text": "Hej, jag heter Anna.",
    "custom": {"language": "pl", "author": "host", "host_name": "Anna", "handoff_id": 42, "handoff_status": "active"},
}
SLOW_DOWN = {
    "text": "Du skickar meddelanden snabbare än jag hinner svara. Vänta 40 sekunder och skriv sedan igen.",
    "custom": {"response": "utter_rate_limited", "language": "sv", "retry_after": 40},
}
TEMPLATE = {"text": "[template newcomer_follow_up]", "custom": {"author": "host", "handoff_id": 42}, "template": True}


@pytest.mark.parametrize("wire", [FAQ_ANSWER, CLOSE_CALL, HANDOFF_OFFER, HOST_MESSAGE, SLOW_DOWN, TEMPLATE],
                         ids=["faq-answer", "close-call", "handoff-offer", "host-message", "slow-down", "template"])
def test_a_wire_message_survives_the_round_trip_unchanged(wire: dict[str, Any]) -> None:
    original = copy.deepcopy(wire)
    assert BotMessage.from_wire(wire).to_wire() == original
    assert json.loads(json.dumps(BotMessage.from_wire(wire).to_wire())) == original
    assert wire == original  # the input is not altered


def test_the_examples_cover_every_metadata_key() -> None:
    used = {key for wire in (FAQ_ANSWER, CLOSE_CALL, HANDOFF_OFFER, HOST_MESSAGE, SLOW_DOWN) for key in wire["custom"]}
    assert used == {f.name for f in fields(Meta)}


def test_handoff_offered_false_is_kept_and_read_as_false() -> None:
    message = BotMessage.from_wire(HANDOFF_OFFER)
    assert message.meta.handoff_offered is False
    assert message.to_wire()["custom"]["handoff_offered"] is False


def test_fields_that_are_none_are_left_out() -> None:
    assert BotMessage(text="Hej").to_wire() == {"text": "Hej"}
    assert BotMessage(text="Hej", meta=Meta(language="sv", score=0.0)).to_wire() == {
        "text": "Hej", "custom": {"language": "sv", "score": 0.0}}
    assert Meta(municipality="boden", handoff_id=None).to_wire() == {"municipality": "boden"}
    assert BotMessage.from_wire({"text": "Hej", "custom": {"topic": None, "language": "sv"}}).to_wire() == {
        "text": "Hej", "custom": {"language": "sv"}}


def test_with_meta_adds_metadata_and_keeps_the_rest() -> None:
    message = BotMessage.from_wire(CLOSE_CALL).with_meta(handoff_id=7)
    assert message.to_wire() == {**CLOSE_CALL, "custom": {**CLOSE_CALL["custom"], "handoff_id": 7}}


@pytest.mark.parametrize(("raw", "expected"), [
    (None, BotMessage()),
    ("just text", BotMessage()),
    (["text"], BotMessage()),
    ({"text": None}, BotMessage()),
    ({"text": "Hej", "buttons": "Ja"}, BotMessage(text="Hej")),
    ({"text": "Hej", "buttons": {"title": "Ja", "payload": "/yes"}}, BotMessage(text="Hej")),
    ({"text": "Hej", "custom": "utter_greet"}, BotMessage(text="Hej")),
    ({"text": "Hej", "custom": ["language", "sv"]}, BotMessage(text="Hej")),
    ({"text": "Hej", "buttons": ["Ja", {"title": "Nej", "payload": "/no"}, None, 3]},
     BotMessage(text="Hej", buttons=(Button("Nej", "/no"),))),
    ({"text": "Hej", "buttons": [{"title": None}]}, BotMessage(text="Hej", buttons=(Button("", ""),))),
    ({"text": 12, "image": 5, "template": "yes"}, BotMessage(text="12")),
])
def test_malformed_input_gives_a_message_without_crashing(raw: Any, expected: BotMessage) -> None:
    message = BotMessage.from_wire(raw)
    assert message == expected
    assert message.to_wire()["text"] == expected.text


def test_rasa_metadata_keeps_all_four_keys_even_when_none() -> None:
    assert RasaMetadata(municipality="boden").to_wire() == {"municipality": "boden", "language": None,
                                                            "channel": None, "message_id": None}
    full = {"municipality": "lulea", "language": "uk", "channel": "telegram", "message_id": "tg-991"}
    assert RasaMetadata.from_wire(full).to_wire() == full


def test_rasa_metadata_from_wire_ignores_what_is_not_text() -> None:
    assert RasaMetadata.from_wire({"municipality": 3, "language": "sv", "extra": "x"}) == RasaMetadata(language="sv")
    assert RasaMetadata.from_wire("boden") == RasaMetadata()
