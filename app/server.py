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
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from app import nlg
from app.settings import settings
from connectors import http_api
from connectors.gateway import Gateway

logger = logging.getLogger(__name__)


def _warm_up() -> None:
    import municipalities
    from actions.faq import retriever

    for municipality in municipalities.load_all():
        retriever().search("bostad", municipality=municipality, language="sv", topic=None)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.gateway = Gateway(settings().rasa_url)
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
    await app.state.gateway.close()


def create_app() -> FastAPI:
    app = FastAPI(title="Newcomer assistant", lifespan=lifespan)
    app.include_router(http_api.router)

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


app = create_app()
