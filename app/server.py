"""The app server, assembled in one function: every service made once and handed to what uses it.

``create_app`` builds the conversation store, the handoff (records, hosts, intake, desk, events,
e-mail), the gateway and its Rasa client, the channel adapters (each registered with the gateway
and mounted with its own routes), the host console and the endpoints Rasa calls. Nothing is
looked up on the app's state at request time: routes get their services when they are built.
Heavy models load on first use; the lifespan only warms them in a thread so that the first
newcomer doesn't wait. uvicorn serves it with ``--factory app.server:create_app``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

import municipalities
from app import internal
from app.log import guard_logs
from app.settings import Settings, settings
from channels.config import load as load_channels
from channels.http_api import HttpApiChannel
from channels.telegram.channel import TelegramChannel
from channels.web.channel import WebChannel
from channels.whatsapp.channel import WhatsAppChannel
from console.auth import Sessions
from console.routes import ConsoleServices, mount
from gateway.channel import Channel
from gateway.gateway import Gateway
from gateway.rasa import RasaClient
from handoff.desk import Desk
from handoff.events import Events
from handoff.hosts import HostStore
from handoff.intake import Intake
from handoff.notify import Notifier, SmtpSettings
from handoff.records import HandoffStore
from knowledge.search.retriever import shared_retriever
from storage.store import Store

logger = logging.getLogger(__name__)


def _warm_up() -> None:
    for municipality in municipalities.load_all():
        shared_retriever().search("bostad", municipality=municipality, language="sv", topic=None)


def create_app(config: Settings | None = None) -> Any:
    """The ASGI app uvicorn serves: the socket.io server (web widgets) in front of the FastAPI app."""
    config = config or settings()
    channels = load_channels(config.channels_file)
    guard_logs([*channels.secrets(), config.smtp_password.get_secret_value()])

    store = Store(config.database)
    handoffs, hosts, events = HandoffStore(store), HostStore(store), Events()
    intake = Intake(handoffs, hosts)
    gateway = Gateway(store, RasaClient(config.rasa_url, timeout=config.rasa_timeout), intake, events,
                      rasa_tracker_db=config.tracker_db)
    desk = Desk(handoffs, intake, events, outbox=gateway)
    sessions = Sessions(store, hosts)
    notifier = None
    if config.smtp_host:
        smtp = SmtpSettings(config.smtp_host, config.smtp_port, config.smtp_from, config.smtp_user or None,
                            config.smtp_password.get_secret_value() or None, config.smtp_starttls)
        notifier = Notifier(smtp, events, handoffs, hosts, config.base_url)

    web = WebChannel(gateway)
    adapters: list[Channel] = [HttpApiChannel(gateway), web, TelegramChannel(channels.telegram, gateway)]
    if channels.whatsapp is not None:
        adapters.append(WhatsAppChannel(channels.whatsapp, gateway))
    ready = asyncio.Event()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await store.create_schema()
        background = [asyncio.create_task(notifier.run())] if notifier else []
        for adapter in adapters:
            await adapter.start()

        async def warm() -> None:
            await asyncio.to_thread(_warm_up)
            ready.set()

        background.append(asyncio.create_task(warm()))
        yield
        for task in background:
            task.cancel()
        for adapter in adapters:
            await adapter.close()
        await gateway.close()
        await store.close()

    api = FastAPI(title="Newcomer assistant", lifespan=lifespan)
    for adapter in adapters:
        gateway.register(adapter)
        router = adapter.router()
        if router is not None:
            api.include_router(router)
    mount(api, ConsoleServices(store=store, handoffs=handoffs, hosts=hosts, sessions=sessions, desk=desk,
                               events=events))
    api.include_router(internal.build_router())

    @api.get("/health")
    async def health() -> JSONResponse:
        up = ready.is_set()
        return JSONResponse({"status": "ok" if up else "starting"}, status_code=200 if up else 503)

    return web.asgi(api)
