"""Channel adapters without servers: configuration, signatures, hints and how messages are rendered."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from connectors.config import ChannelConfigError, RedactSecrets, WhatsAppConfig, load
from connectors.gateway import Gateway
from connectors.store import Store
from connectors.telegram import _chunks
from connectors.web import to_socketio, widget_language
from connectors.whatsapp import WhatsAppChannel, language_hint, signature_valid
from tests.platforms import meta_signature


def test_channel_file_reads_secrets_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BODEN_TG_TOKEN", "123:secret-token")
    path = tmp_path / "channels.yml"
    path.write_text("telegram:\n  - {name: boden, token: '${BODEN_TG_TOKEN}', webhook_secret: s3cr3t,"
                    " municipality: boden}\n")
    channels = load(path)
    assert channels.telegram[0].token.get_secret_value() == "123:secret-token"
    assert "123:secret-token" not in repr(channels)
    assert set(channels.secrets()) == {"123:secret-token", "s3cr3t"}


def test_missing_environment_variable_is_named_without_any_value(tmp_path: Path) -> None:
    path = tmp_path / "channels.yml"
    path.write_text("telegram:\n  - {name: boden, token: '${NOT_SET_ANYWHERE_42}', webhook_secret: x}\n")
    with pytest.raises(ChannelConfigError, match="NOT_SET_ANYWHERE_42"):
        load(path)


def test_invalid_channel_file_names_the_field_but_not_the_secret(tmp_path: Path) -> None:
    path = tmp_path / "channels.yml"
    path.write_text("telegram:\n  - {name: boden, token: 'tok-very-secret', municipality: atlantis,"
                    " webhook_secret: also-very-secret}\n")
    with pytest.raises(ChannelConfigError) as raised:
        load(path)
    assert "atlantis" in str(raised.value)
    assert "very-secret" not in str(raised.value)


def test_webhook_mode_requires_a_secret(tmp_path: Path) -> None:
    path = tmp_path / "channels.yml"
    path.write_text("telegram:\n  - {name: boden, token: 'abc'}\n")
    with pytest.raises(ChannelConfigError, match="webhook_secret"):
        load(path)


def test_no_channel_file_means_web_chat_only(tmp_path: Path) -> None:
    channels = load(tmp_path / "missing.yml")
    assert channels.telegram == [] and channels.whatsapp is None


def test_secrets_are_scrubbed_from_log_records() -> None:
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "POST %s", ("https://x/bot123:abc/send",), None)
    RedactSecrets(["123:abc"]).filter(record)
    assert record.getMessage() == "POST https://x/bot***/send"


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


def _render(tmp_path: Path, reply: dict) -> list[dict]:
    async def main() -> list[dict]:
        store = Store(f"sqlite+aiosqlite:///{tmp_path / 'c.sqlite'}")
        await store.create_schema()
        gateway = Gateway("http://127.0.0.1:9", store)
        config = WhatsAppConfig(app_secret="a", verify_token="v", access_token="t")
        channel = WhatsAppChannel(config, gateway)
        try:
            return await channel.render(reply)
        finally:
            await channel.close()
            await gateway.close()
            await store.close()

    return asyncio.run(main())


def test_whatsapp_up_to_three_short_buttons_are_reply_buttons(tmp_path: Path) -> None:
    reply = {"text": "Vilken kommun?", "buttons": [{"title": "Boden", "payload": "/a"},
                                                   {"title": "Luleå", "payload": "/b"}]}
    [message] = _render(tmp_path, reply)
    assert message["interactive"]["type"] == "button"
    assert [b["reply"] for b in message["interactive"]["action"]["buttons"]] == [
        {"id": "/a", "title": "Boden"}, {"id": "/b", "title": "Luleå"}]


def test_whatsapp_long_titles_become_a_list_with_full_descriptions(tmp_path: Path) -> None:
    question = "Hur ställer jag mitt barn i kö till förskola i kommunen?"
    reply = {"text": "Menade du?", "buttons": [{"title": question, "payload": question}],
             "custom": {"language": "sv"}}
    [message] = _render(tmp_path, reply)
    interactive = message["interactive"]
    assert interactive["type"] == "list"
    assert interactive["action"]["button"] == "Välj"
    row = interactive["action"]["sections"][0]["rows"][0]
    assert len(row["title"]) <= 24 and row["description"] == question
    assert row["id"] == question  # fits WhatsApp's 256-character id


def test_whatsapp_long_text_with_buttons_is_split(tmp_path: Path) -> None:
    reply = {"text": "x" * 1500, "buttons": [{"title": "Ja", "payload": "/affirm"}], "custom": {"language": "en"}}
    text, interactive = _render(tmp_path, reply)
    assert text["type"] == "text" and len(text["text"]["body"]) == 1500
    assert interactive["interactive"]["body"]["text"] == "Reply options"


def test_telegram_long_text_is_split_at_line_breaks() -> None:
    text = ("A paragraph.\n\n" * 600).strip()
    parts = _chunks(text)
    assert all(len(p) <= 4096 for p in parts) and len(parts) == 3
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


def test_web_messages_have_exactly_the_keys_rasa_webchat_renders() -> None:
    assert to_socketio({"text": "Hej", "custom": {"faq_id": "x"}}) == {"text": "Hej"}
    message = to_socketio({"text": "Välj", "buttons": [{"title": "Boden", "payload": "/x"}], "custom": {}})
    assert message == {"text": "Välj", "quick_replies": [{"content_type": "text", "title": "Boden", "payload": "/x"}]}


def test_widget_language_follows_the_browser() -> None:
    assert widget_language("pl-PL,pl,en-US") == "pl"
    assert widget_language("zh-CN,de-DE") == "de"
    assert widget_language("zh-CN") == "en"
    assert widget_language(None) == "en"


def test_console_catalogs_are_complete_in_swedish_and_english() -> None:
    from handoff.console import texts

    assert set(texts("sv")) == set(texts("en"))
