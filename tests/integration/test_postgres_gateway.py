"""The gateway on PostgreSQL: a second app server with DATABASE_URL set, in front of the same real Rasa.

The unit tests run every store operation on SQLite and PostgreSQL; this one shows a configured
deployment keeps its conversation records in PostgreSQL end to end.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from app.settings import PROJECT_ROOT, free_port
from app.stack import Stack, _environment, _wait, app_command
from tests.conftest import Chat
from tests.integration.conftest import Console, add_host


@pytest.fixture(scope="module")
def postgres_app(stack: Stack, postgres_url: str) -> Iterator[str]:
    port = free_port()
    env = _environment(stack.settings)
    env.update(APP_PORT=str(port), DATABASE_URL=postgres_url,
               MUNICIPALITIES_DIR=str(stack.settings.var_dir / "municipalities"))  # hosts staffed around the clock
    log = open(stack.settings.var_dir / "app-postgres.log", "ab")  # noqa: SIM115 - closed below
    process = subprocess.Popen(app_command("127.0.0.1", port), cwd=PROJECT_ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        _wait(f"http://127.0.0.1:{port}/health", process, "app (PostgreSQL)", 180)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


def test_conversation_records_live_in_postgresql(postgres_app: str, postgres_url: str) -> None:
    person = Chat(postgres_app, "lulea", "sv")
    answer = person.send("Hur ställer jag mitt barn i kö till förskola?")
    buttons = [button["title"] for m in answer for button in m.get("buttons") or []]
    shown = " ".join([m.get("text") or "" for m in answer] + buttons)
    assert "förskol" in shown.lower()  # the answer, or the preschool questions of a close call
    with psycopg.connect(postgres_url.replace("postgresql+psycopg://", "postgresql://")) as db:
        rows = db.execute("SELECT direction, author, text FROM messages WHERE conversation_id = %s ORDER BY id",
                          (person.conversation_id,)).fetchall()
        municipality, language = db.execute("SELECT municipality, language FROM conversations WHERE id = %s",
                                            (person.conversation_id,)).fetchone()
    assert rows[0] == ("in", "person", "Hur ställer jag mitt barn i kö till förskola?")
    assert [r[1] for r in rows[1:]] and all(r[:2] == ("out", "bot") for r in rows[1:])
    assert (municipality, language) == ("lulea", "sv")


def test_the_handoff_runs_on_postgresql(stack: Stack, postgres_app: str, postgres_url: str) -> None:
    email = f"maria.{uuid.uuid4().hex[:6]}@lulea.example"
    add_host(stack, email, "Maria", "lulea", database=postgres_url)
    host = Console(postgres_app, email)
    person = Chat(postgres_app, "lulea", "uk")
    send = person.send

    assert send("Я хочу поговорити з людиною")[-1]["custom"]["response"] == "handoff_ask_method"
    send("/handoff_chat")
    send("Мені відмовили у дозволі на проживання.")
    queued = send("/handoff_yes")[-1]
    assert queued["custom"]["handoff_status"] == "waiting"
    handoff_id = queued["custom"]["handoff_id"]
    assert send("Ви тут?") == []
    assert host.post(f"/console/handoffs/{handoff_id}/claim").status_code == 303
    assert host.post(f"/console/handoffs/{handoff_id}/message", text="Вітаю! Це Марія.").status_code == 303
    later = person.later()
    assert later[-1]["text"] == "Вітаю! Це Марія."
    assert host.post(f"/console/handoffs/{handoff_id}/handback").status_code == 303
    with psycopg.connect(postgres_url.replace("postgresql+psycopg://", "postgresql://")) as db:
        status, need = db.execute("SELECT status, need FROM handoffs WHERE id = %s", (handoff_id,)).fetchone()
    assert status == "returned" and need == "Мені відмовили у дозволі на проживання."
