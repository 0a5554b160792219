"""Shared fixtures. The real servers start once per test session (training happens in `make test`)."""

from __future__ import annotations

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
