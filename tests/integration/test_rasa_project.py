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
