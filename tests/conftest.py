"""Shared fixtures. The real servers start once per test session (training happens in `make test`)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.run import Stack, running
from app.settings import on_free_ports


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The real Rasa server (trained model, SQLite tracker store) and the real app server."""
    var_dir: Path = tmp_path_factory.mktemp("var")
    with running(on_free_ports(var_dir), log_dir=var_dir) as started:
        yield started


class Chat:
    """One newcomer's conversation over the HTTP chat endpoint."""

    def __init__(self, stack: Stack, municipality: str | None = "boden", language: str | None = None) -> None:
        self.url = f"{stack.app_url}/api/chat"
        self.sender = f"test-{uuid.uuid4().hex[:10]}"
        self.municipality = municipality
        self.language = language

    def send(self, message: str) -> list[dict]:
        body = {"sender": self.sender, "message": message, "municipality": self.municipality,
                "language": self.language}
        reply = httpx.post(self.url, json=body, timeout=60)
        assert reply.status_code == 200, reply.text
        return reply.json()["messages"]


@pytest.fixture
def chat(stack: Stack):
    return lambda municipality="boden", language=None: Chat(stack, municipality, language)


#: The PostgreSQL server this machine kind runs (trust auth); override with TEST_POSTGRES_URL.
POSTGRES_ADMIN = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session, dropped afterwards."""
    import psycopg

    name = f"newcomer_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    yield f"{base}/{name}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each conversation-store test runs on both supported databases."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'conversations.sqlite'}"
    return request.getfixturevalue("postgres_url")
