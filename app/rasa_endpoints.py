"""Rasa's endpoints file, written from the settings each time Rasa is started.

Which tracker store (SQLite in var/, or PostgreSQL), which lock store (in memory for one Rasa
process, Redis for several, so one conversation's messages are handled in order whichever process
gets them), and where the app's action endpoint is — all follow from the same
environment variables as the rest of the product, so an operator configures one thing once.
The file goes to ``var/endpoints.yml``; its secrets stay ``${ENV}`` references that Rasa fills in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from app.settings import Settings
from storage.tracker import sqlite_file

#: Rasa's SQL tracker store, lighter per message (bot/tracker_store.py); same table, same rows.
TRACKER_STORE = "bot.tracker_store.LeanSQLTrackerStore"


def tracker_store(url: str) -> dict[str, Any]:
    """Rasa's SQL tracker store for a SQLAlchemy URL (sqlite:///file or postgresql[+driver]://…)."""
    parts = urlsplit(url)
    dialect = parts.scheme.split("+")[0]
    if dialect == "sqlite":
        return {"type": TRACKER_STORE, "dialect": "sqlite", "db": str(sqlite_file(url))}
    if dialect != "postgresql":
        raise ValueError(f"Rasa's tracker store must be SQLite or PostgreSQL, not {dialect!r}")
    # Rasa's SQL tracker store takes the host from "url".
    store: dict[str, Any] = {"type": TRACKER_STORE, "dialect": "postgresql", "url": parts.hostname or "127.0.0.1",
                             "port": parts.port or 5432, "db": parts.path.lstrip("/") or "rasa"}
    if parts.username:
        store["username"] = parts.username
    if parts.password:
        store["password"] = "${RASA_TRACKER_PASSWORD}"
    return store


def lock_store(redis_url: str) -> dict[str, Any] | None:
    """Rasa's Redis lock store, shared by every Rasa process (None: in memory, one process)."""
    if not redis_url:
        return None
    parts = urlsplit(redis_url)
    store: dict[str, Any] = {"type": "redis", "url": parts.hostname or "127.0.0.1", "port": parts.port or 6379,
                             "db": int(parts.path.lstrip("/") or 0), "key_prefix": "newcomer"}
    if parts.password:
        store["password"] = "${REDIS_PASSWORD}"
    return store


def endpoints(config: Settings, app_url: str) -> dict[str, Any]:
    result: dict[str, Any] = {
        "action_endpoint": {"url": f"{app_url}/webhook", "headers": {"X-Internal-Token": "${INTERNAL_TOKEN}"}},
        # Rasa names each response; the app's gateway renders it from the catalogs (bot/nlg.py).
        "nlg": {"type": "bot.nlg.DeferredNaturalLanguageGenerator"},
        "tracker_store": tracker_store(config.tracker_url),
    }
    locks = lock_store(config.redis_url)
    if locks is not None:
        result["lock_store"] = locks
    return result


def write(config: Settings, app_url: str) -> Path:
    """Write var/endpoints.yml for Rasa processes that call the app at app_url."""
    tracker_file = sqlite_file(config.tracker_url)
    if tracker_file is not None:
        tracker_file.parent.mkdir(parents=True, exist_ok=True)
    path = config.var_dir / "endpoints.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# Written by app/rasa_endpoints.py from the settings at each start; edit those, not this.\n"
                    + yaml.safe_dump(endpoints(config, app_url), sort_keys=False), encoding="utf-8")
    return path


def secret_environment(config: Settings) -> dict[str, str]:
    """The passwords the endpoints file refers to, for Rasa's environment only."""
    env = {}
    tracker_password = urlsplit(config.tracker_url).password
    if tracker_password:
        env["RASA_TRACKER_PASSWORD"] = tracker_password
    redis_password = urlsplit(config.redis_url).password if config.redis_url else None
    if redis_password:
        env["REDIS_PASSWORD"] = redis_password
    return env
