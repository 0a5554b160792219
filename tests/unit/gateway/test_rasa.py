"""The Rasa client: Rasa names each response, the client renders it in the conversation's words."""

from __future__ import annotations

import asyncio
import json

import httpx

from base.catalog import text
from base.messages import RasaMetadata
from gateway.rasa import RasaClient, RasaUnavailable


def _client(answer: list[dict], seen: list[dict] | None = None) -> RasaClient:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(json.loads(request.content))
        return httpx.Response(200, json=answer)

    return RasaClient("http://rasa.test", "internal-token", transport=httpx.MockTransport(handler))


def _named(response: str, slot_language: str | None, slot_municipality: str | None = None, **arguments) -> dict:
    slots = {"language": slot_language, "municipality": slot_municipality}
    return {"recipient_id": "x", "custom": {"render": {"response": response, "arguments": arguments, "slots": slots}}}


def test_a_named_response_is_rendered_in_the_conversations_language() -> None:
    [thanks] = asyncio.run(_client([_named("utter_thanks", "pl")]).send("c", "dzięki", RasaMetadata()))
    assert thanks.text == text("pl", "utter_thanks")
    assert thanks.meta.language == "pl" and thanks.meta.response == "utter_thanks"


def test_the_actions_language_argument_wins_over_the_slot_of_before_the_turn() -> None:
    """A language switched in this turn reaches the arguments before the slot event is applied."""
    [message] = asyncio.run(_client([_named("utter_language_set", "en", language="de")]).send(
        "c", "auf Deutsch bitte", RasaMetadata()))
    assert message.text == text("de", "utter_language_set")


def test_the_municipality_of_the_slot_fills_the_text() -> None:
    [welcome] = asyncio.run(_client([_named("utter_welcome", "sv", "boden")]).send("c", "hej", RasaMetadata()))
    assert welcome.text == text("sv", "utter_welcome", municipality_name="Boden")


def test_a_response_without_catalog_text_is_left_out_and_not_an_error() -> None:
    messages = asyncio.run(_client([_named("utter_no_such_thing", "en"), _named("utter_thanks", "en")]).send(
        "c", "thanks", RasaMetadata()))
    assert [m.meta.response for m in messages] == ["utter_thanks"]


def test_an_already_written_message_passes_unchanged_and_nothing_is_still_unavailable() -> None:
    [message] = asyncio.run(_client([{"text": "Hej!", "custom": {"language": "sv"}}]).send("c", "x", RasaMetadata()))
    assert message.text == "Hej!"
    try:
        asyncio.run(_client([]).send("c", "x", RasaMetadata()))
    except RasaUnavailable as exc:
        assert exc.reason == "empty"
    else:
        raise AssertionError("an empty answer must be RasaUnavailable")


def test_the_metadata_sent_to_rasa_carries_the_vector_only_when_there_is_one() -> None:
    seen: list[dict] = []
    asyncio.run(_client([_named("utter_thanks", "en")], seen).send("c", "x", RasaMetadata(municipality="boden")))
    asyncio.run(_client([_named("utter_thanks", "en")], seen).send("c", "x", RasaMetadata(e5_vector="AAAA")))
    assert "e5_vector" not in seen[0]["metadata"] and seen[0]["metadata"]["municipality"] == "boden"
    assert seen[1]["metadata"]["e5_vector"] == "AAAA"
