"""The app server, assembled in one function: every service made once and handed to what uses it.

``create_app`` builds the conversation store, the handoff (records, hosts, intake, desk, events,
e-mail), the gateway and its Rasa client, the channel adapters (each registered with the gateway
and mounted with its own routes), the host console and the endpoints Rasa calls. Nothing is
looked up on the app's state at request time: routes get their services when they are built.
Heavy models load on first use; the lifespan only warms them in a thread so that the first
newcomer doesn't wait. uvicorn serves it through ``app.serve`` (the process entry).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from actions import faq
from app import internal
from app.guard import Guard
from app.keys import with_secrets
from app.log import guard_logs
from app.probes import Probes
from app.settings import Settings, settings
from channels import meeting_page
from channels.config import load as load_channels
from channels.http_api import HttpApiChannel
from channels.identity import ConversationTokens
from channels.telegram.channel import TelegramChannel
from channels.web.channel import WebChannel
from channels.whatsapp.channel import WhatsAppChannel
from console.auth import Sessions
from console.routes import ConsoleServices, mount
from editing.drafts import Drafts
from gateway.channel import Channel
from gateway.gateway import Gateway
from gateway.rasa import RasaClient
from handoff.desk import Desk
from handoff.events import Events
from handoff.hosts import HostStore
from handoff.intake import Intake
from handoff.meetings import reminders
from handoff.meetings.availability import Availability
from handoff.meetings.flow import Booking
from handoff.meetings.invitation import Mailer
from handoff.meetings.records import MeetingStore
from handoff.notify import Notifier, SmtpSettings
from handoff.records import HandoffStore
from storage.rates import RateLimits, RateRules
from storage.store import Store
from storage.tracker import TrackerEvents

logger = logging.getLogger(__name__)
#: A message unanswered this long after it was stored is taken up again.
STALLED_AFTER = dt.timedelta(seconds=20)


async def _answer_stalled(gateway: Gateway) -> None:
    """Messages stored but never answered — their process died, or Rasa and the database were both
    away — are answered by whichever process looks first (each conversation is held while it does)."""
    while True:
        await asyncio.sleep(STALLED_AFTER.total_seconds() / 2)
        try:
            await gateway.recover(STALLED_AFTER)
        except Exception as exc:  # the database is away: try again at the next round
            logger.warning("Could not look for unanswered messages: %s", type(exc).__name__)


def create_app(config: Settings | None = None) -> Any:
    """The ASGI app uvicorn serves: the socket.io server (web widgets) in front of the FastAPI app."""
    config = with_secrets(config or settings())
    channels = load_channels(config.channels_file)
    guard_logs([*channels.secrets(), *(secret.get_secret_value() for secret in (
        config.smtp_password, config.rasa_token, config.internal_token, config.app_secret))],
               json_lines=config.log_format == "json")

    store = Store(config.database)
    rates = RateLimits(RateRules.from_spec(config.rate_limits), config.redis_url or "memory://")
    handoffs, hosts, events = HandoffStore(store), HostStore(store), Events(config.redis_url)
    intake = Intake(handoffs, hosts)
    notifier, mailer = None, None
    if config.smtp_host:
        smtp = SmtpSettings(config.smtp_host, config.smtp_port, config.smtp_from, config.smtp_user or None,
                            config.smtp_password.get_secret_value() or None, config.smtp_starttls)
        notifier = Notifier(smtp, events, handoffs, hosts, config.base_url, rates)
        mailer = Mailer(smtp, config.base_url)
    meetings = MeetingStore(store)
    booking = Booking(meetings, Availability(store), hosts, mailer)
    rasa = RasaClient(config.rasa_url, config.internal_token.get_secret_value(), timeout=config.rasa_timeout)
    tracker = TrackerEvents(config.tracker_url)
    gateway = Gateway(store, rasa, intake, events, rates, tracker, booking)
    desk = Desk(handoffs, intake, events, outbox=gateway)
    sessions = Sessions(store, hosts)

    tokens = ConversationTokens(config.app_secret.get_secret_value())
    web = WebChannel(gateway, tokens, rates, config.redis_url)
    adapters: list[Channel] = [HttpApiChannel(gateway, tokens, rates), web,
                               TelegramChannel(channels.telegram, gateway)]
    if channels.whatsapp is not None:
        adapters.append(WhatsAppChannel(channels.whatsapp, gateway))
    ready = asyncio.Event()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await store.create_schema()
        await events.start()
        background = [asyncio.create_task(notifier.run())] if notifier else []
        background.append(asyncio.create_task(reminders.run(meetings, hosts, mailer, gateway)))
        for adapter in adapters:
            await adapter.start()

        async def warm() -> None:
            await asyncio.to_thread(faq.warm)
            ready.set()

        background.append(asyncio.create_task(warm()))
        background.append(asyncio.create_task(_answer_stalled(gateway)))
        yield
        for task in background:
            task.cancel()
        await booking.drain()
        for adapter in adapters:
            await adapter.close()
        await gateway.close()
        await events.close()
        tracker.close()
        await store.close()

    docs = config.api_docs
    api = FastAPI(title="Newcomer assistant", lifespan=lifespan, docs_url="/docs" if docs else None,
                  redoc_url=None, openapi_url="/openapi.json" if docs else None)
    for adapter in adapters:
        gateway.register(adapter)
        router = adapter.router()
        if router is not None:
            api.include_router(router)
    mount(api, ConsoleServices(store=store, handoffs=handoffs, hosts=hosts, sessions=sessions, desk=desk,
                               events=events, rates=rates, drafts=Drafts(store), booking=booking))
    api.include_router(meeting_page.build_router(booking))
    api.include_router(internal.build_router(config.internal_token.get_secret_value()))

    @api.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        """422 that names what is wrong without echoing what was sent (a script, a secret, 20 kB)."""
        detail = [{"loc": e.get("loc"), "msg": e.get("msg"), "type": e.get("type")} for e in error.errors()]
        return JSONResponse({"detail": detail}, status_code=422)

    probes = Probes(store, rasa, config.redis_url, ready)
    api.include_router(probes.router(handoffs))

    return Guard(web.asgi(api), rates)
