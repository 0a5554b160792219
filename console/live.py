"""Live updates: a websocket per open console that pushes {type, handoff_id, municipality} events.

A host's socket receives only the events of the municipalities they may see. Its pings every 30
seconds also keep the host counted as online (the queue/ticket decision depends on that).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import WebSocket, WebSocketDisconnect

from console.auth import COOKIE, Sessions
from handoff.events import Events

PING_SECONDS = 30


def live_updates(sessions: Sessions, events: Events) -> Callable[[WebSocket], Awaitable[None]]:
    """The websocket endpoint, bound to the sessions and events it serves."""

    async def updates(websocket: WebSocket) -> None:
        session = await sessions.find(websocket.cookies.get(COOKIE))
        origin = websocket.headers.get("origin")
        expected = f"{'https' if websocket.url.scheme == 'wss' else 'http'}://{websocket.url.netloc}"
        if session is None or (origin is not None and origin != expected):
            await websocket.close(code=4401)
            return
        await websocket.accept()
        scope = None if session.host.is_admin else {session.host.municipality or ""}
        queue = events.subscribe(scope)
        try:
            while True:
                try:
                    event = (await asyncio.wait_for(queue.get(), timeout=PING_SECONDS)).to_wire()
                except TimeoutError:
                    event = {"type": "ping"}
                    await sessions.hosts.touch(session.host.id)  # an open console keeps its host online
                await websocket.send_json(event)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            events.unsubscribe(queue)

    return updates
