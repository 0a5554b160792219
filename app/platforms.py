"""Local stand-ins for the two services this machine cannot reach: Telegram's Bot API and Meta's Graph API.

Each speaks its service's documented wire format, records every call the product makes, and runs
in a thread of the test process on a free port, so tests see exactly what would have been sent.
Telegram: https://core.telegram.org/bots/api (POST /bot<token>/<method>, form or JSON parameters,
answers {"ok": true, "result": …}). Meta: https://developers.facebook.com/docs/whatsapp/cloud-api
(POST /<version>/<phone_number_id>/messages with a bearer token).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.settings import free_port


class BackgroundServer:
    """An ASGI app served by uvicorn in a daemon thread."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise TimeoutError("test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def wait_for(condition: Callable[[], Any], timeout: float = 60, what: str = "condition") -> Any:
    """Poll until condition() is truthy (the product answers webhooks asynchronously)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class BotApiCall:
    token: str
    method: str
    params: dict[str, Any]


@dataclass
class FakeTelegram:
    """Telegram's Bot API as the product's python-telegram-bot client sees it."""

    calls: list[BotApiCall] = field(default_factory=list)
    pending: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # getUpdates queue per token
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1000))

    def app(self) -> FastAPI:
        api = FastAPI()

        @api.post("/bot{token}/{method}")
        async def method(token: str, method: str, request: Request) -> JSONResponse:
            if request.headers.get("content-type", "").startswith("application/json"):
                raw = await request.json()
            else:
                raw = dict((await request.form()).items())
            params = {}
            for key, value in raw.items():
                try:
                    params[key] = json.loads(value) if isinstance(value, str) else value
                except json.JSONDecodeError:
                    params[key] = value
            self.calls.append(BotApiCall(token, method, params))
            return JSONResponse({"ok": True, "result": await self._result(token, method, params)})

        return api

    async def _result(self, token: str, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {"id": int(token.split(":")[0]), "is_bot": True, "first_name": "Newcomer",
                    "username": "newcomer_bot"}
        if method == "sendMessage":
            return {"message_id": next(self._ids), "date": int(time.time()),
                    "chat": {"id": int(params["chat_id"]), "type": "private"}, "text": str(params.get("text", ""))}
        if method == "getUpdates":
            deadline = time.monotonic() + min(float(params.get("timeout") or 0), 1.0)
            while not self.pending.get(token) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            offset = int(params.get("offset") or 0)
            return [u for u in self.pending.get(token, []) if u["update_id"] >= offset]
        return True  # setWebhook, deleteWebhook, answerCallbackQuery

    def sent(self, token: str, chat_id: int) -> list[dict[str, Any]]:
        return [c.params for c in self.calls
                if c.token == token and c.method == "sendMessage" and int(c.params["chat_id"]) == chat_id]

    def methods(self, token: str) -> list[str]:
        return [c.method for c in self.calls if c.token == token]


_update_ids = itertools.count(5000)
_message_ids = itertools.count(1)


def telegram_text_update(chat_id: int, text: str, language_code: str | None = "sv") -> dict[str, Any]:
    """An update as Telegram delivers it when a person writes to the bot."""
    user = {"id": chat_id, "is_bot": False, "first_name": "Test"}
    if language_code:
        user["language_code"] = language_code
    return {"update_id": next(_update_ids), "message": {
        "message_id": next(_message_ids), "date": int(time.time()), "chat": {"id": chat_id, "type": "private"},
        "from": user, "text": text}}


def telegram_callback_update(chat_id: int, data: str, language_code: str = "sv") -> dict[str, Any]:
    """An update as Telegram delivers it when a person presses an inline keyboard button."""
    user = {"id": chat_id, "is_bot": False, "first_name": "Test", "language_code": language_code}
    return {"update_id": next(_update_ids), "callback_query": {
        "id": str(next(_update_ids)), "from": user, "chat_instance": "1", "data": data,
        "message": {"message_id": next(_message_ids), "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private"}, "text": "…"}}}


@dataclass
class FakeGraphApi:
    """Meta's Graph API messages endpoint."""

    version: str = "v21.0"
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # (phone id, auth, body)

    def app(self) -> FastAPI:
        api = FastAPI()

        @api.post("/{version}/{phone_number_id}/messages")
        async def messages(version: str, phone_number_id: str, request: Request) -> JSONResponse:
            body = await request.json()
            self.calls.append((phone_number_id, request.headers.get("authorization", ""), body))
            return JSONResponse({"messaging_product": "whatsapp",
                                 "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}],
                                 "messages": [{"id": f"wamid.out{len(self.calls)}"}]})

        return api

    def sent_to(self, wa_id: str) -> list[dict[str, Any]]:
        return [body for _, _, body in self.calls if body.get("to") == wa_id]


_wamids = itertools.count(1)


def whatsapp_webhook(phone_number_id: str, wa_id: str, message: dict[str, Any]) -> dict[str, Any]:
    """A Cloud API webhook body carrying one inbound message (fields as Meta documents them)."""
    return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages",
        "value": {"messaging_product": "whatsapp",
                  "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
                  "contacts": [{"profile": {"name": "Test"}, "wa_id": wa_id}],
                  "messages": [{"from": wa_id, "id": f"wamid.test{next(_wamids)}", "timestamp": str(int(time.time())),
                                **message}]}}]}]}


def whatsapp_status_webhook(phone_number_id: str, wa_id: str) -> dict[str, Any]:
    """A delivery status callback: the product must accept and ignore it."""
    return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages",
        "value": {"messaging_product": "whatsapp",
                  "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
                  "statuses": [{"id": "wamid.out1", "status": "delivered", "timestamp": str(int(time.time())),
                                "recipient_id": wa_id}]}}]}]}


def meta_signature(app_secret: str, body: bytes) -> str:
    """X-Hub-Signature-256 exactly as Meta computes it."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def post_signed(url: str, app_secret: str, payload: dict[str, Any]) -> httpx.Response:
    body = json.dumps(payload).encode()
    return httpx.post(url, content=body, timeout=10, headers={
        "content-type": "application/json", "x-hub-signature-256": meta_signature(app_secret, body)})
