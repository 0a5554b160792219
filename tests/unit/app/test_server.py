"""The assembled app, without starting it: what its public listener refuses before any work is done."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from app.server import create_app
from app.settings import Settings
from app.stack import app_command


def _client(tmp_path: Path, **settings: object) -> TestClient:
    config = Settings(var_dir=tmp_path, channels_file=tmp_path / "channels.yml", **settings)
    return TestClient(create_app(config), base_url="http://testserver")  # no lifespan: nothing is loaded


def test_the_secrets_are_generated_once_and_readable_by_the_owner_only(tmp_path: Path) -> None:
    _client(tmp_path)
    for name in ("rasa-token", "internal-token", "app-secret"):
        path = tmp_path / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert len(path.read_text().strip()) >= 40
    before = (tmp_path / "app-secret").read_text()
    _client(tmp_path)
    assert (tmp_path / "app-secret").read_text() == before  # restarts and other processes agree


def test_the_api_description_lists_only_the_public_api(tmp_path: Path) -> None:
    paths = set(_client(tmp_path).get("/openapi.json").json()["paths"])
    assert paths == {"/api/chat", "/api/chat/messages", "/web/config", "/health"}


def test_the_api_description_can_be_switched_off(tmp_path: Path) -> None:
    client = _client(tmp_path, api_docs=False)
    assert client.get("/openapi.json").status_code == 404
    assert client.get("/docs").status_code == 404


@pytest.mark.parametrize("token", [None, "", "guess", "x" * 43])
def test_the_endpoint_only_rasa_calls_refuses_everyone_else(tmp_path: Path, token: str | None) -> None:
    headers = {} if token is None else {"X-Internal-Token": token}
    reply = _client(tmp_path).post("/webhook", json={"next_action": "action_answer_faq", "tracker": {}},
                                   headers=headers)
    assert reply.status_code == 403


def test_a_body_over_its_limit_is_refused_unread(tmp_path: Path) -> None:
    reply = _client(tmp_path).post("/api/chat", content=b"{" + b" " * (300 * 1024) + b"}",
                                   headers={"content-type": "application/json"})
    assert reply.status_code == 413


def test_a_validation_error_names_the_field_without_echoing_the_input(tmp_path: Path) -> None:
    reply = _client(tmp_path).post("/api/chat", json={"message": "<script>alert(1)</script>", "sender": "x"})
    assert reply.status_code == 422
    assert "<script>" not in reply.text and "extra" in reply.text


def test_forwarding_headers_are_believed_only_from_configured_proxies() -> None:
    assert "--no-proxy-headers" in app_command("127.0.0.1", 8000)
    trusted = app_command("127.0.0.1", 8000, "10.0.0.5")
    assert trusted[trusted.index("--forwarded-allow-ips") + 1] == "10.0.0.5"


def test_readiness_names_what_is_missing(tmp_path: Path) -> None:
    ready = _client(tmp_path, rasa_url="http://127.0.0.1:9").get("/ready")
    assert ready.status_code == 503
    assert ready.json()["database"] == "ok" and ready.json()["rasa"] == "ConnectError"
    assert ready.json()["models"] == "loading"  # nothing is loaded without the lifespan
    assert _client(tmp_path).get("/health").json() == {"status": "alive"}


def test_the_figures_are_in_prometheus_format(tmp_path: Path) -> None:
    metrics = _client(tmp_path).get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    assert "# TYPE newcomer_messages_in_total counter" in metrics.text
