"""The gateway's handling of raw input before anything reaches Rasa."""

import asyncio
import json

import httpx
import pytest

from bot.catalog import text as catalog_text
from connectors.gateway import MAX_CHARS, Gateway, Inbound, clean_text, to_rasa_text


def test_control_characters_are_removed_but_line_breaks_kept() -> None:
    assert clean_text("  hej\x00\x07 där\u200b\nnästa rad \x1b[31m ") == "hej där\nnästa rad [31m"


def test_lang_command_becomes_a_payload() -> None:
    assert to_rasa_text("/lang pl") == '/change_language{"language": "pl"}'
    assert to_rasa_text("/lang pl-PL") == '/change_language{"language": "pl"}'


def test_button_payloads_pass_and_other_slashes_are_text() -> None:
    assert to_rasa_text('/choose_municipality{"municipality": "lulea"}').startswith("/choose_municipality")
    assert to_rasa_text("/etc/passwd") == "etc/passwd"
    assert to_rasa_text("/restart") == "restart"
    assert to_rasa_text('/choose_municipality{"broken') == 'choose_municipality{"broken'


def _inbound(text: str, hint: str | None = None) -> Inbound:
    return Inbound(municipality="boden", channel="test", user_id="u1", text=text, language_hint=hint)


@pytest.fixture
def offline_gateway() -> Gateway:
    return Gateway("http://127.0.0.1:9", timeout=0.5)  # nothing listens on the discard port


def test_empty_message_gets_a_polite_reply_in_the_hinted_language(offline_gateway: Gateway) -> None:
    replies = asyncio.run(offline_gateway.handle(_inbound("   \x00 ", hint="sv")))
    assert replies[0]["text"] == "Ditt meddelande verkar vara tomt. Vad vill du veta?"


def test_very_long_message_is_declined_politely_in_its_language(offline_gateway: Gateway) -> None:
    text = ("Jak mogę znaleźć mieszkanie dla mojej rodziny w Boden? " * 400)[: MAX_CHARS * 10]
    replies = asyncio.run(offline_gateway.handle(_inbound(text)))
    assert replies[0]["custom"]["language"] == "pl"
    assert replies[0]["custom"]["response"] == "utter_message_too_long"


def test_rasa_down_gives_an_apology_not_an_error(offline_gateway: Gateway) -> None:
    replies = asyncio.run(offline_gateway.handle(_inbound("Wie finde ich eine Wohnung in Boden?")))
    assert replies[0]["custom"]["response"] == "utter_service_unavailable"
    assert replies[0]["custom"]["language"] == "de"
    assert replies[0]["text"] == catalog_text("de", "utter_service_unavailable")


def test_gateway_forwards_metadata_to_rasa() -> None:
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.update(json.loads(request.content))
        return httpx.Response(200, json=[{"recipient_id": "x", "text": "ok", "custom": {"language": "pl"}}])

    gateway = Gateway("http://rasa.test")
    gateway._client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    asyncio.run(gateway.handle(_inbound("Jak znaleźć mieszkanie?", hint="pl-PL")))
    assert seen["metadata"] == {"municipality": "boden", "language": "pl", "channel": "test", "message_id": None}
    assert seen["sender"] == "test:u1"
