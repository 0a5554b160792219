"""The handoff over Telegram and WhatsApp at the protocol level: the person presses the intake's
buttons on their platform, a Boden host claims and writes in the console, the words arrive as Bot
API / Graph API calls; WhatsApp's 24-hour window turns the reply box into the template button."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import sqlite3

import httpx

from app.platforms import post_signed, telegram_callback_update, telegram_text_update, wait_for, whatsapp_webhook
from app.stack import Stack
from base.catalog import text as catalog_text
from tests.conftest import TELEGRAM, WHATSAPP

BODEN = TELEGRAM["boden"]
_chats = itertools.count(91_000_001)
_callers = itertools.count(48_602_000_001)


def _telegram(stack: Stack, update: dict) -> None:
    reply = httpx.post(f"{stack.app_url}/telegram/boden/webhook", json=update,
                       headers={"x-telegram-bot-api-secret-token": BODEN["secret"]})
    assert reply.status_code == 200


def _telegram_texts(fake, chat: int) -> list[str]:
    return [m["text"] for m in fake.sent(BODEN["token"], chat)]


def test_telegram_newcomer_is_handed_to_a_host_and_back(stack: Stack, fake_telegram, hosts) -> None:
    fake, _ = fake_telegram
    chat = next(_chats)
    _telegram(stack, telegram_text_update(chat, "Chcę porozmawiać z człowiekiem", "pl"))
    asked = wait_for(lambda: [m for m in fake.sent(BODEN["token"], chat) if m.get("reply_markup")], what="buttons")
    payloads = [row[0]["callback_data"] for row in asked[-1]["reply_markup"]["inline_keyboard"]]
    assert payloads == ["/handoff_chat", "/handoff_email", "/handoff_phone", "/handoff_cancel"]
    _telegram(stack, telegram_callback_update(chat, "/handoff_chat", "pl"))
    wait_for(lambda: catalog_text("pl", "handoff_ask_need") in _telegram_texts(fake, chat), what="the need question")
    _telegram(stack, telegram_text_update(chat, "Straciłem pracę i nie wiem, co z pozwoleniem.", "pl"))
    wait_for(lambda: catalog_text("pl", "handoff_ask_consent") in _telegram_texts(fake, chat), what="consent")
    hosts["boden"].client.get("/console")  # the host's console is open
    _telegram(stack, telegram_callback_update(chat, "/handoff_yes", "pl"))
    queued = wait_for(lambda: [t for t in _telegram_texts(fake, chat) if "1" in t and "kolej" in t], what="queue")
    assert queued

    boden = hosts["boden"]
    handoff_id = _waiting_id(boden, "Straciłem pracę")
    assert boden.post(f"/console/handoffs/{handoff_id}/claim").status_code == 303
    joined = catalog_text("pl", "handoff_host_joined", host_name="Anna", municipality_name="Boden")
    wait_for(lambda: joined in _telegram_texts(fake, chat), what="the joined notice on Telegram")
    boden.post(f"/console/handoffs/{handoff_id}/message", text="Cześć, tu Anna. Opowiedz mi więcej.")
    wait_for(lambda: "Cześć, tu Anna. Opowiedz mi więcej." in _telegram_texts(fake, chat), what="the host's words")
    before = len(_telegram_texts(fake, chat))
    _telegram(stack, telegram_text_update(chat, "Pracowałem w Boden przez rok.", "pl"))
    wait_for(lambda: "Pracowałem w Boden przez rok." in boden.client.get(f"/console/handoffs/{handoff_id}").text,
             what="the person's words in the console")
    assert len(_telegram_texts(fake, chat)) == before  # the bot said nothing
    boden.post(f"/console/handoffs/{handoff_id}/handback")
    wait_for(lambda: catalog_text("pl", "handoff_returned", host_name="Anna") in _telegram_texts(fake, chat),
             what="handed back")


def _waiting_id(console, needle: str) -> int:
    page = console.client.get("/console").text
    row = next(part for part in page.split("<tr>") if needle in part)
    return int(row.split("/console/handoffs/")[1].split('"')[0])


def test_whatsapp_newcomer_is_handed_over_and_the_24_hour_window_is_respected(stack: Stack, fake_graph,
                                                                              hosts) -> None:
    fake, _ = fake_graph
    wa_id = str(next(_callers))
    url = f"{stack.app_url}/whatsapp/webhook"

    def send(message: dict) -> None:
        webhook = whatsapp_webhook("109876543210", wa_id, message)
        assert post_signed(url, WHATSAPP["app_secret"], webhook).status_code == 200

    def bodies() -> list[str]:
        return [json.dumps(m, ensure_ascii=False) for m in fake.sent_to(wa_id)]

    send({"type": "text", "text": {"body": "Chcę porozmawiać z człowiekiem"}})
    listed = wait_for(lambda: [m for m in fake.sent_to(wa_id) if m.get("type") == "interactive"], what="choices")
    rows = listed[-1]["interactive"]["action"]["sections"][0]["rows"]  # four choices: a list
    assert [r["id"] for r in rows] == ["/handoff_chat", "/handoff_email", "/handoff_phone", "/handoff_cancel"]
    send({"type": "interactive", "interactive": {"type": "list_reply", "list_reply": {"id": "/handoff_chat",
                                                                                      "title": rows[0]["title"]}}})
    wait_for(lambda: any(catalog_text("pl", "handoff_ask_need") in b for b in bodies()), what="need question")
    send({"type": "text", "text": {"body": "Mój pracodawca nie wypłacił mi pensji."}})
    consent = wait_for(lambda: [m for m in fake.sent_to(wa_id) if m.get("type") == "interactive"
                                and m["interactive"]["type"] == "button"], what="consent buttons")
    assert [b["reply"]["id"] for b in consent[-1]["interactive"]["action"]["buttons"]] == ["/handoff_yes",
                                                                                          "/handoff_no"]
    hosts["boden"].client.get("/console")
    send({"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": "/handoff_yes",
                                                                                          "title": "Tak"}}})
    wait_for(lambda: any("kolej" in b for b in bodies()), what="the queue message")

    boden = hosts["boden"]
    handoff_id = _waiting_id(boden, "nie wypłacił mi pensji")
    boden.post(f"/console/handoffs/{handoff_id}/claim")
    boden.post(f"/console/handoffs/{handoff_id}/message", text="Dzień dobry, tu Anna z Boden.")
    wait_for(lambda: any("Dzień dobry, tu Anna z Boden." in b for b in bodies()), what="the host's words")

    # A day and more later, WhatsApp would refuse a free-form message: the console offers the template.
    with sqlite3.connect(stack.settings.database.split("///", 1)[1]) as db:
        stale = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=25)).isoformat(" ")
        db.execute("UPDATE conversations SET last_inbound_at = ? WHERE id = ?",
                   (stale, f"whatsapp:109876543210:{wa_id}"))
    page = boden.client.get(f"/console/handoffs/{handoff_id}").text
    assert "24" in page and "/template" in page and 'id="reply"' not in page
    refused = boden.post(f"/console/handoffs/{handoff_id}/message", text="Jesteś tam?")
    assert refused.status_code == 409
    assert boden.post(f"/console/handoffs/{handoff_id}/template").status_code == 303
    template = wait_for(lambda: [m for m in fake.sent_to(wa_id) if m.get("type") == "template"], what="template")
    assert template[-1]["template"] == {"name": "newcomer_follow_up", "language": {"code": "sv"}}
    assert not any("Jesteś tam?" in b for b in bodies())
