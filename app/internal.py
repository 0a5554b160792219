"""The endpoints only Rasa calls: custom actions (``/webhook``) and response texts (``/nlg``).

They share the public listener but answer only a caller that presents the internal token (the
``X-Internal-Token`` header Rasa sends, endpoints.yml), compared in constant time; anyone else gets
403 before the body is read. They are left out of the OpenAPI description.

Actions run through rasa-sdk's ActionExecutor inside this app rather than the SDK's own Sanic
server (which refuses to start once a model is loaded; see the brief). Texts are rendered by
``assistant.nlg`` from the per-language catalogs.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from assistant import nlg

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
