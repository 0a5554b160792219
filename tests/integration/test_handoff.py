"""Handoff to a human host over the real servers: intake in the person's language, queue, console,
claim, chat, hand back — and what a host of another municipality, a stranger or another site cannot do.

The person talks over the HTTP chat channel (host messages are read back from
GET /api/chat/messages with the conversation's token); the host uses the console's own HTTP endpoints.
"""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from app.platforms import wait_for
from app.stack import Stack
from base.catalog import text as catalog_text
from tests.integration.conftest import Console, add_host


def test_polish_newcomer_is_handed_to_a_boden_host_and_back(stack: Stack, chat, hosts, mailbox) -> None:
    person = chat("boden", "pl")
    asked = person.send("Chcę porozmawiać z człowiekiem")
    method = asked[-1]
    assert method["custom"]["response"] == "handoff_ask_method"
    assert method["text"] == catalog_text("pl", "handoff_ask_method", municipality_name="Boden")
    chat_button = next(b for b in method["buttons"] if b["payload"] == "/handoff_chat")
    assert chat_button["title"] == catalog_text("pl", "handoff_method_chat")

    need = person.send(chat_button["payload"])
    assert need[-1]["text"] == catalog_text("pl", "handoff_ask_need")
    consent = person.send("Mój wniosek o zezwolenie na pobyt został odrzucony. Co teraz?")
    assert consent[-1]["custom"]["response"] == "handoff_ask_consent"
    queued = person.send("/handoff_yes")
    assert queued[-1]["custom"]["response"] == "handoff_queued"
    assert "1" in queued[-1]["text"]
    handoff_id = queued[-1]["custom"]["handoff_id"]

    mails = wait_for(lambda: [m for m in mailbox[0].messages if f"/console/handoffs/{handoff_id}" in m.get_content()],
                     what="the hosts' e-mail")
    assert mails[0]["Subject"] == "[Boden] En inflyttare väntar i chatten"
    assert "anna." in mails[0]["To"] and "jon." not in mails[0]["To"]  # Boden's hosts only
    assert "Mój wniosek o zezwolenie na pobyt został odrzucony" in mails[0].get_content()

    assert person.send("Halo, czy ktoś tu jest?") == []  # the bot stays silent while a host is awaited
    assert person.send("Mój personnummer to 811228-9874") == []

    boden, jokkmokk = hosts["boden"], hosts["jokkmokk"]
    dashboard = boden.client.get("/console").text
    assert f"/console/handoffs/{handoff_id}" in dashboard
    assert "Mój wniosek o zezwolenie na pobyt został odrzucony" in dashboard
    assert f"/console/handoffs/{handoff_id}" not in jokkmokk.client.get("/console").text

    transcript = boden.client.get(f"/console/handoffs/{handoff_id}").text
    assert "Chcę porozmawiać z człowiekiem" in transcript and "Halo, czy ktoś tu jest?" in transcript
    assert "811228-9874" not in transcript and "[personnummer dolt]" in transcript  # masked for hosts

    assert boden.post(f"/console/handoffs/{handoff_id}/claim").status_code == 303
    joined = person.later()
    assert joined[-1]["text"] == catalog_text("pl", "handoff_host_joined", host_name="Anna",
                                              municipality_name="Boden")
    assert boden.post(f"/console/handoffs/{handoff_id}/message", text="Dzień dobry! Jak mogę pomóc?").status_code == 303
    said = person.later(joined[-1]["id"])
    assert said[-1]["text"] == "Dzień dobry! Jak mogę pomóc?" and said[-1]["author"] == "host"
    assert person.send("Dziękuję, mam pytanie o mieszkanie.") == []  # goes to the host, not the bot
    page = boden.client.get(f"/console/handoffs/{handoff_id}").text
    assert "Dziękuję, mam pytanie o mieszkanie." in page
    suggested = page.split("Assistenten föreslår")[-1]  # FAQ help for the person's latest question
    assert "bostad" in suggested.lower() or "lägenhet" in suggested.lower()

    assert boden.post(f"/console/handoffs/{handoff_id}/handback").status_code == 303
    back = person.later(said[-1]["id"])
    assert [m["text"] for m in back[-2:]] == [catalog_text("pl", "handoff_returned", host_name="Anna"),
                                              catalog_text("pl", "satisfaction_ask")]  # asked once, after the host
    answer = person.send("Jak znaleźć mieszkanie w Boden?")  # a question, not a rating: the bot answers it
    assert any(m["custom"].get("faq_id") for m in answer)  # the bot answers again

    found = boden.client.get("/console/history", params={"q": "zezwolenie na pobyt"}).text
    assert f"/console/handoffs/{handoff_id}" in found
    assert f"/console/handoffs/{handoff_id}" not in boden.client.get("/console/history", params={"q": "xyzzy"}).text
    assert f"/console/handoffs/{handoff_id}" not in hosts["jokkmokk"].client.get("/console/history").text


def _waiting_boden_handoff(chat) -> tuple[object, int]:
    person = chat("boden", "sv")
    person.send("Jag vill prata med en människa")
    person.send("/handoff_chat")
    person.send("Det gäller mitt uppehållstillstånd.")
    queued = person.send("/handoff_yes")
    return person, queued[-1]["custom"]["handoff_id"]


def test_a_jokkmokk_host_cannot_read_claim_or_post_in_a_boden_conversation(stack: Stack, chat, hosts) -> None:
    _, handoff_id = _waiting_boden_handoff(chat)
    other = hosts["jokkmokk"]
    assert other.client.get(f"/console/handoffs/{handoff_id}").status_code == 404
    assert other.client.get(f"/console/handoffs/{handoff_id}/messages").status_code == 404
    for action, data in (("claim", {}), ("message", {"text": "hej"}), ("template", {}), ("handback", {}),
                         ("resolve", {"note": "x"})):
        assert other.post(f"/console/handoffs/{handoff_id}/{action}", **data).status_code == 404, action
    page = hosts["boden"].client.get(f"/console/handoffs/{handoff_id}").text
    assert "hej" not in page.split("Det gäller mitt uppehållstillstånd.")[-1]
    assert "/claim" in page  # still waiting: nobody claimed it


def test_editors_and_the_regional_admin_take_no_conversations_not_even_their_own_municipalitys(
        stack: Stack, chat, hosts) -> None:
    from websockets.sync.client import connect

    suffix = uuid.uuid4().hex[:6]
    add_host(stack, f"erik.{suffix}@boden.example", "Erik", "boden", role="editor")
    add_host(stack, f"rut.{suffix}@region.example", "Rut", None, role="regional_admin")
    editor, regional = Console(stack.app_url, f"erik.{suffix}@boden.example"), \
        Console(stack.app_url, f"rut.{suffix}@region.example")
    url = stack.app_url.replace("http://", "ws://") + "/console/ws"
    cookie = "; ".join(f"{k}={v}" for k, v in editor.client.cookies.items())
    with connect(url, additional_headers={"Cookie": cookie, "Origin": stack.app_url}) as socket:
        _, handoff_id = _waiting_boden_handoff(chat)
        with pytest.raises(TimeoutError):
            while True:  # pings may come; news of the conversation must not
                assert str(handoff_id) not in socket.recv(timeout=3)
    for account, shown in ((editor, "FAQ-redaktör, Boden"), (regional, "regional administratör, alla kommuner")):
        dashboard = account.client.get("/console").text
        assert shown in dashboard and "tar inte över samtal" in dashboard
        assert f"/console/handoffs/{handoff_id}" not in dashboard
        assert account.client.get(f"/console/handoffs/{handoff_id}").status_code == 404
        assert account.client.get(f"/console/handoffs/{handoff_id}/messages").status_code == 404
        assert account.post(f"/console/handoffs/{handoff_id}/claim").status_code == 404
        assert "Det gäller mitt uppehållstillstånd." not in account.client.get("/console/history").text
    assert f"/console/handoffs/{handoff_id}" in hosts["boden"].client.get("/console").text


def test_strangers_and_other_sites_are_refused(stack: Stack, chat, hosts) -> None:
    _, handoff_id = _waiting_boden_handoff(chat)
    stranger = httpx.Client(base_url=stack.app_url)
    assert stranger.get("/console").status_code == 401
    assert stranger.get(f"/console/handoffs/{handoff_id}").status_code == 401
    assert stranger.post(f"/console/handoffs/{handoff_id}/claim").status_code == 401
    boden = hosts["boden"]
    forged = boden.client.post(f"/console/handoffs/{handoff_id}/claim", data={"csrf": "guess"})
    assert forged.status_code == 403
    cross_site = boden.client.post(f"/console/handoffs/{handoff_id}/claim", data={"csrf": boden.csrf},
                                   headers={"origin": "https://evil.example"})
    assert cross_site.status_code == 403
    assert "/claim" in boden.client.get(f"/console/handoffs/{handoff_id}").text  # nothing changed


def test_logins_are_throttled_after_repeated_failures(stack: Stack, hosts) -> None:
    client = httpx.Client(base_url=stack.app_url, follow_redirects=False)
    email = f"nobody.{uuid.uuid4().hex[:6]}@boden.example"
    for _ in range(5):
        assert client.post("/console/login", data={"email": email, "password": "wrong"}).status_code == 303
    refused = client.post("/console/login", data={"email": email, "password": "wrong"})
    assert refused.status_code == 429 and "15 min" in refused.text
    assert 800 < int(refused.headers["retry-after"]) <= 900


def test_with_no_host_online_the_request_becomes_a_ticket(stack: Stack, chat) -> None:
    person = chat("skelleftea", "en")  # no Skellefteå host account exists in these tests
    person.send("I want to talk to a person")
    person.send("/handoff_email")
    asked = person.send("it's anna.k@example.com")
    assert asked[-1]["text"] == catalog_text("en", "handoff_ask_need")
    person.send("We are moving in March and need help with preschool.")
    done = person.send("/handoff_yes")
    assert done[-1]["custom"]["handoff_status"] == "ticket"
    how = catalog_text("en", "handoff_by_email", contact="anna.k@example.com")
    assert done[-1]["text"] == catalog_text("en", "handoff_ticket_no_hours", municipality_name="Skellefteå", how=how)
    answer = person.send("How do I find an apartment in Skellefteå?")
    assert any(m["custom"].get("faq_id") or m["custom"].get("choices") for m in answer)  # the bot still answers


def test_an_emergency_gets_112_at_once_and_the_offer_of_a_host(stack: Stack, chat) -> None:
    reply = chat("lulea", "en").send("My husband collapsed in the kitchen and he is not breathing!")
    assert reply[0]["custom"]["response"] in ("utter_welcome", "utter_emergency")
    emergency = next(m for m in reply if m["custom"]["response"] == "utter_emergency")
    assert emergency["text"].startswith(catalog_text("en", "utter_emergency"))
    assert reply[-1]["custom"]["response"] == "handoff_ask_method"


def test_a_person_can_have_their_conversation_deleted(stack: Stack, chat) -> None:
    import sqlite3

    person = chat("boden", "sv")
    person.send("Hur söker jag förskoleplats i Boden? Mitt personnummer är 811228-9874.")
    asked = person.send("Jag vill att du raderar den här konversationen")
    confirm = asked[-1]
    assert confirm["text"] == catalog_text("sv", "utter_confirm_delete")
    assert [b["payload"] for b in confirm["buttons"]] == ["/delete_confirm", "/delete_cancel"]
    done = person.send("/delete_confirm")
    assert done[-1]["text"] == catalog_text("sv", "utter_deleted")
    with sqlite3.connect(stack.settings.database.split("///", 1)[1]) as db:
        assert db.execute("SELECT count(*) FROM messages WHERE conversation_id = ?",
                          (person.conversation_id,)).fetchone() == (0,)
    with sqlite3.connect(stack.settings.tracker_db) as tracker:
        assert tracker.execute("SELECT count(*) FROM events WHERE sender_id = ?",
                               (person.conversation_id,)).fetchone() == (0,)


def test_people_waiting_are_told_when_the_queue_moves(stack: Stack, chat, hosts) -> None:
    hosts["boden"].client.get("/console")
    _, first_id = _waiting_boden_handoff(chat)
    second, second_id = _waiting_boden_handoff(chat)

    def places() -> list[int]:
        queued = [m for m in second.later()
                  if (m.get("custom") or {}).get("response") == "handoff_queued"]
        return [int(m["text"].split("nummer ")[1].split(" ")[0]) for m in queued]

    [initial] = places()
    hosts["boden"].post(f"/console/handoffs/{first_id}/claim")
    updated = wait_for(lambda: places() if len(places()) == 2 else None, what="a queue update")
    assert updated == [initial, initial - 1]
    hosts["boden"].post(f"/console/handoffs/{first_id}/resolve", note="klart")
    hosts["boden"].post(f"/console/handoffs/{second_id}/claim")


def test_console_websocket_events_reach_only_the_municipalitys_hosts(stack: Stack, chat, hosts) -> None:
    from websockets.sync.client import connect

    url = stack.app_url.replace("http://", "ws://") + "/console/ws"

    def socket(console: Console, origin: str = stack.app_url):
        cookie = "; ".join(f"{k}={v}" for k, v in console.client.cookies.items())
        return connect(url, additional_headers={"Cookie": cookie, "Origin": origin})

    with socket(hosts["boden"]) as boden, socket(hosts["jokkmokk"]) as jokkmokk:
        _, handoff_id = _waiting_boden_handoff(chat)
        events = []
        while not any(e.get("handoff_id") == handoff_id for e in events):
            events.append(json.loads(boden.recv(timeout=30)))
        with pytest.raises(TimeoutError):
            jokkmokk.recv(timeout=3)  # nothing about Boden's conversation
    with pytest.raises(InvalidStatus):  # no session: refused at the handshake
        connect(url, additional_headers={"Origin": stack.app_url})
    with pytest.raises(InvalidStatus):  # a host's session, but from another site
        socket(hosts["boden"], origin="https://evil.example")


def test_the_console_speaks_english_when_a_host_prefers_it(stack: Stack, hosts) -> None:
    client = hosts["jokkmokk"].client
    assert client.get("/console/language/en").status_code == 303
    assert "<h2>Waiting (" in client.get("/console").text
    client.get("/console/language/sv")
    assert "<h2>Väntar (" in client.get("/console").text
