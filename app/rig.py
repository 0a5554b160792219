"""A test rig for load and fault runs: the product started on this machine with a Telegram bot and a
WhatsApp number pointed at local stand-ins of the platforms, and a host account for the console.

The single-process product (app.stack) or the cluster (app.cluster), in a folder of its own, on
spare ports — loopback only, nothing reaches the internet.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from app import cluster, stack
from app.keys import with_secrets
from app.loadgen import Target
from app.platforms import BackgroundServer, FakeGraphApi, FakeTelegram
from app.settings import Settings, on_free_ports
from app.supervisor import Supervisor
from handoff.hosts import HostStore
from storage.store import Store

BOT, TOKEN = "load", "700099:LOAD-telegram-token"
NUMBER = "109876543299"
HOST = "host@load.example"


@dataclass
class Rig:
    target: Target
    supervisor: Supervisor
    settings: Settings
    layout: cluster.Plan | None = None


def _channels(folder: Path, telegram_url: str, graph_url: str, telegram_secret: str, app_secret: str) -> Path:
    path = folder / "channels.yml"
    path.write_text(yaml.safe_dump({
        "telegram": [{"name": BOT, "token": TOKEN, "webhook_secret": telegram_secret, "municipality": "boden",
                      "api_url": f"{telegram_url}/bot"}],
        "whatsapp": {"app_secret": app_secret, "verify_token": "load", "access_token": "load-token",
                     "graph_api_url": graph_url, "numbers": [{"phone_number_id": NUMBER, "municipality": "lulea"}]},
    }), encoding="utf-8")
    return path


def _add_host(database_url: str, password: str) -> None:
    async def add() -> None:
        store = Store(database_url)
        await store.create_schema()
        try:
            if await HostStore(store).by_email(HOST) is None:
                await HostStore(store).add(HOST, "Anna", password, "boden")
        finally:
            await store.close()

    asyncio.run(add())


@contextmanager
def started(folder: Path, on_cluster: bool, say: Callable[[str], None] | None = None,
            rate_limits: str = "message=600/minute,chat=100000/minute,request=100000/minute,handoff=100/hour,"
                               "municipality_handoff=100000/hour") -> Iterator[Rig]:
    """The product with stand-ins; the load runs from one address, so its per-address limits are lifted."""
    telegram, graph = FakeTelegram(), FakeGraphApi()
    telegram_secret, app_secret, password = (secrets.token_urlsafe(16) for _ in range(3))
    with ExitStack() as exits:
        telegram_server = exits.enter_context(BackgroundServer(telegram.app()))
        graph_server = exits.enter_context(BackgroundServer(graph.app()))
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o755)  # PostgreSQL runs as its own user and must reach its data folder inside
        config = replace(on_free_ports(folder), rate_limits=rate_limits, database_url="", redis_url="",
                         channels_file=_channels(folder, telegram_server.url, f"{graph_server.url}/{graph.version}",
                                                 telegram_secret, app_secret))
        layout = None
        if on_cluster:
            layout = cluster.plan(config)
            layout.database_url, layout.redis_url = "", ""  # private PostgreSQL and Redis, which may be killed
            if not layout.postgres_data.is_relative_to(folder):
                exits.callback(shutil.rmtree, layout.postgres_data.parent, ignore_errors=True)
            supervisor = cluster.start(config, layout, say=say)
            settings = cluster.cluster_settings(config, layout)
            url = layout.public_url
        else:
            running = stack.start(with_secrets(config), log_dir=folder, say=say)
            supervisor, settings, url = running.supervisor, running.settings, running.app_url
        exits.callback(supervisor.stop)
        _add_host(settings.database, password)
        yield Rig(Target(url=url, database_url=settings.database, telegram=telegram, telegram_bot=BOT,
                         telegram_token=TOKEN, telegram_secret=telegram_secret, graph=graph,
                         whatsapp_number=NUMBER, whatsapp_secret=app_secret, host_email=HOST,
                         host_password=password), supervisor, settings, layout)
