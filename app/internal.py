"""The endpoints only Rasa calls: custom actions (``/webhook``) and response texts (``/nlg``).

Actions run through rasa-sdk's ActionExecutor inside this app rather than the SDK's own Sanic
server (which refuses to start once a model is loaded; see the brief). Texts are rendered by
``assistant.nlg`` from the per-language catalogs.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from assistant import nlg

logger = logging.getLogger(__name__)


def build_router() -> APIRouter:
    executor = ActionExecutor()
    executor.register_package("actions")
    router = APIRouter(include_in_schema=False)

    @router.post("/webhook")
    async def webhook(request: Request) -> JSONResponse:
        action_call: dict[str, Any] = await request.json()
        try:
            result = await executor.run(action_call)
        except ActionExecutionRejection as exc:
            return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=400)
        except ActionNotFoundException as exc:
            return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=404)
        if result is None:
            raise HTTPException(status_code=400, detail="no action name in the call")
        return JSONResponse(result.model_dump())

    @router.post("/nlg")
    async def nlg_endpoint(request: Request) -> JSONResponse:
        body: dict[str, Any] = await request.json()
        response = body.get("response") or body.get("template")
        if not isinstance(response, str):
            raise HTTPException(status_code=400, detail="no response name")
        try:
            return JSONResponse(nlg.render(response, body.get("arguments") or {}, body.get("tracker") or {}).to_wire())
        except KeyError:
            logger.error("No catalog text for response %s", response)
            raise HTTPException(status_code=404, detail=f"unknown response {response}") from None

    return router
