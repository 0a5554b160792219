"""What the cluster writes for Rasa and nginx follows the settings, and nginx accepts it."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

from app import nginx, rasa_endpoints
from app.settings import Settings


def test_rasa_gets_postgresql_and_redis_from_the_same_settings_as_the_app() -> None:
    config = replace(Settings(), rasa_tracker_url="postgresql+psycopg://newcomer:pw@10.0.0.30:5433/rasa",
                     redis_url="redis://:secret@10.0.0.31:6380/2")
    endpoints = rasa_endpoints.endpoints(config, "http://10.0.0.10:8081")
    assert endpoints["tracker_store"] == {"type": rasa_endpoints.TRACKER_STORE, "dialect": "postgresql",
                                          "url": "10.0.0.30", "port": 5433, "db": "rasa", "username": "newcomer",
                                          "password": "${RASA_TRACKER_PASSWORD}"}
    assert endpoints["lock_store"]["type"] == "redis" and endpoints["lock_store"]["port"] == 6380
    assert endpoints["lock_store"]["password"] == "${REDIS_PASSWORD}"  # the file never holds a password
    assert endpoints["action_endpoint"] == {"url": "http://10.0.0.10:8081/webhook",
                                            "headers": {"X-Internal-Token": "${INTERNAL_TOKEN}"}}
    assert rasa_endpoints.secret_environment(config) == {"RASA_TRACKER_PASSWORD": "pw", "REDIS_PASSWORD": "secret"}


def test_one_rasa_process_on_the_embedded_default_keeps_its_locks_in_memory(tmp_path: Path) -> None:
    endpoints = rasa_endpoints.endpoints(Settings(var_dir=tmp_path), "http://127.0.0.1:8000")
    assert endpoints["tracker_store"] == {"type": rasa_endpoints.TRACKER_STORE, "dialect": "sqlite",
                                          "db": str(tmp_path / "rasa-tracker.sqlite")}
    assert "lock_store" not in endpoints


def test_nginx_accepts_the_configuration_and_keeps_internal_paths_off_the_public_site(tmp_path: Path) -> None:
    site = nginx.site(["127.0.0.1:8001", "127.0.0.1:8002"], ["127.0.0.1:5005"], "127.0.0.1:8080", "127.0.0.1:8081")
    (tmp_path / "nginx.conf").write_text(nginx.config(site, str(tmp_path)))
    checked = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    public = site.split("server {")[1]
    assert "webhook|metrics|ready" in public and "ip_hash" in site
