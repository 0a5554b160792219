"""Telegram end to end: a raw Bot API update in, the real Rasa server, the Bot API call out.

The product's own python-telegram-bot client talks to app/platforms.FakeTelegram, which speaks
the Bot API wire format and records what would have been sent to Telegram.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import httpx

from app.platforms import FakeTelegram, telegram_callback_update, telegram_text_update, wait_for
from app.stack import Stack
from tests.conftest import TELEGRAM

_chats = itertools.count(90_000_001)
BODEN = TELEGRAM["boden"]


def _post(stack: Stack, bot: str, update: dict, secret: str | None) -> httpx.Response:
    headers = {"x-telegram-bot-api-secret-token": secret} if secret is not None else {}
    return httpx.post(f"{stack.app_url}/telegram/{bot}/webhook", json=update, headers=headers, timeout=10)


def _replies(fake: FakeTelegram, token: str, chat: int, count: int) -> list[dict]:
    return wait_for(lambda: fake.sent(token, chat) if len(fake.sent(token, chat)) >= count else None,
                    what=f"{count} Telegram replies")


def test_a_question_is_answered_in_the_persons_language(stack: Stack, fake_telegram) -> None:
    fake, _ = fake_telegram
    chat = next(_chats)
    reply = _post(stack, "boden", telegram_text_update(chat, "Jak mogę znaleźć mieszkanie w Boden?", "pl"),
                  BODEN["secret"])
    assert reply.status_code == 200
    sent = _replies(fake, BODEN["token"], chat, 2)
    texts = " ".join(m["text"] for m in sent)
    assert "Boden" in texts
    assert "mieszka" in texts.lower()  # the housing answer, in Polish


def test_webhook_without_the_right_secret_is_refused_and_nothing_is_sent(stack: Stack, fake_telegram) -> None:
    fake, _ = fake_telegram
    chat = next(_chats)
    update = telegram_text_update(chat, "Hej!")
    assert _post(stack, "boden", update, None).status_code == 403
    assert _post(stack, "boden", update, "wrong-secret").status_code == 403
    assert _post(stack, "boden", update, TELEGRAM["norrbotten"]["secret"]).status_code == 403  # another bot's
    assert _post(stack, "no-such-bot", update, BODEN["secret"]).status_code == 404
    assert httpx.post(f"{stack.app_url}/telegram/boden/webhook", content=b"{not json",
                      headers={"x-telegram-bot-api-secret-token": BODEN["secret"]}).status_code == 400
    assert fake.sent(BODEN["token"], chat) == []


def test_a_redelivered_update_is_answered_once(stack: Stack, fake_telegram) -> None:
    fake, _ = fake_telegram
    chat = next(_chats)
    update = telegram_text_update(chat, "Vilka förskolor finns det i Boden?", "sv")
    assert _post(stack, "boden", update, BODEN["secret"]).status_code == 200
    first = _replies(fake, BODEN["token"], chat, 1)
    assert _post(stack, "boden", update, BODEN["secret"]).status_code == 200  # Telegram retries
    _post(stack, "boden", telegram_text_update(chat, "Tack!", "sv"), BODEN["secret"])
    everything = _replies(fake, BODEN["token"], chat, len(first) + 1)
    answers_to_preschool = [m for m in everything if "förskol" in m["text"].lower()]
    assert len(answers_to_preschool) == 1


def test_regional_bot_asks_for_the_municipality_with_an_inline_keyboard(stack: Stack, fake_telegram) -> None:
    fake, _ = fake_telegram
    token, secret = TELEGRAM["norrbotten"]["token"], TELEGRAM["norrbotten"]["secret"]
    chat = next(_chats)
    _post(stack, "norrbotten", telegram_text_update(chat, "How do I find a flat?", "en"), secret)
    asked = wait_for(lambda: [m for m in fake.sent(token, chat) if m.get("reply_markup")], what="a keyboard")
    keyboard = asked[0]["reply_markup"]["inline_keyboard"]
    titles = [row[0]["text"] for row in keyboard]
    assert {"Boden", "Luleå", "Skellefteå", "Jokkmokk"} <= set(titles)
    lulea = next(row[0]["callback_data"] for row in keyboard if row[0]["text"] == "Luleå")
    assert len(lulea.encode()) <= 64
    before = len(fake.sent(token, chat))
    _post(stack, "norrbotten", telegram_callback_update(chat, lulea, "en"), secret)
    after = _replies(fake, token, chat, before + 1)[before:]
    assert "answerCallbackQuery" in fake.methods(token)
    assert any("Luleå" in m["text"] for m in after)  # the kept question answered for Luleå


def test_start_deep_link_chooses_the_municipality(stack: Stack, fake_telegram) -> None:
    fake, _ = fake_telegram
    token, secret = TELEGRAM["norrbotten"]["token"], TELEGRAM["norrbotten"]["secret"]
    chat = next(_chats)
    _post(stack, "norrbotten", telegram_text_update(chat, "/start skelleftea", "de"), secret)
    sent = _replies(fake, token, chat, 1)
    assert "Skellefteå" in sent[0]["text"]
    assert not sent[0].get("reply_markup")  # no need to ask which municipality


def test_a_photo_gets_a_polite_text_only_reply(stack: Stack, fake_telegram) -> None:
    fake, _ = fake_telegram
    chat = next(_chats)
    update = telegram_text_update(chat, "", "fi")
    del update["message"]["text"]
    update["message"]["photo"] = [{"file_id": "x", "file_unique_id": "y", "width": 10, "height": 10}]
    assert _post(stack, "boden", update, BODEN["secret"]).status_code == 200
    sent = _replies(fake, BODEN["token"], chat, 1)
    assert sent[0]["text"] == "Osaan lukea vain tekstiviestejä. Kirjoita kysymyksesi tekstinä."


def test_polling_mode_fetches_updates_and_answers(stack: Stack, fake_telegram) -> None:
    fake, _ = fake_telegram
    token = TELEGRAM["trial"]["token"]
    chat = next(_chats)
    fake.pending.setdefault(token, []).append(telegram_text_update(chat, "Hur söker jag förskola i Luleå?", "sv"))
    sent = _replies(fake, token, chat, 1)
    assert "deleteWebhook" in fake.methods(token)
    assert any("Luleå" in m["text"] for m in sent)


def test_no_secret_appears_in_the_logs(stack: Stack, fake_telegram) -> None:
    test_a_question_is_answered_in_the_persons_language(stack, fake_telegram)
    logs = "".join(p.read_text(errors="replace") for p in Path(stack.settings.var_dir).glob("*.log"))
    for bot in TELEGRAM.values():
        assert bot["token"] not in logs
        assert bot.get("secret", "\0") not in logs


def test_set_webhook_command_registers_each_bot_with_its_secret(stack: Stack, fake_telegram) -> None:
    import os
    import subprocess
    import sys

    fake, _ = fake_telegram
    env = {**os.environ, "CHANNELS_FILE": str(stack.settings.channels_file),
           "PUBLIC_URL": "https://assistant.example.org"}
    done = subprocess.run([sys.executable, "-m", "app", "telegram", "set-webhook"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "https://assistant.example.org/telegram/boden/webhook" in done.stdout
    calls = [c for c in fake.calls if c.method == "setWebhook" and c.token == BODEN["token"]]
    assert calls[-1].params["url"] == "https://assistant.example.org/telegram/boden/webhook"
    assert calls[-1].params["secret_token"] == BODEN["secret"]
    assert BODEN["token"] not in done.stdout + done.stderr
