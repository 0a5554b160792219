"""WhatsApp without a server: signatures, language hints and how messages are rendered."""

from __future__ import annotations

import asyncio

import pytest

from app.platforms import meta_signature
from base.messages import BotMessage
from channels.whatsapp.cloud_api import language_hint, render, signature_valid


def test_meta_signature_check() -> None:
    body = b'{"object":"whatsapp_business_account"}'
    assert signature_valid("app-secret", body, meta_signature("app-secret", body))
    assert not signature_valid("app-secret", body, meta_signature("other", body))
    assert not signature_valid("app-secret", body + b" ", meta_signature("app-secret", body))
    assert not signature_valid("app-secret", body, None)
    assert not signature_valid("app-secret", body, "sha1=abc")


@pytest.mark.parametrize(("wa_id", "language"), [("46701234567", "sv"), ("48601234567", "pl"),
                                                  ("4915112345678", "de"), ("380501234567", "uk"),
                                                  ("963944123456", "ar"), ("34612345678", "es"),
                                                  ("358401234567", "fi"), ("861012345678", None)])
def test_country_code_language_hint(wa_id: str, language: str | None) -> None:
    assert language_hint(wa_id) == language


async def _fitting_id(payload: str, limit: int) -> str:
    """The gateway's button_id for payloads that fit the platform's id (as every one here must)."""
    assert len(payload.encode()) <= limit
    return payload


def _render(reply: dict) -> list[dict]:
    return asyncio.run(render(BotMessage.from_wire(reply), _fitting_id))


def test_whatsapp_up_to_three_short_buttons_are_reply_buttons() -> None:
    reply = {"text": "Vilken kommun?", "buttons": [{"title": "Boden", "payload": "/a"},
                                                   {"title": "Luleå", "payload": "/b"}]}
    [message] = _render(reply)
    assert message["interactive"]["type"] == "button"
    assert [b["reply"] for b in message["interactive"]["action"]["buttons"]] == [
        {"id": "/a", "title": "Boden"}, {"id": "/b", "title": "Luleå"}]


def test_whatsapp_long_titles_become_a_list_with_full_descriptions() -> None:
    question = "Hur ställer jag mitt barn i kö till förskola i kommunen?"
    reply = {"text": "Menade du?", "buttons": [{"title": question, "payload": question}],
             "custom": {"language": "sv"}}
    [message] = _render(reply)
    interactive = message["interactive"]
    assert interactive["type"] == "list"
    assert interactive["action"]["button"] == "Välj"
    row = interactive["action"]["sections"][0]["rows"][0]
    assert len(row["title"]) <= 24 and row["description"] == question
    assert row["id"] == question  # fits WhatsApp's 256-character id


def test_whatsapp_long_text_with_buttons_is_split() -> None:
    reply = {"text": "x" * 1500, "buttons": [{"title": "Ja", "payload": "/affirm"}], "custom": {"language": "en"}}
    text, interactive = _render(reply)
    assert text["type"] == "text" and len(text["text"]["body"]) == 1500
    assert interactive["interactive"]["body"]["text"] == "Reply options"
