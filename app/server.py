"""The app server: one ASGI app with the action endpoint, the NLG endpoint and the channels.

Actions run through rasa-sdk's ActionExecutor inside this app rather than the SDK's own Sanic
server (which refuses to start once a model is loaded; see the brief). Heavy models load on
first use; the lifespan only warms them in a thread so the first newcomer doesn't wait.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import socketio
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from app import nlg
from app.settings import settings
from connectors import http_api, telegram, web, whatsapp
from connectors.config import guard_logs
from connectors.config import load as load_channels
from connectors.gateway import Gateway
from connectors.store import Store
from connectors.telegram import TelegramChannel
from connectors.whatsapp import WhatsAppChannel
from handoff import console
from handoff.console.auth import Sessions
from handoff.events import Events
from handoff.hosts import HostStore
from handoff.intake import Intake
from handoff.notify import Notifier, SmtpSettings
from handoff.records import HandoffStore

CONSOLE_STATIC = Path(console.__file__).resolve().parent / "static"

logger = logging.getLogger(__name__)


def _warm_up() -> None:
    import municipalities
    from actions.faq import retriever

    for municipality in municipalities.load_all():
        retriever().search("bostad", municipality=municipality, language="sv", topic=None)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    config = settings()
    channels = load_channels(config.channels_file)
    guard_logs(channels, extra_secrets=[config.smtp_password])
    store = Store(config.database)
    await store.create_schema()
    app.state.handoffs = HandoffStore(store)
    app.state.hosts = HostStore(store)
    app.state.sessions = Sessions(store, app.state.hosts)
    app.state.events = Events()
    intake = Intake(app.state.handoffs, app.state.hosts)
    app.state.gateway = Gateway(config.rasa_url, store, timeout=config.rasa_timeout, intake=intake,
                                events=app.state.events, rasa_tracker_db=config.tracker_db)
    app.state.telegram = {bot.name: TelegramChannel(bot, app.state.gateway) for bot in channels.telegram}
    app.state.whatsapp = WhatsAppChannel(channels.whatsapp, app.state.gateway) if channels.whatsapp else None
    app.state.gateway.senders.update(web=web.sender(sio), telegram=telegram.sender(app.state.telegram))
    if app.state.whatsapp is not None:
        app.state.gateway.senders["whatsapp"] = app.state.whatsapp.deliver_to
    background = []
    if config.smtp_host:
        smtp = SmtpSettings(config.smtp_host, config.smtp_port, config.smtp_from, config.smtp_user or None,
                            config.smtp_password or None, config.smtp_starttls)
        notifier = Notifier(smtp, app.state.events, app.state.handoffs, app.state.hosts, config.base_url)
        background.append(asyncio.create_task(notifier.run()))
    pollers = background + [asyncio.create_task(channel.poll()) for channel in app.state.telegram.values()
               if channel.config.mode == "polling"]
    app.state.ready = False
    executor = ActionExecutor()
    executor.register_package("actions")
    app.state.executor = executor

    async def warm() -> None:
        await asyncio.to_thread(_warm_up)
        app.state.ready = True

    task = asyncio.create_task(warm())
    yield
    task.cancel()
    for poller in pollers:
        poller.cancel()
    for channel in [*app.state.telegram.values(), *([app.state.whatsapp] if app.state.whatsapp else [])]:
        await channel.close()
    await app.state.gateway.close()
    await store.close()


def create_app() -> FastAPI:
    app = FastAPI(title="Newcomer assistant", lifespan=lifespan)
    for router in (http_api.router, web.router, telegram.router, whatsapp.router, console.router):
        app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=CONSOLE_STATIC), name="console-static")

    @app.get("/health")
    async def health(request: Request) -> JSONResponse:
        ready = bool(getattr(request.app.state, "ready", False))
        return JSONResponse({"status": "ok" if ready else "starting"}, status_code=200 if ready else 503)

    @app.post("/webhook")
    async def webhook(request: Request) -> JSONResponse:
        action_call: dict[str, Any] = await request.json()
        try:
            result = await request.app.state.executor.run(action_call)
        except ActionExecutionRejection as exc:
            return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=400)
        except ActionNotFoundException as exc:
            return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=404)
        if result is None:
            raise HTTPException(status_code=400, detail="no action name in the call")
        return JSONResponse(result.model_dump())

    @app.post("/nlg")
    async def nlg_endpoint(request: Request) -> JSONResponse:
        body: dict[str, Any] = await request.json()
        response = body.get("response") or body.get("template")
        if not isinstance(response, str):
            raise HTTPException(status_code=400, detail="no response name")
        try:
            return JSONResponse(nlg.render(response, body.get("arguments") or {}, body.get("tracker") or {}))
        except KeyError:
            logger.error("No catalog text for response %s", response)
            raise HTTPException(status_code=404, detail=f"unknown response {response}") from None

    return app


api = create_app()
sio = web.build_socketio(lambda: api.state.gateway)
#: What uvicorn serves: the socket.io server (web widgets, rasa-webchat) in front of the API.
app = socketio.ASGIApp(sio, other_asgi_app=api)
