"""The integration tests: they start the real Rasa and app servers. Every test in this folder is
marked ``integration`` here, once, so ``pytest -m "not integration"`` runs the fast suite alone."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from app.stack import Stack

PASSWORD = "correct horse battery staple"
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.integration)


def add_host(stack: Stack, email: str, name: str, municipality: str | None, database: str | None = None,
             role: str = "host") -> None:
    """Create a console account with the admin command, as an operator would."""
    env = {**os.environ, "VAR_DIR": str(stack.settings.var_dir), "DATABASE_URL": database or stack.settings.database,
           "HOST_PASSWORD": PASSWORD}
    place = ["--municipality", municipality] if municipality else []
    done = subprocess.run([sys.executable, "-m", "app", "hosts", "add", "--email", email, "--name", name, *place,
                           "--role", role], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr


def own_address() -> str:
    """A client address of its own (IPv6 documentation prefix) for the stack's trusted proxy to forward:
    each host logs in from their own desk, so the suite's many logins do not share the per-address
    login limit of 127.0.0.1 (console.login)."""
    suffix = uuid.uuid4().hex
    return f"2001:db8::{suffix[:4]}:{suffix[4:8]}"


class Console:
    """A host's browser session in the console, over HTTP, from an address of its own."""

    def __init__(self, base_url: str, email: str) -> None:
        self.email = email
        self.client = httpx.Client(base_url=base_url, timeout=30, follow_redirects=False,
                                   headers={"X-Forwarded-For": own_address()})
        reply = self.client.post("/console/login", data={"email": email, "password": PASSWORD})
        assert reply.status_code == 303 and reply.headers["location"] == "/console", reply.text
        cookie = reply.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        self.csrf = re.search(r'name="csrf" value="([^"]+)"', self.client.get("/console").text).group(1)

    def post(self, path: str, **data: str) -> httpx.Response:
        return self.client.post(path, data={"csrf": self.csrf, **data})


@pytest.fixture(scope="session")
def hosts(stack: Stack) -> dict[str, Console]:
    suffix = uuid.uuid4().hex[:6]
    add_host(stack, f"anna.{suffix}@boden.example", "Anna", "boden")
    add_host(stack, f"jon.{suffix}@jokkmokk.example", "Jon", "jokkmokk")
    return {"boden": Console(stack.app_url, f"anna.{suffix}@boden.example"),
            "jokkmokk": Console(stack.app_url, f"jon.{suffix}@jokkmokk.example")}


CHROMIUM = "/usr/bin/chromium"
# Flags as the machine's own probe runs it: no sandbox as root, and no background traffic that
# the closed network would refuse.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


# Module scope: Playwright's sync API runs an event loop in this thread while it is open, and
# asyncio.run() in later unit tests would fail inside it.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing; `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


