"""Attacks on the running product, as someone on the internet would try them.

The test stack trusts 127.0.0.1 as a reverse proxy, so a test speaks for a client address of its
own with X-Forwarded-For (random addresses in the IPv6 documentation prefix 2001:db8::/32).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest
import socketio
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from app.platforms import telegram_text_update, whatsapp_webhook
from app.stack import Stack
from base.catalog import text as catalog_text
from tests.conftest import TELEGRAM, WHATSAPP, Chat
from tests.integration.conftest import PASSWORD, Console, add_host, own_address

# --- internal endpoints --------------------------------------------------------------------------

def test_rasa_answers_only_the_app_and_its_api_only_with_the_token(stack: Stack) -> None:
    rasa = stack.rasa_url
    message = {"sender": "attacker", "message": "hej", "metadata": {}}
    assert httpx.post(f"{rasa}/webhooks/gateway/webhook", json=message, timeout=30).status_code == 403
    assert httpx.post(f"{rasa}/webhooks/gateway/webhook", json=message, timeout=30,
                      headers={"X-Internal-Token": "guess"}).status_code == 403
    assert httpx.post(f"{rasa}/webhooks/gateway/parse", json={"message": "hej"}, timeout=30).status_code == 403
    assert httpx.post(f"{rasa}/model/parse", json={"text": "hej"}, timeout=30).status_code == 401
    assert httpx.get(f"{rasa}/conversations/api:someone/tracker", timeout=30).status_code == 401
    token = stack.settings.rasa_token.get_secret_value()
    parsed = httpx.post(f"{rasa}/model/parse", json={"text": "hej"}, params={"token": token}, timeout=30)
    assert parsed.status_code == 200


# --- no request stalls the others ----------------------------------------------------------------

@dataclass
class SlowRequest:
    """A request whose body is still on its way: headers and a first byte sent, the rest held back."""

    sock: socket.socket
    rest: bytes

    def answered(self) -> bool:
        self.sock.setblocking(False)
        try:
            return bool(self.sock.recv(1, socket.MSG_PEEK))
        except BlockingIOError:
            return False
        finally:
            self.sock.setblocking(True)

    def status(self) -> int:
        """Send the rest of the body; the status the app answers with."""
        self.sock.sendall(self.rest)
        return int(self.sock.makefile("rb").readline().decode().split()[1])


@contextmanager
def _slow_request(stack: Stack, path: str, body: bytes, headers: dict[str, str]) -> Iterator[SlowRequest]:
    host, port = stack.settings.app_host, stack.settings.app_port
    head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": f"{host}:{port}", "Content-Length": str(len(body)),
                                                 "Connection": "close", **headers}.items())
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\n{head}\r\n".encode() + body[:1])
        yield SlowRequest(sock, body[1:])


def _padded(payload: dict, size: int) -> bytes:
    """The payload as JSON, padded with whitespace to just under an endpoint's body limit."""
    body = json.dumps(payload).encode()
    return body + b" " * (size - len(body) - 16)


def _heaviest_requests(stack: Stack) -> list[tuple[str, bytes, dict[str, str], int]]:
    """(path, body, headers, expected status) of the largest request each public endpoint accepts."""
    internal = stack.settings.internal_token.get_secret_value()
    events = [{"event": "user", "text": "Hur hittar jag en bostad i Boden?" * 3}] * 4000
    action_call = {"next_action": "action_answer_faq", "sender_id": "api:heavy", "domain": {}, "version": "3.6.21",
                   "tracker": {"sender_id": "api:heavy", "slots": {"language": "sv", "municipality": "boden"},
                               "latest_message": {"text": "Hur hittar jag en bostad? " * 2000,
                                                  "intent": {"name": "housing", "confidence": 0.9}},
                               "events": events}}
    update = telegram_text_update(700_000_000 + uuid.uuid4().int % 100_000, "Hur hittar jag en bostad? " * 150)
    wa_id = f"4670{uuid.uuid4().int % 10_000_000:07d}"  # a chat of its own: other tests read theirs
    whatsapp = _padded(whatsapp_webhook("109876543210", wa_id, {
        "from": wa_id, "id": f"wamid.{uuid.uuid4().hex}", "timestamp": "1700000000", "type": "text",
        "text": {"body": "Hur hittar jag en bostad? " * 150}}), 1024 * 1024)
    signature = "sha256=" + hmac.new(WHATSAPP["app_secret"].encode(), whatsapp, hashlib.sha256).hexdigest()
    json_type = {"Content-Type": "application/json"}
    return [
        ("/api/chat", _padded({"message": "x" * 20_000, "municipality": "boden"}, 256 * 1024),
         {**json_type, "X-Forwarded-For": own_address()}, 200),
        ("/webhook", _padded(action_call, 2 * 1024 * 1024), {**json_type, "X-Internal-Token": internal}, 200),
        ("/telegram/boden/webhook", _padded(update, 256 * 1024),
         {**json_type, "X-Telegram-Bot-Api-Secret-Token": TELEGRAM["boden"]["secret"]}, 200),
        ("/whatsapp/webhook", whatsapp, {**json_type, "X-Hub-Signature-256": signature}, 200),
        ("/console/login", f"email=nobody%40boden.example&password={'p' * 500}".encode(),
         {"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": own_address()}, 303),
    ]


def test_while_the_heaviest_requests_are_still_arriving_another_person_gets_an_answer(stack: Stack) -> None:
    heavy = _heaviest_requests(stack)
    with _slow_request(stack, *heavy[0][:3]) as a, _slow_request(stack, *heavy[1][:3]) as b, \
            _slow_request(stack, *heavy[2][:3]) as c, _slow_request(stack, *heavy[3][:3]) as d, \
            _slow_request(stack, *heavy[4][:3]) as e:
        person = Chat(stack.app_url, "boden", "sv", address=own_address())
        answer = person.send("Hur ställer jag mig i bostadskö?")
        assert answer and answer[-1]["text"]
        slow = [a, b, c, d, e]
        assert not any(request.answered() for request in slow)  # all five still in progress, none answered yet
        assert [request.status() for request in slow] == [expected for *_, expected in heavy]


def test_a_body_that_never_finishes_is_cut_off_and_holds_nothing_up(stack: Stack) -> None:
    with _slow_request(stack, "/api/chat", b'{"message": "hej"}', {"Content-Type": "application/json"}) as request:
        assert Chat(stack.app_url, "boden", "sv", address=own_address()).send("Hej!")
        first_line = request.sock.makefile("rb").readline().decode()  # the app gives up on it (read timeout)
    assert first_line.split()[1] == "408"


def test_heavy_work_in_flight_does_not_keep_a_chat_from_its_answer(stack: Stack) -> None:
    """Argon2 logins and the largest action call run in worker threads, not on the event loop."""
    heavy = _heaviest_requests(stack)
    results: list[int] = []

    def send(path: str, body: bytes, headers: dict[str, str]) -> None:
        results.append(httpx.post(f"{stack.app_url}{path}", content=body, headers=headers, timeout=120).status_code)

    work = [threading.Thread(target=send, args=heavy[1][:3])]
    work += [threading.Thread(target=send, args=(heavy[4][0], heavy[4][1], {**heavy[4][2], "X-Forwarded-For":
                                                                           own_address()})) for _ in range(6)]
    for thread in work:
        thread.start()
    answer = Chat(stack.app_url, "lulea", "en", address=own_address()).send("How does the housing queue work?")
    for thread in work:
        thread.join()
    assert answer and answer[-1]["text"]
    assert sorted(results) == [200] + [303] * 6


# --- rate limits ----------------------------------------------------------------------------------

def test_one_address_over_its_limit_gets_429_in_its_language_and_another_is_not_slowed(stack: Stack) -> None:
    flood = own_address()
    statuses: list[int] = []

    def flood_it() -> None:
        with httpx.Client(timeout=30) as client:
            for _ in range(140):  # empty messages: answered without Rasa, so the flood is fast
                statuses.append(client.post(f"{stack.app_url}/api/chat", json={"message": "", "language": "pl"},
                                            headers={"X-Forwarded-For": flood}).status_code)

    flooding = threading.Thread(target=flood_it)
    flooding.start()
    other = Chat(stack.app_url, "boden", "de", address=own_address())
    answers = [other.send(question) for question in ("Wie finde ich eine Wohnung?", "Und eine Vorschule?")]
    flooding.join()
    assert all(answer and answer[-1]["text"] for answer in answers)
    assert statuses.count(200) == 120 and statuses[-1] == 429
    refused = httpx.post(f"{stack.app_url}/api/chat", json={"message": "", "language": "pl"},
                         headers={"X-Forwarded-For": flood}, timeout=30)
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["detail"].startswith("Wysyłasz wiadomości szybciej")


def test_a_web_message_over_the_address_limit_is_handed_back_to_be_sent_again(stack: Stack) -> None:
    sio = socketio.SimpleClient()
    sio.connect(stack.app_url, transports=["websocket"], headers={"X-Forwarded-For": own_address()})
    sio.emit("session_request", {"session_id": None})
    token = sio.receive(timeout=30)[1]
    for number in range(120):  # empty messages: answered without Rasa
        sio.emit("user_uttered", {"message": "", "session_id": token, "message_id": f"m{number}",
                                  "customData": {"language": "pl"}})
    sio.emit("user_uttered", {"message": "Ile kosztuje przedszkole?", "session_id": token, "message_id": "over",
                              "customData": {"language": "pl"}})
    refused = None
    while refused is None:
        event, message = sio.receive(timeout=60)
        if event == "bot_uttered" and message.get("not_taken") is not None:
            refused = message
    sio.disconnect()
    # The widget gives the person these words back; the same id may be sent again after the wait.
    assert refused["not_taken"] == "over" and 1 <= refused["retry_after"] <= 60
    assert refused["text"].startswith("Wysyłasz wiadomości szybciej")
    with sqlite3.connect(stack.settings.var_dir / "conversations.sqlite") as db:
        kept = db.execute("SELECT count(*) FROM messages WHERE external_id = 'over'").fetchone()[0]
    assert kept == 0  # not stored, so nobody thinks it was answered


def test_a_conversation_over_its_limit_is_told_to_wait_and_its_messages_are_kept(stack: Stack) -> None:
    person = Chat(stack.app_url, "boden", "sv", address=own_address())
    replies = [person.post("") for _ in range(22)]
    assert [r.status_code for r in replies] == [200] * 20 + [429, 429]
    assert replies[20].json()["messages"][0]["text"].startswith(catalog_text("sv", "utter_rate_limited", count=60)[:40])
    assert 1 <= int(replies[21].headers["retry-after"]) <= 60
    with sqlite3.connect(stack.settings.var_dir / "conversations.sqlite") as db:
        received = db.execute("SELECT count(*) FROM messages WHERE conversation_id = ? AND direction = 'in'",
                              (person.conversation_id,)).fetchone()[0]
    assert received == 22  # the refused messages are stored too (hosts see them)


def test_one_conversation_cannot_keep_asking_for_hosts(stack: Stack) -> None:
    person = Chat(stack.app_url, "jokkmokk", "en", address=own_address())
    offers = []
    for _ in range(4):
        offers.append(person.send("I want to talk to a person")[-1])
        person.send("/handoff_cancel")
    assert [o["custom"]["response"] for o in offers] == ["handoff_ask_method"] * 3 + ["handoff_busy"]
    assert offers[-1]["text"].startswith(catalog_text("en", "handoff_busy", municipality_name="Jokkmokk"))


# --- conversation identity ----------------------------------------------------------------------

def test_a_second_client_can_neither_read_nor_write_nor_delete_someone_elses_conversation(stack: Stack) -> None:
    owner = Chat(stack.app_url, "boden", "sv", address=own_address())
    owner.send("Mitt personnummer är 811228-9874, hur får jag bostad?")
    key = owner.token.split(".")[0]
    for forged in (key, f"{key}.{'A' * 32}", owner.conversation_id, owner.token + "x", owner.token[:-1] + "A"):
        headers = {"Authorization": f"Bearer {forged}", "X-Forwarded-For": own_address()}
        read = httpx.get(f"{stack.app_url}/api/chat/messages", headers=headers, timeout=30)
        write = httpx.post(f"{stack.app_url}/api/chat", json={"message": "/delete_confirm"}, headers=headers,
                           timeout=30)
        assert (read.status_code, write.status_code) == (401, 401), forged
        assert "811228" not in read.text + write.text
    assert owner.send("Hej igen")  # the owner's own token still works
    typed = owner.send("/delete_confirm")  # a typed confirmation, without the bot having asked
    assert all(m.get("custom", {}).get("response") != "utter_deleted" for m in typed)


def test_a_web_client_cannot_attach_to_another_web_conversation(stack: Stack) -> None:
    def client() -> socketio.SimpleClient:
        sio = socketio.SimpleClient()
        sio.connect(stack.app_url, transports=["websocket"], headers={"X-Forwarded-For": own_address()})
        return sio

    owner = client()
    owner.emit("session_request", {"session_id": None})
    token = owner.receive(timeout=30)[1]
    owner.emit("user_uttered", {"message": "Mitt personnummer är 811228-9874", "session_id": token,
                                "customData": {"municipality": "boden", "language": "sv"}})
    assert owner.receive(timeout=60)[0] == "bot_uttered"
    owner.disconnect()

    key = token.split(".")[0]
    for claimed in (key, f"web:{key}", f"{key}.{'A' * 32}"):
        stranger = client()
        stranger.emit("session_request", {"session_id": claimed})
        event, issued = stranger.receive(timeout=30)
        assert event == "session_confirm" and issued != token  # a new conversation, not the owner's
        with pytest.raises(socketio.exceptions.TimeoutError):
            stranger.receive(timeout=2)  # and no history of someone else's
        stranger.disconnect()

    again = client()
    again.emit("session_request", {"session_id": token})
    assert again.receive(timeout=30) == ["session_confirm", token]
    assert again.receive(timeout=30)[0] == "history"  # the owner gets their own conversation back
    again.disconnect()


# --- the host console -----------------------------------------------------------------------------

def test_a_logout_closes_the_hosts_open_console_socket(stack: Stack) -> None:
    email = f"vera.{uuid.uuid4().hex[:6]}@lulea.example"
    add_host(stack, email, "Vera", "lulea")
    console = Console(stack.app_url, email)
    cookie = "; ".join(f"{k}={v}" for k, v in console.client.cookies.items())
    url = stack.app_url.replace("http://", "ws://") + "/console/ws"
    with connect(url, additional_headers={"Cookie": cookie, "Origin": stack.app_url}) as socket_:
        assert console.post("/console/logout").status_code == 303
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                socket_.recv(timeout=20)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


def test_behind_a_tls_proxy_the_session_cookie_is_secure_and_hsts_is_sent(stack: Stack, hosts) -> None:
    email = hosts["boden"].email
    over_tls = httpx.post(f"{stack.app_url}/console/login", data={"email": email, "password": PASSWORD}, timeout=30,
                          headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": own_address()})
    plain = httpx.post(f"{stack.app_url}/console/login", data={"email": email, "password": PASSWORD}, timeout=30,
                       headers={"X-Forwarded-For": own_address()})
    assert "secure" in over_tls.headers["set-cookie"].lower()
    assert over_tls.headers["strict-transport-security"].startswith("max-age=")
    assert "secure" not in plain.headers["set-cookie"].lower()
    assert "strict-transport-security" not in plain.headers


def test_history_search_never_matches_masked_data_and_later_messages_stay_private(stack: Stack, hosts) -> None:
    person = Chat(stack.app_url, "boden", "sv", address=own_address())
    person.send("Jag vill prata med en människa")
    person.send("/handoff_chat")
    person.send("Mitt uppehållstillstånd har avslagits")
    handoff_id = person.send("/handoff_yes")[-1]["custom"]["handoff_id"]
    person.send("Mitt personnummer är 811228-9874")
    boden = hosts["boden"]
    boden.post(f"/console/handoffs/{handoff_id}/claim")
    boden.post(f"/console/handoffs/{handoff_id}/resolve", note="klart")
    person.send("Nu flyttar vi till Luleå i stället, kontakta mig på 070-123 45 67")

    found = boden.client.get("/console/history", params={"q": "uppehållstillstånd"}).text
    assert f"/console/handoffs/{handoff_id}" in found
    by_number = boden.client.get("/console/history", params={"q": "811228-9874"}).text
    assert f"/console/handoffs/{handoff_id}" not in by_number
    shown = boden.client.get(f"/console/handoffs/{handoff_id}/messages").json()["messages"]
    assert any("personnummer" in (m["text"] or "") for m in shown)
    assert not any("811228" in (m["text"] or "") for m in shown)
    assert not any("Luleå i stället" in (m["text"] or "") for m in shown)  # written after the handoff ended
