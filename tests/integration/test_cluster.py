"""The product as a regional service: 2 app and 2 Rasa processes behind nginx, on PostgreSQL and Redis
of their own. What crosses processes keeps working, and a short run of the four faults under load
loses, duplicates and reorders nothing (`make chaos` runs the long one)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import socketio
from websockets.sync.client import connect

from app import rig
from app.commands.chaos import run_on
from tests.conftest import Chat


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[rig.Rig]:
    with rig.started(Path(tmp_path_factory.mktemp("cluster")), on_cluster=True) as running:
        yield running


def _app(running: rig.Rig, number: int) -> str:
    assert running.layout is not None
    return f"http://127.0.0.1:{running.layout.app_ports[number]}"


def _console(base_url: str, running: rig.Rig) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base_url, timeout=30, follow_redirects=False)
    client.post("/console/login", data={"email": running.target.host_email, "password": running.target.host_password})
    page = client.get("/console").text
    return client, page.split('name="csrf" value="')[1].split('"')[0]


def test_every_app_process_is_ready_and_counts_for_prometheus(cluster: rig.Rig) -> None:
    for number in (0, 1):
        ready = httpx.get(f"{_app(cluster, number)}/ready", timeout=30).json()
        assert {ready[key] for key in ("database", "redis", "rasa")} == {"ok"}
    assert httpx.get(f"{cluster.target.url}/metrics", timeout=30).status_code == 404  # not through nginx
    Chat(cluster.target.url, "lulea", "en").send("How does the housing queue work?")
    metrics = "".join(httpx.get(f"{_app(cluster, n)}/metrics", timeout=30).text for n in (0, 1))
    assert 'newcomer_messages_in_total{channel="api",municipality="lulea"}' in metrics


def test_a_web_conversation_continues_on_another_process_and_hears_a_host_from_a_third_place(
        cluster: rig.Rig) -> None:
    first = socketio.SimpleClient()
    first.connect(_app(cluster, 0), transports=["websocket"])
    first.emit("session_request", {"session_id": None})
    token = first.receive(timeout=30)[1]
    first.emit("user_uttered", {"message": "Jag vill prata med en människa", "session_id": token,
                                "customData": {"municipality": "boden", "language": "sv"}})
    while first.receive(timeout=60)[1].get("quick_replies") is None:
        pass  # the welcome and the offer come first; the intake's question has the buttons
    first.disconnect()

    second = socketio.SimpleClient()  # the next request lands on the other process
    second.connect(_app(cluster, 1), transports=["websocket"])
    second.emit("session_request", {"session_id": token})
    assert second.receive(timeout=30) == ["session_confirm", token]
    assert second.receive(timeout=30)[0] == "history"
    for said in ("/handoff_chat", "Vi behöver hjälp med förskola.", "/handoff_yes"):
        second.emit("user_uttered", {"message": said, "session_id": token,
                                     "customData": {"municipality": "boden", "language": "sv"}})
        second.receive(timeout=60)

    console, csrf = _console(_app(cluster, 0), cluster)  # the host works on the first process
    page = console.get("/console").text
    handoff = page.split("/console/handoffs/")[1].split('"')[0]
    console.post(f"/console/handoffs/{handoff}/claim", data={"csrf": csrf})
    console.post(f"/console/handoffs/{handoff}/message", data={"csrf": csrf, "text": "Hej, det är Anna."})
    heard = [second.receive(timeout=30)[1]["text"] for _ in range(2)]  # through Redis to the second process
    assert "Hej, det är Anna." in heard
    console.post(f"/console/handoffs/{handoff}/resolve", data={"csrf": csrf, "note": "klart"})
    second.disconnect()


def test_a_console_on_one_process_hears_of_a_conversation_waiting_on_another(cluster: rig.Rig) -> None:
    console, _ = _console(_app(cluster, 1), cluster)
    cookie = "; ".join(f"{k}={v}" for k, v in console.cookies.items())
    url = _app(cluster, 1).replace("http://", "ws://") + "/console/ws"
    with connect(url, additional_headers={"Cookie": cookie, "Origin": _app(cluster, 1)}) as live:
        person = Chat(_app(cluster, 0), "boden", "en")  # the person talks to the first process
        for said in ("I want to talk to a person", "/handoff_chat", "Help with housing, please.", "/handoff_yes"):
            answer = person.send(said)
        events = []
        while not any(e.get("type") in ("waiting", "ticket") for e in events):  # queue or ticket, by the hour
            events.append(json.loads(live.recv(timeout=30)))
    handed = next(e for e in events if e.get("type") in ("waiting", "ticket"))
    assert handed["municipality"] == "boden"
    assert handed["handoff_id"] == answer[-1]["custom"]["handoff_id"]


def test_two_people_picking_one_meeting_time_on_two_processes_at_once_get_it_once(cluster: rig.Rig) -> None:
    """The database's unique slot key, not a lock in one process, refuses the second booking."""
    console, csrf = _console(_app(cluster, 0), cluster)
    for weekday in range(5):
        added = console.post("/console/meetings/hours", data={"csrf": csrf, "weekday": str(weekday),
                                                              "start": "10:30", "minutes": "30"})
        assert added.status_code == 303, added.text
    people = [Chat(_app(cluster, number), "boden", "en") for number in (0, 1)]
    offers = [person.send("/meeting_start")[-1] for person in people]
    assert offers[0]["buttons"][0] == offers[1]["buttons"][0]  # both are offered the same first time
    pick = offers[0]["buttons"][0]["payload"]
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda person: person.send(pick)[-1]["custom"]["response"], people))
    assert sorted(answers) == ["meeting_ask_email", "meeting_taken"]


def test_four_faults_under_load_lose_nothing(cluster: rig.Rig) -> None:
    result = run_on(cluster, messages=160, concurrency=8, minutes=10)
    print("\n".join(result.lines()))  # the figures, for whoever reads the test log
    assert all(fault.recovered_after is not None for fault in result.faults)
    checks = result.report.checks
    assert checks["messages lost"] == 0
    assert checks["stored or delivered twice"] == 0
    assert checks["left unanswered"] == 0
    assert checks["conversations out of order"] == 0
    assert all(sent.answered_at for sent in result.report.sent)  # every person got an answer, at worst an apology
