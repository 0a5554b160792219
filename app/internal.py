"""The endpoint only Rasa calls: custom actions (``/webhook``).

It shares the public listener but answers only a caller that presents the internal token (the
``X-Internal-Token`` header Rasa sends, endpoints.yml), compared in constant time; anyone else gets
403 before the body is read. It is left out of the OpenAPI description.

Actions run through rasa-sdk's ActionExecutor inside this app rather than the SDK's own Sanic
server (which refuses to start once a model is loaded; see the brief). Response texts are not
fetched by Rasa at all: Rasa names them (bot/nlg.py) and the gateway renders them (gateway/rasa.py).
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from base.metrics import stage

logger = logging.getLogger(__name__)


HEADER = "x-internal-token"


def build_router(token: str) -> APIRouter:
    if not token:
        raise ValueError("the internal endpoints need a token (app.keys)")
    expected = token.encode()

    async def from_rasa(request: Request) -> None:
        if not hmac.compare_digest(request.headers.get(HEADER, "").encode(), expected):
            raise HTTPException(status_code=403, detail="internal endpoint")

    executor = ActionExecutor()
    executor.register_package("actions")
    router = APIRouter(include_in_schema=False, dependencies=[Depends(from_rasa)])

    @router.post("/webhook")
    async def webhook(request: Request) -> JSONResponse:
        action_call: dict[str, Any] = await request.json()
        name = action_call.get("next_action")
        name = name if name in executor.actions else "unknown"  # a label per known action only
        try:
            with stage(f"action: {name}"):
                result = await executor.run(action_call)
        except ActionExecutionRejection as exc:
            return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=400)
        except ActionNotFoundException as exc:
            return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=404)
        if result is None:
            raise HTTPException(status_code=400, detail="no action name in the call")
        return JSONResponse(result.model_dump())

    return router
