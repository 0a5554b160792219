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
