"""The public listener's first line: body sizes, slow bodies, request floods, and HSTS.

An ASGI middleware around the whole app (socket.io included), so no endpoint can forget it:

* every request body is read here first, with a size limit per path (a Telegram update is a few
  kilobytes, Rasa's tracker for an action call can be a megabyte) and a time limit per chunk, so a
  client that sends slowly or endlessly gets 408/413 and holds nothing else up; the endpoint then
  gets the whole body at once;
* every HTTP request counts against its client address (``RateRules.request``); over the limit it
  gets 429 with ``Retry-After``. The address is the connection's peer, or the forwarded one when
  the peer is a trusted proxy (uvicorn's proxy-headers handling, ``TRUSTED_PROXIES``). Platform
  webhooks (signed, from Telegram's and Meta's servers), Rasa's internal calls and the health check
  are not counted per address: they are limited per conversation instead;
* over HTTPS (directly or behind a TLS-terminating trusted proxy), responses carry HSTS.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from storage.rates import RateLimits

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Body limits by path prefix, longest prefix first; everything else gets DEFAULT_BODY.
BODY_LIMITS = (
    ("/webhook", 2 * 1024 * 1024),  # Rasa's action call carries the conversation's tracker
    ("/whatsapp/", 1024 * 1024),
    ("/telegram/", 256 * 1024),
    ("/socket.io/", 256 * 1024),
    ("/api/chat", 256 * 1024),  # a pasted document gets a polite "please shorten it", not an HTTP error
)
DEFAULT_BODY = 64 * 1024
#: Seconds a client may take to send the next part of its body.
READ_TIMEOUT = 10.0
#: Paths not limited per client address (authenticated platform and Rasa traffic, health checks).
NOT_PER_ADDRESS = ("/webhook", "/telegram/", "/whatsapp/", "/health")
HSTS = "max-age=31536000; includeSubDomains"


def body_limit(path: str) -> int:
    return next((limit for prefix, limit in BODY_LIMITS if path.startswith(prefix)), DEFAULT_BODY)


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def _refuse(send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class Guard:
    def __init__(self, app: ASGIApp, rates: RateLimits, read_timeout: float = READ_TIMEOUT) -> None:
        self.app = app
        self.rates = rates
        self.read_timeout = read_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if not path.startswith(NOT_PER_ADDRESS):
            verdict = await self.rates.hit("request", client_address(scope))
            if not verdict.allowed:
                if scope["type"] == "http":
                    await _refuse(send, 429, "too many requests; wait and try again",
                                  [(b"retry-after", str(verdict.retry_after).encode())])
                else:
                    await send({"type": "websocket.close", "code": 1013})  # try again later
                return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        body = await self._read_body(scope, receive, send)
        if body is None:
            return
        await self.app(scope, _replay(body, receive), self._with_hsts(scope, send))

    async def _read_body(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        """The whole body within its limits; None once the client was answered 408/413 (or left)."""
        limit = body_limit(scope.get("path", ""))
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(send, 413, f"the body may have at most {limit} bytes")
            return None
        chunks, size, more = [], 0, True
        while more:
            try:
                message = await asyncio.wait_for(receive(), self.read_timeout)
            except TimeoutError:
                await _refuse(send, 408, "the request body came too slowly")
                return None
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _refuse(send, 413, f"the body may have at most {limit} bytes")
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)

    @staticmethod
    def _with_hsts(scope: Scope, send: Send) -> Send:
        if scope.get("scheme") != "https":
            return send

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"strict-transport-security",
                                                                               HSTS.encode())]}
            await send(message)

        return sending


def _replay(body: bytes, receive: Receive) -> Receive:
    """The buffered body first, then whatever the client sends next (a disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
