"""Channel credentials: secrets from the environment, never in errors, webhook rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.config import ChannelConfigError, load


def test_channel_file_reads_secrets_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BODEN_TG_TOKEN", "123:secret-token")
    path = tmp_path / "channels.yml"
    path.write_text("telegram:\n  - {name: boden, token: '${BODEN_TG_TOKEN}', webhook_secret: s3cr3t,"
                    " municipality: boden}\n")
    channels = load(path)
    assert channels.telegram[0].token.get_secret_value() == "123:secret-token"
    assert "123:secret-token" not in repr(channels)
    assert set(channels.secrets()) == {"123:secret-token", "s3cr3t"}


def test_missing_environment_variable_is_named_without_any_value(tmp_path: Path) -> None:
    path = tmp_path / "channels.yml"
    path.write_text("telegram:\n  - {name: boden, token: '${NOT_SET_ANYWHERE_42}', webhook_secret: x}\n")
    with pytest.raises(ChannelConfigError, match="NOT_SET_ANYWHERE_42"):
        load(path)


def test_invalid_channel_file_names_the_field_but_not_the_secret(tmp_path: Path) -> None:
    path = tmp_path / "channels.yml"
    path.write_text("telegram:\n  - {name: boden, token: 'tok-very-secret', municipality: atlantis,"
                    " webhook_secret: also-very-secret}\n")
    with pytest.raises(ChannelConfigError) as raised:
        load(path)
    assert "atlantis" in str(raised.value)
    assert "very-secret" not in str(raised.value)


def test_webhook_mode_requires_a_secret(tmp_path: Path) -> None:
    path = tmp_path / "channels.yml"
    path.write_text("telegram:\n  - {name: boden, token: 'abc'}\n")
    with pytest.raises(ChannelConfigError, match="webhook_secret"):
        load(path)


def test_no_channel_file_means_web_chat_only(tmp_path: Path) -> None:
    channels = load(tmp_path / "missing.yml")
    assert channels.telegram == [] and channels.whatsapp is None
