"""Live updates: a websocket per open console that pushes {type, handoff_id, municipality} events.

A host's socket receives only the events of the municipalities they may see. Its pings every 30
seconds also keep the host counted as online (the queue/ticket decision depends on that). The
session is re-checked every two seconds, so a logout (or an expired session) closes the socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import WebSocket, WebSocketDisconnect

from console.auth import COOKIE, Sessions
from handoff.events import Events

PING_SECONDS = 30
#: How often an open socket re-checks its session (a logout closes it within this time).
CHECK_SECONDS = 2.0
#: The close code for "log in again".
CLOSED_SESSION = 4401


def live_updates(sessions: Sessions, events: Events) -> Callable[[WebSocket], Awaitable[None]]:
    """The websocket endpoint, bound to the sessions and events it serves."""

    async def updates(websocket: WebSocket) -> None:
        token = websocket.cookies.get(COOKIE)
        session = await sessions.find(token)
        origin = websocket.headers.get("origin")
        expected = f"{'https' if websocket.url.scheme == 'wss' else 'http'}://{websocket.url.netloc}"
        if session is None or (origin is not None and origin != expected):
            await websocket.close(code=CLOSED_SESSION)
            return
        await websocket.accept()
        host = session.host
        # Only accounts that take conversations hear of them: an editor's console gets pings only.
        scope = None if host.is_admin else ({host.municipality or ""} if host.role.hosts else set())
        queue = events.subscribe(scope)
        quiet = 0.0
        try:
            while True:
                try:
                    event = (await asyncio.wait_for(queue.get(), timeout=CHECK_SECONDS)).to_wire()
                except TimeoutError:
                    event = None
                # The session is checked again all the time: a logout or an expiry closes the socket.
                if await sessions.find(token) is None:
                    await websocket.close(code=CLOSED_SESSION)
                    return
                if event is None:
                    quiet += CHECK_SECONDS
                    if quiet < PING_SECONDS:
                        continue
                    event, quiet = {"type": "ping"}, 0.0
                    await sessions.hosts.touch(session.host.id)  # an open console keeps its host online
                await websocket.send_json(event)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            events.unsubscribe(queue)

    return updates
