"""Notifications for host consoles and e-mail: a new waiting conversation, a ticket, a message, a claim.

Each console websocket subscribes to the municipalities its host may see. One app process holds
the subscribers; with several processes, put a broker (Redis pub/sub) behind ``publish``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class EventKind(StrEnum):
    MESSAGE = "message"  # the person wrote while waiting for or chatting with a host
    WAITING = "waiting"  # a conversation joined the queue
    TICKET = "ticket"  # a request arrived outside office hours or with nobody online
    CLAIMED = "claimed"  # a host took a conversation


@dataclass(frozen=True)
class Event:
    kind: EventKind
    municipality: str
    handoff_id: int
    conversation_id: str | None = None

    def to_wire(self) -> dict[str, Any]:
        """The JSON a console receives (console/static/console.js reads ``type`` and ``handoff_id``)."""
        wire: dict[str, Any] = {"type": self.kind, "handoff_id": self.handoff_id, "municipality": self.municipality}
        if self.conversation_id is not None:
            wire["conversation_id"] = self.conversation_id
        return wire


class Events:
    def __init__(self) -> None:
        self._subscribers: list[tuple[set[str] | None, asyncio.Queue[Event]]] = []

    def subscribe(self, municipalities: set[str] | None) -> asyncio.Queue[Event]:
        """A queue of events for these municipalities (None: every municipality, for admins)."""
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=1000)
        self._subscribers.append((municipalities, queue))
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        self._subscribers = [(scope, q) for scope, q in self._subscribers if q is not queue]

    async def publish(self, event: Event) -> None:
        for scope, queue in self._subscribers:
            if scope is None or event.municipality in scope:
                if queue.full():
                    queue.get_nowait()  # a console that stopped reading loses its oldest event, not the app
                queue.put_nowait(event)
