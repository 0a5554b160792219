"""Rasa's own checks on the project: data validation and whole-conversation test stories."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from app.settings import PROJECT_ROOT
from app.stack import MODEL, RASA_BIN


def _rasa(*args: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run([str(RASA_BIN), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def test_rasa_data_validates_without_warnings() -> None:
    result = _rasa("data", "validate", "--fail-on-warnings")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_conversation_stories_in_six_languages_pass(tmp_path: Path) -> None:
    result = _rasa(
        "test", "core", "--model", str(MODEL), "--stories", "tests/stories",
        "--fail-on-prediction-errors", "--out", str(tmp_path),
    )
    failed = (tmp_path / "failed_test_stories.yml")
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, details[-4000:] or result.stderr[-3000:]


CHECK_ANSWERS = """
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
import bot.channel  # installs bot/validation.py, as Rasa does when it loads the channel

action = RemoteAction("action_answer_faq", None)
assert action._validate_action_result({"events": [{"event": "slot", "name": "language", "value": "pl"}],
                                       "responses": [{"response": "utter_faq_answer", "faq_id": "x"}]})
for wrong in ({"events": "not a list"}, {"events": [{"event": "no_such_event"}]}, {"responses": [3]}):
    try:
        action._validate_action_result(wrong)
    except ValidationError as error:
        assert "Failed to validate Action server response" in error.message
    else:
        raise SystemExit(f"accepted {wrong}")
print("checked")
"""


def test_rasa_still_refuses_a_malformed_action_answer_with_the_schema_compiled_once() -> None:
    """bot/validation.py keeps Rasa's check of the action server's answers, only faster."""
    python = RASA_BIN.with_name("python")
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run([str(python), "-c", CHECK_ANSWERS], cwd=PROJECT_ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0 and "checked" in result.stdout, result.stderr[-3000:]


KEEP_TRACKERS = """
import asyncio, sqlite3, sys
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from bot.tracker_store import LeanSQLTrackerStore

db = sys.argv[1]
domain = Domain.load("domain.yml")

async def main():
    one = LeanSQLTrackerStore(domain=domain, dialect="sqlite", db=db)
    two = LeanSQLTrackerStore(domain=domain, dialect="sqlite", db=db)  # a second Rasa process
    assert await one.retrieve("web:a") is None
    tracker = DialogueStateTracker("web:a", domain.slots)
    tracker.update(SessionStarted())  # what Rasa reads back of a session starts here
    tracker.update(UserUttered("hej", {"name": "greet", "confidence": 0.9}))
    tracker.update(SlotSet("language", "sv"))
    await one.save(tracker)
    await one.save(tracker)  # saved twice in one turn: nothing stored twice
    for store, text in ((two, "tack"), (one, "bostad?"), (two, "hej då")):  # turns alternate between processes
        tracker = await store.retrieve("web:a")
        tracker.update(UserUttered(text, {"name": "thanks", "confidence": 0.8}))
        tracker.update(ActionExecuted("utter_x"))
        await store.save(tracker)
    fresh = LeanSQLTrackerStore(domain=domain, dialect="sqlite", db=db)
    tracker.update(SlotSet("municipality", "boden"))
    await fresh.save(tracker)  # a save without a read first: Rasa's own count of stored events
    rasa_own = await SQLTrackerStore(domain=domain, dialect="sqlite", db=db).retrieve("web:a")
    assert [e.as_dict() for e in rasa_own.events] == [e.as_dict() for e in tracker.events], rasa_own.events
    assert rasa_own.get_slot("language") == "sv" and rasa_own.get_slot("municipality") == "boden"
    assert [m.text for m in rasa_own.events if isinstance(m, UserUttered)] == ["hej", "tack", "bostad?", "hej då"]
    with sqlite3.connect(db) as check:
        assert check.execute("SELECT count(*) FROM events").fetchone()[0] == len(tracker.events)
        assert check.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    print("kept")

asyncio.run(main())
"""


def test_rasa_keeps_every_event_once_in_the_lean_tracker_store(tmp_path: Path) -> None:
    """bot/tracker_store.py writes exactly the rows Rasa's own SQL tracker store reads back."""
    python = RASA_BIN.with_name("python")
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run([str(python), "-c", KEEP_TRACKERS, str(tmp_path / "tracker.sqlite")], cwd=PROJECT_ROOT,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "kept" in result.stdout, result.stderr[-3000:]
