"""In-process notifications for host consoles: a new waiting conversation, a ticket, a message.

Each console websocket subscribes to the municipalities its host may see. One app process holds
the subscribers; with several processes, put a broker (Redis pub/sub) behind ``publish``.
"""

from __future__ import annotations

import asyncio
from typing import Any


class Events:
    def __init__(self) -> None:
        self._subscribers: list[tuple[set[str] | None, asyncio.Queue[dict[str, Any]]]] = []

    def subscribe(self, municipalities: set[str] | None) -> asyncio.Queue[dict[str, Any]]:
        """A queue of events for these municipalities (None: every municipality, for admins)."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)
        self._subscribers.append((municipalities, queue))
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._subscribers = [(scope, q) for scope, q in self._subscribers if q is not queue]

    async def publish(self, municipality: str, event: dict[str, Any]) -> None:
        for scope, queue in self._subscribers:
            if scope is None or municipality in scope:
                if queue.full():
                    queue.get_nowait()  # a console that stopped reading loses its oldest event, not the app
                queue.put_nowait({**event, "municipality": municipality})
