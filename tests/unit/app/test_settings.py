"""Process settings: read from the environment when asked (not at import), the SMTP password never in
a repr, and the private stacks' free ports."""

from __future__ import annotations

from pathlib import Path

import pytest

import app.settings
from app.settings import PROJECT_ROOT, Settings, on_free_ports, settings


def test_variables_set_after_import_are_seen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("APP_PORT", "8123")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://app@db.example/newcomers")
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SMTP_STARTTLS", "true")
    current = app.settings.settings()
    assert (current.app_port, current.database, current.var_dir, current.smtp_starttls) == (
        8123, "postgresql+psycopg://app@db.example/newcomers", tmp_path, True)
    monkeypatch.setenv("APP_PORT", "8124")
    assert settings().app_port == 8124  # asked again, read again


def test_without_variables_the_defaults_of_make_run_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("APP_HOST", "APP_PORT", "RASA_PORT", "RASA_URL", "VAR_DIR", "DATABASE_URL", "PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    current = settings()
    assert current.app_url == "http://127.0.0.1:8000"
    assert current.rasa_url == "http://127.0.0.1:5005"
    assert current.database == f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'conversations.sqlite'}"
    assert current.base_url == "http://127.0.0.1:8000"


def test_the_smtp_password_never_appears_in_a_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "hunter2-smtp-Pa55word"
    monkeypatch.setenv("SMTP_PASSWORD", secret)
    current = settings()
    assert current.smtp_password.get_secret_value() == secret
    assert secret not in repr(current)
    assert secret not in str(current)
    assert secret not in repr(Settings.from_env({"SMTP_PASSWORD": secret}))


def test_free_ports_are_distinct_and_the_stack_lives_in_its_var_dir(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_URL", "https://assistant.example")
    config = on_free_ports(tmp_path)
    assert config.app_port != config.rasa_port
    assert {config.app_port, config.rasa_port}.isdisjoint({8000, 5005})
    assert config.rasa_url == f"http://127.0.0.1:{config.rasa_port}"
    assert (config.var_dir, config.channels_file, config.tracker_db) == (
        tmp_path, tmp_path / "channels.yml", tmp_path / "rasa-tracker.sqlite")
    assert config.database == f"sqlite+aiosqlite:///{tmp_path / 'conversations.sqlite'}"
    assert config.public_url == "" and config.base_url == config.app_url


def test_on_free_ports_takes_overrides(tmp_path: Path) -> None:
    config = on_free_ports(tmp_path, rasa_timeout=2.5, smtp_host="127.0.0.1")
    assert (config.rasa_timeout, config.smtp_host, config.var_dir) == (2.5, "127.0.0.1", tmp_path)
