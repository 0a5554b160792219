"""WhatsApp Cloud API end to end: a webhook signed as Meta signs it, the real Rasa server, the Graph API call.

app/platforms.FakeGraphApi stands in for graph.facebook.com and records each outbound message.
"""

from __future__ import annotations

import itertools
import json

import httpx

from app.platforms import meta_signature, post_signed, wait_for, whatsapp_status_webhook, whatsapp_webhook
from app.stack import Stack
from tests.conftest import WHATSAPP

BODEN_NUMBER = "109876543210"
_callers = itertools.count(48_601_000_001)  # Polish mobile numbers: +48 …


def _url(stack: Stack) -> str:
    return f"{stack.app_url}/whatsapp/webhook"


def _sent(fake, wa_id: str, count: int) -> list[dict]:
    return wait_for(lambda: fake.sent_to(wa_id) if len(fake.sent_to(wa_id)) >= count else None,
                    what=f"{count} WhatsApp messages")


def test_verification_handshake(stack: Stack) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": WHATSAPP["verify_token"], "hub.challenge": "1158201444"}
    reply = httpx.get(_url(stack), params=params)
    assert reply.status_code == 200 and reply.text == "1158201444"
    assert httpx.get(_url(stack), params={**params, "hub.verify_token": "guess"}).status_code == 403
    assert httpx.get(_url(stack), params={**params, "hub.mode": "unsubscribe"}).status_code == 403


def test_a_signed_question_is_answered_through_the_graph_api(stack: Stack, fake_graph) -> None:
    fake, _ = fake_graph
    wa_id = str(next(_callers))
    message = {"type": "text", "text": {"body": "Ile kosztuje czynsz za mieszkanie w Boden?"}}
    webhook = whatsapp_webhook(BODEN_NUMBER, wa_id, message)
    assert post_signed(_url(stack), WHATSAPP["app_secret"], webhook).status_code == 200
    sent = _sent(fake, wa_id, 2)
    phone_ids = {phone for phone, _, body in fake.calls if body.get("to") == wa_id}
    assert phone_ids == {BODEN_NUMBER}  # answered from the number the person wrote to
    assert all(auth == f"Bearer {WHATSAPP['access_token']}" for _, auth, body in fake.calls if body["to"] == wa_id)
    assert all(m["messaging_product"] == "whatsapp" for m in sent)
    texts = " ".join(m["text"]["body"] for m in sent if m["type"] == "text")
    assert "czynsz" in texts.lower()


def test_bad_signatures_are_rejected_and_nothing_is_processed(stack: Stack, fake_graph) -> None:
    fake, _ = fake_graph
    wa_id = str(next(_callers))
    body = json.dumps(whatsapp_webhook(BODEN_NUMBER, wa_id, {"type": "text", "text": {"body": "Hej"}})).encode()
    headers = {"content-type": "application/json"}
    assert httpx.post(_url(stack), content=body, headers=headers).status_code == 401  # unsigned
    wrong = meta_signature("not-the-app-secret", body)
    assert httpx.post(_url(stack), content=body, headers={**headers, "x-hub-signature-256": wrong}).status_code == 401
    tampered = body.replace(b"Hej", b"Hallo")
    good_for_original = meta_signature(WHATSAPP["app_secret"], body)
    assert httpx.post(_url(stack), content=tampered,
                      headers={**headers, "x-hub-signature-256": good_for_original}).status_code == 401
    not_json = b"{broken"
    assert httpx.post(_url(stack), content=not_json, headers={
        **headers, "x-hub-signature-256": meta_signature(WHATSAPP["app_secret"], not_json)}).status_code == 400
    huge = b" " * (2 * 1024 * 1024)
    assert httpx.post(_url(stack), content=huge, headers={
        **headers, "x-hub-signature-256": meta_signature(WHATSAPP["app_secret"], huge)}).status_code == 413
    # A later valid message from the same person is answered — and is the only thing answered.
    post_signed(_url(stack), WHATSAPP["app_secret"],
                whatsapp_webhook(BODEN_NUMBER, wa_id, {"type": "text", "text": {"body": "Cześć! Czy jesteś botem?"}}))
    sent = _sent(fake, wa_id, 1)
    assert not any("Hallo" in json.dumps(m) for m in sent)


def test_a_replayed_webhook_gets_one_reply(stack: Stack, fake_graph) -> None:
    fake, _ = fake_graph
    wa_id = str(next(_callers))
    payload = whatsapp_webhook(BODEN_NUMBER, wa_id, {"type": "text", "text": {"body": "Czy jesteś botem?"}})
    assert post_signed(_url(stack), WHATSAPP["app_secret"], payload).status_code == 200
    first = _sent(fake, wa_id, 2)  # the welcome, then the answer
    assert post_signed(_url(stack), WHATSAPP["app_secret"], payload).status_code == 200  # replayed
    follow_up = {"type": "text", "text": {"body": "Dziękuję!"}}
    post_signed(_url(stack), WHATSAPP["app_secret"], whatsapp_webhook(BODEN_NUMBER, wa_id, follow_up))
    everything = _sent(fake, wa_id, len(first) + 1)
    assert [m for m in everything if m == first[-1]] == [first[-1]]


def test_status_callbacks_are_accepted_and_ignored(stack: Stack, fake_graph) -> None:
    fake, _ = fake_graph
    wa_id = str(next(_callers))
    reply = post_signed(_url(stack), WHATSAPP["app_secret"], whatsapp_status_webhook(BODEN_NUMBER, wa_id))
    assert reply.status_code == 200
    assert fake.sent_to(wa_id) == []


def test_many_choices_become_an_interactive_list_and_a_choice_comes_back(stack: Stack, fake_graph) -> None:
    fake, _ = fake_graph
    wa_id = str(next(_callers))
    ask = {"type": "text", "text": {"body": "/lang"}}  # the typed command that lists the languages
    post_signed(_url(stack), WHATSAPP["app_secret"], whatsapp_webhook(BODEN_NUMBER, wa_id, ask))
    listed = wait_for(lambda: [m for m in fake.sent_to(wa_id) if m.get("type") == "interactive"], what="a list")
    interactive = listed[0]["interactive"]
    assert interactive["type"] == "list"  # eight languages: more than three buttons
    rows = interactive["action"]["sections"][0]["rows"]
    assert all(len(r["title"]) <= 24 for r in rows) and len(rows) <= 10
    svenska = next(r for r in rows if r["title"] == "Svenska")
    before = len(fake.sent_to(wa_id))
    choice = {"type": "interactive", "interactive": {"type": "list_reply",
                                                     "list_reply": {"id": svenska["id"], "title": "Svenska"}}}
    post_signed(_url(stack), WHATSAPP["app_secret"], whatsapp_webhook(BODEN_NUMBER, wa_id, choice))
    after = _sent(fake, wa_id, before + 1)[before:]
    assert any("svenska" in json.dumps(m, ensure_ascii=False).lower() for m in after)


def test_the_country_code_is_a_language_hint_for_a_short_greeting(stack: Stack, fake_graph) -> None:
    fake, _ = fake_graph
    wa_id = "46701234567"  # a Swedish mobile number
    post_signed(_url(stack), WHATSAPP["app_secret"],
                whatsapp_webhook(BODEN_NUMBER, wa_id, {"type": "text", "text": {"body": "Hej!"}}))
    sent = _sent(fake, wa_id, 1)
    assert "Boden" in sent[0]["text"]["body"]
    assert "inflytt" in " ".join(m.get("text", {}).get("body", "") for m in sent).lower()
