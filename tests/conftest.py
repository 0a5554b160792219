"""Shared fixtures. The real servers start once per test session (training happens in `make test`)."""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from app.platforms import BackgroundServer, FakeGraphApi, FakeTelegram
from app.settings import PROJECT_ROOT, free_port, on_free_ports
from app.stack import Stack, running
from knowledge.content.entries import FAQ_ROOT
from knowledge.search.store import INDEX_ROOT

# Property-based tests: a small budget in `make test`, a long one in `make fuzz` (HYPOTHESIS_PROFILE=fuzz).
hypothesis_settings.register_profile("ci", max_examples=60, deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.register_profile("fuzz", max_examples=3000, deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

#: Test credentials for the channel stand-ins; the secrets reach the app through ${ENV} references.
TELEGRAM = {
    "boden": {"token": "700001:BODEN-telegram-token-for-tests", "secret": "boden-webhook-secret-42"},
    "norrbotten": {"token": "700002:REGION-telegram-token-for-tests", "secret": "region-webhook-secret-42"},
    "trial": {"token": "700003:TRIAL-telegram-token-for-tests"},
}
WHATSAPP = {"app_secret": "meta-app-secret-for-tests", "verify_token": "verify-me-please",
            "access_token": "EAAG-whatsapp-access-token-for-tests",
            "numbers": {"109876543210": "boden", "109876543211": "lulea"}}


@pytest.fixture(scope="session")
def fake_telegram() -> Iterator[tuple[FakeTelegram, str]]:
    fake = FakeTelegram()
    with BackgroundServer(fake.app()) as server:
        yield fake, server.url


@pytest.fixture(scope="session")
def fake_graph() -> Iterator[tuple[FakeGraphApi, str]]:
    fake = FakeGraphApi()
    with BackgroundServer(fake.app()) as server:
        yield fake, f"{server.url}/{fake.version}"


def _channels_file(path: Path, telegram_url: str, graph_url: str) -> None:
    os.environ.update({"TEST_TG_BODEN_TOKEN": TELEGRAM["boden"]["token"],
                       "TEST_TG_BODEN_SECRET": TELEGRAM["boden"]["secret"],
                       "TEST_WA_APP_SECRET": WHATSAPP["app_secret"],
                       "TEST_WA_ACCESS_TOKEN": WHATSAPP["access_token"]})
    config = {
        "telegram": [
            {"name": "boden", "token": "${TEST_TG_BODEN_TOKEN}", "webhook_secret": "${TEST_TG_BODEN_SECRET}",
             "municipality": "boden", "api_url": f"{telegram_url}/bot"},
            {"name": "norrbotten", "token": TELEGRAM["norrbotten"]["token"],
             "webhook_secret": TELEGRAM["norrbotten"]["secret"], "api_url": f"{telegram_url}/bot"},
            {"name": "trial", "token": TELEGRAM["trial"]["token"], "mode": "polling", "municipality": "lulea",
             "api_url": f"{telegram_url}/bot"},
        ],
        "whatsapp": {"app_secret": "${TEST_WA_APP_SECRET}", "verify_token": WHATSAPP["verify_token"],
                     "access_token": "${TEST_WA_ACCESS_TOKEN}", "graph_api_url": graph_url,
                     "template_name": "newcomer_follow_up",
                     "numbers": [{"phone_number_id": k, "municipality": v} for k, v in WHATSAPP["numbers"].items()]},
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")


class Mailbox:
    """A real SMTP server (aiosmtpd) that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture(scope="session")
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    from aiosmtpd.controller import Controller

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, fake_telegram: tuple[FakeTelegram, str],
          fake_graph: tuple[FakeGraphApi, str], mailbox: tuple[Mailbox, int]) -> Iterator[Stack]:
    """The real Rasa server (trained model, SQLite tracker store) and the real app server, with
    Telegram bots and WhatsApp numbers configured against the local platform stand-ins."""
    var_dir: Path = tmp_path_factory.mktemp("var")
    # The tests reach the app from 127.0.0.1, which stands for a reverse proxy here: a test that
    # needs its own client address says so in X-Forwarded-For (tests/integration/test_security.py).
    config = on_free_ports(var_dir, trusted_proxies="127.0.0.1")
    _channels_file(config.channels_file, fake_telegram[1], fake_graph[1])
    tenants = _open_around_the_clock(var_dir / "municipalities")
    # The console's FAQ editor writes entries: the stack edits a copy, and indexes it beside the copy.
    faq, index = var_dir / "faq", var_dir / "index"
    shutil.copytree(FAQ_ROOT, faq)
    if INDEX_ROOT.is_dir():
        shutil.copytree(INDEX_ROOT, index, ignore=shutil.ignore_patterns("*.lock"))
    extra = {"MUNICIPALITIES_DIR": str(tenants), "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mailbox[1]),
             "SMTP_FROM": "assistant@region.example", "FAQ_DIR": str(faq), "INDEX_DIR": str(index)}
    with running(config, log_dir=var_dir, extra_env=extra) as started:
        yield started


def _open_around_the_clock(folder: Path) -> Path:
    """The municipality files with hosts staffed every hour of every day, so handoff tests don't depend
    on the clock or the calendar."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in sorted((PROJECT_ROOT / "municipalities").glob("*.yml")):
        config = yaml.safe_load(source.read_text(encoding="utf-8"))
        config["office_hours"]["days"] = dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
                                                       "00:00-23:59")
        config["office_hours"]["public_holidays"] = False  # a run on Christmas Eve must still find hosts
        (folder / source.name).write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return folder


class Chat:
    """One newcomer's conversation over the HTTP chat endpoint: the server issues its token."""

    def __init__(self, app_url: str, municipality: str | None = "boden", language: str | None = None,
                 address: str | None = None) -> None:
        self.app_url = app_url
        self.municipality = municipality
        self.language = language
        self.token: str | None = None
        #: The client address a trusted proxy would forward (the test stack trusts 127.0.0.1).
        self.address = address

    @property
    def headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, "X-Forwarded-For": self.address} if self.address else headers

    def post(self, message: str) -> httpx.Response:
        """One message, whatever the answer (send() insists on 200)."""
        body = {"message": message, "municipality": self.municipality, "language": self.language}
        reply = httpx.post(f"{self.app_url}/api/chat", json=body, headers=self.headers, timeout=60)
        if reply.status_code in (200, 429):
            self.token = reply.json().get("conversation", self.token)
        return reply

    @property
    def conversation_id(self) -> str:
        """What the records, hosts and logs call it: the token's public half, never the token."""
        assert self.token is not None
        return "api:" + self.token.split(".")[0]

    def send(self, message: str) -> list[dict]:
        reply = self.post(message)
        assert reply.status_code == 200, reply.text
        return reply.json()["messages"]

    def later(self, after: int = 0) -> list[dict]:
        """What was sent to this conversation without a request to answer (a host's messages)."""
        reply = httpx.get(f"{self.app_url}/api/chat/messages", params={"after": after}, headers=self.headers,
                          timeout=30)
        assert reply.status_code == 200, reply.text
        return reply.json()["messages"]


@pytest.fixture
def chat(stack: Stack):
    return lambda municipality="boden", language=None: Chat(stack.app_url, municipality, language)


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
