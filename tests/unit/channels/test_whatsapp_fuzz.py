"""WhatsApp webhooks as an attacker would write them: any JSON, near-valid Cloud API payloads, any
signature header. Nothing raises, a message is answered only for a configured number, in that
number's municipality, and only the true HMAC of the body is accepted."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from typing import Any

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from base.definitions import LANGUAGES
from base.messages import BotMessage, Button, Meta
from channels.config import WhatsAppConfig
from channels.whatsapp.cloud_api import (
    BODY_CHARS,
    BUTTON_TITLE,
    CHANNEL,
    ID_CHARS,
    MAX_BUTTONS,
    MAX_ROWS,
    ROW_DESCRIPTION,
    ROW_TITLE,
    TEXT_CHARS,
    inbound_messages,
    render,
    signature_valid,
)
from tests.unit.channels.test_telegram_fuzz import (
    any_char,
    assert_well_formed,
    json_objects,
    json_values,
    mutated,
    strings,
)

CONFIG = WhatsAppConfig(app_secret="a", verify_token="v", access_token="t",
                        numbers=[{"phone_number_id": "109876543210", "municipality": "boden"},
                                 {"phone_number_id": "109876543211", "municipality": "lulea"}])
CONFIGURED = {number.phone_number_id: number.municipality for number in CONFIG.numbers}

phone_number_ids = st.one_of(st.sampled_from([*CONFIGURED, "109876543219", "", "0"]),
                             st.integers(0, 10**15).map(str), strings)
wa_ids = st.one_of(st.sampled_from(["46701234567", "48601234567", "963944123456", "0", "+46701234567", ""]),
                   st.text("0123456789", min_size=1, max_size=20), strings)
message_ids = st.one_of(st.text("wamid.ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=", min_size=1, max_size=80), strings)
texts = st.one_of(strings, st.sampled_from(["#" + "cd" * 16, "/greet", "/ /restart", "hej"]))
common = {"from": wa_ids, "id": message_ids, "timestamp": st.integers(0, 2**32).map(str)}
cloud_messages = st.one_of(
    st.fixed_dictionaries({**common, "type": st.just("text"), "text": st.fixed_dictionaries({"body": texts})}),
    st.fixed_dictionaries({**common, "type": st.just("interactive"), "interactive": st.one_of(
        st.fixed_dictionaries({"type": st.just("button_reply"),
                               "button_reply": st.fixed_dictionaries({"id": texts, "title": strings})}),
        st.fixed_dictionaries({"type": st.just("list_reply"),
                               "list_reply": st.fixed_dictionaries({"id": texts, "title": strings},
                                                                   optional={"description": strings})}))}),
    st.fixed_dictionaries({**common, "type": st.just("button"),
                           "button": st.fixed_dictionaries({"payload": texts, "text": strings})}),
    st.fixed_dictionaries({**common, "type": st.sampled_from(["image", "sticker", "audio", "location", "unsupported",
                                                              "reaction", "Text", ""]),
                           "image": st.just({"id": "1", "mime_type": "image/jpeg"})}),
)
statuses = st.fixed_dictionaries({"id": message_ids, "status": st.sampled_from(["sent", "delivered", "read",
                                                                                 "failed"]),
                                  "recipient_id": wa_ids})
values = st.fixed_dictionaries(
    {"messaging_product": st.just("whatsapp"),
     "metadata": st.fixed_dictionaries({"phone_number_id": phone_number_ids,
                                        "display_phone_number": st.just("46701112233")})},
    optional={"messages": st.lists(cloud_messages, max_size=3), "statuses": st.lists(statuses, max_size=2),
              "contacts": st.just([{"profile": {"name": "A"}, "wa_id": "46701234567"}])},
)
#: Cloud API webhook payloads with every field of the right type but hostile values.
payloads = st.fixed_dictionaries({
    "object": st.just("whatsapp_business_account"),
    "entry": st.lists(st.fixed_dictionaries({
        "id": st.just("1234"),
        "changes": st.lists(st.fixed_dictionaries({"field": st.just("messages"), "value": values}),
                            min_size=1, max_size=2)}), min_size=1, max_size=2),
})


def _message_count(payload: Any) -> int:
    """How many objects the payload has where a person's message may be, at most."""
    entries = payload.get("entry") if isinstance(payload.get("entry"), list) else []
    changes = [c for e in entries if isinstance(e, dict) and isinstance(e.get("changes"), list) for c in e["changes"]]
    found = [c["value"].get("messages") for c in changes if isinstance(c, dict) and isinstance(c.get("value"), dict)]
    return sum(len(m) for m in found if isinstance(m, list))


def _check(payload: dict[str, Any]) -> list[tuple[str, Any]]:
    found = inbound_messages(CONFIG, payload)
    assert isinstance(found, list)
    assert len(found) <= _message_count(payload)
    for phone_number_id, inbound in found:
        assert_well_formed(inbound, CHANNEL)
        # Only a configured number is answered, and only for the municipality it is configured for.
        assert phone_number_id in CONFIGURED
        assert inbound.municipality == CONFIGURED[phone_number_id]
        number, wa_id = inbound.user_id.split(":", 1)
        assert number == phone_number_id and wa_id.isdigit()
    return found


@pytest.mark.fuzz
@given(st.one_of(json_objects, payloads, mutated(payloads)))
def test_any_webhook_payload_gives_only_messages_for_configured_numbers(payload: dict[str, Any]) -> None:
    _check(payload)


def _said(message: dict[str, Any]) -> str:
    """What the person typed or pressed, read straight from a well-typed message."""
    if message["type"] == "text":
        return message["text"]["body"]
    if message["type"] == "button":
        return message["button"]["payload"]
    if message["type"] == "interactive":
        return message["interactive"][message["interactive"]["type"]]["id"]
    return ""


@pytest.mark.fuzz
@given(payloads)
def test_well_typed_messages_to_configured_numbers_all_arrive(payload: dict[str, Any]) -> None:
    found = _check(payload)
    expected = [message for entry in payload["entry"] for change in entry["changes"]
                for message in change["value"].get("messages", [])
                if change["value"]["metadata"]["phone_number_id"] in CONFIGURED and message["from"].isdigit()
                and isinstance(message["id"], str)]
    assert [inbound.message_id for _, inbound in found] == [m["id"][:200] for m in expected]
    for (_, inbound), message in zip(found, expected, strict=True):
        said = _said(message)
        if said.startswith("#"):  # a long button payload stored behind a token
            assert inbound.text == "" and inbound.button_token == said
        else:
            assert inbound.text == said and inbound.button_token is None
        assert inbound.media == (message["type"] not in ("text", "interactive", "button"))


def test_a_message_for_an_unconfigured_number_is_ignored() -> None:
    payload = {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": {
        "metadata": {"phone_number_id": "999"},
        "messages": [{"from": "46701234567", "id": "wamid.1", "type": "text", "text": {"body": "hej"},
                      "municipality": "lulea", "phone_number_id": "109876543210"}]}}]}]}
    assert inbound_messages(CONFIG, payload) == []


def _true_header(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


secrets = st.text(min_size=1, max_size=40)
bodies = st.binary(max_size=300)
#: Signature headers as a client may send them: none, any text, as Starlette decodes header bytes
#: (latin-1), "sha256=" with junk, the true one with one character changed, and the true one.
headers = st.one_of(
    st.none(), st.text(any_char, max_size=80), st.binary(max_size=80).map(lambda raw: raw.decode("latin-1")),
    st.text(any_char, max_size=70).map(lambda text: "sha256=" + text),
    st.binary(max_size=70).map(lambda raw: "sha256=" + raw.decode("latin-1")),
)


def _accepted_only_when_true(secret: str, body: bytes, header: str | None) -> None:
    valid = signature_valid(secret, body, header)
    assert isinstance(valid, bool)
    expected = _true_header(secret, body)
    is_true = header is not None and header.startswith("sha256=") and \
        header[len("sha256="):].strip().lower() == expected[len("sha256="):]
    assert valid == is_true


@pytest.mark.fuzz
@given(secrets, bodies, headers)
@example("a", b"{}", "sha256=\xe9")
def test_signature_check_never_raises(secret: str, body: bytes, header: str | None) -> None:
    """Fixed: signature_valid (channels/whatsapp/cloud_api.py:50) raises TypeError ("comparing strings with
    non-ASCII characters is not supported") for any X-Hub-Signature-256 header with a non-ASCII character
    after "sha256=", e.g. the byte 0xE9 (Starlette decodes header bytes as latin-1: "sha256=\\xe9"). That
    check runs before anything is authenticated, so anyone can make POST /whatsapp/webhook answer 500."""
    _accepted_only_when_true(secret, body, header)


@pytest.mark.fuzz
@given(secrets, bodies, st.one_of(st.none(), st.text(st.characters(codec="ascii"), max_size=80),
                                  st.text(st.characters(codec="ascii"), max_size=70).map(lambda t: "sha256=" + t)))
def test_signature_check_accepts_only_the_true_hmac(secret: str, body: bytes, header: str | None) -> None:
    _accepted_only_when_true(secret, body, header)


@pytest.mark.fuzz
@given(secrets, bodies, st.data())
def test_a_true_signature_with_any_character_changed_is_refused(secret: str, body: bytes, data: st.DataObject) -> None:
    header = _true_header(secret, body)
    assert signature_valid(secret, body, header)
    at = data.draw(st.integers(len("sha256="), len(header) - 1))
    other = data.draw(st.characters(codec="ascii"))
    assume(other.lower() != header[at])
    assert not signature_valid(secret, body, header[:at] + other + header[at + 1:])
    assert not signature_valid(secret, body + b"x", header)
    assert not signature_valid(secret + "x", body, header)


async def _fitting_id(payload: str, limit: int) -> str:
    """The gateway's button_id: the payload when it fits, else a stored token."""
    return payload if len(payload.encode()) <= limit else "#" + "0" * 32


bot_messages = st.builds(
    BotMessage,
    text=st.one_of(st.text(max_size=1100), st.text(min_size=4000, max_size=5000)),
    # Our own messages (Rasa's responses, FAQ questions): valid Unicode, so no lone surrogates.
    buttons=st.lists(st.builds(Button, title=st.text(min_size=1, max_size=80), payload=st.text(max_size=300)),
                     max_size=12).map(tuple),
    meta=st.builds(Meta, language=st.sampled_from([None, *LANGUAGES])),
)


@pytest.mark.fuzz
@given(bot_messages)
def test_rendered_messages_keep_within_the_cloud_api_limits(reply: BotMessage) -> None:
    for message in asyncio.run(render(reply, _fitting_id)):
        if message["type"] == "text":
            assert 0 < len(message["text"]["body"]) <= TEXT_CHARS
            continue
        interactive = message["interactive"]
        assert 0 < len(interactive["body"]["text"]) <= BODY_CHARS
        if interactive["type"] == "button":
            buttons = interactive["action"]["buttons"]
            assert 0 < len(buttons) <= MAX_BUTTONS
            assert all(len(b["reply"]["title"]) <= BUTTON_TITLE and len(b["reply"]["id"]) <= ID_CHARS
                       for b in buttons)
        else:
            assert len(interactive["action"]["button"]) <= BUTTON_TITLE
            rows = interactive["action"]["sections"][0]["rows"]
            assert 0 < len(rows) <= MAX_ROWS
            assert all(len(r["title"]) <= ROW_TITLE and len(r.get("description", "")) <= ROW_DESCRIPTION
                       and len(r["id"]) <= ID_CHARS for r in rows)


@pytest.mark.fuzz
@given(json_values)
def test_junk_at_any_level_of_a_webhook_is_ignored(value: Any) -> None:
    _check({"object": "whatsapp_business_account", "entry": value})
    _check({"object": "whatsapp_business_account", "entry": [{"changes": value}]})
    _check({"object": "whatsapp_business_account", "entry": [{"changes": [{"value": value}]}]})
    _check({"object": "whatsapp_business_account",
            "entry": [{"changes": [{"value": {"metadata": {"phone_number_id": "109876543210"}, "messages": value}}]}]})
