"""Notifications for host consoles and e-mail: a new waiting conversation, a ticket, a message, a claim.

Each console websocket subscribes to the municipalities its host may see. With several app
processes an event happens in one process and a host's console may be open in another, so with
``REDIS_URL`` every event goes through Redis pub/sub and each process hands it to its own open
consoles; without Redis (one process) it is handed over in memory. The e-mail notifier subscribes
to the events of its own process only (``local=True``), so each event is e-mailed once, by the
process where it happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

logger = logging.getLogger(__name__)
#: The Redis pub/sub channel of console events.
CHANNEL = "newcomer:console-events"


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

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> Event:
        return cls(EventKind(wire["type"]), str(wire["municipality"]), int(wire["handoff_id"]),
                   wire.get("conversation_id"))

    def to_wire(self) -> dict[str, Any]:
        """The JSON a console receives (console/static/console.js reads ``type`` and ``handoff_id``)."""
        wire: dict[str, Any] = {"type": self.kind, "handoff_id": self.handoff_id, "municipality": self.municipality}
        if self.conversation_id is not None:
            wire["conversation_id"] = self.conversation_id
        return wire


class Events:
    def __init__(self, redis_url: str = "") -> None:
        self._subscribers: list[tuple[set[str] | None, bool, asyncio.Queue[Event]]] = []
        self._redis_url = redis_url
        self._redis: Any = None
        self._listener: asyncio.Task[None] | None = None

    def subscribe(self, municipalities: set[str] | None, local: bool = False) -> asyncio.Queue[Event]:
        """A queue of events for these municipalities (None: every municipality, for admins).

        ``local``: only the events published by this process (the e-mail notifier).
        """
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=1000)
        self._subscribers.append((municipalities, local, queue))
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        self._subscribers = [entry for entry in self._subscribers if entry[2] is not queue]

    def _hand_over(self, event: Event, local: bool) -> None:
        for scope, only_local, queue in self._subscribers:
            if only_local == local and (scope is None or event.municipality in scope):
                if queue.full():
                    queue.get_nowait()  # a console that stopped reading loses its oldest event, not the app
                queue.put_nowait(event)

    async def publish(self, event: Event) -> None:
        self._hand_over(event, local=True)
        if self._redis is None:
            self._hand_over(event, local=False)
            return
        try:
            await self._redis.publish(CHANNEL, json.dumps(event.to_wire()))
        except Exception as exc:  # Redis away: this process's consoles still hear of it
            logger.warning("Could not publish a console event on Redis: %s", type(exc).__name__)
            self._hand_over(event, local=False)

    async def start(self) -> None:
        """Connect to Redis (when configured) and hand every process's events to this process's consoles."""
        if not self._redis_url:
            return
        import redis.asyncio as redis

        self._redis = redis.from_url(self._redis_url)
        self._listener = asyncio.create_task(self._listen())

    async def _listen(self) -> None:
        while True:
            try:
                pubsub = self._redis.pubsub()
                await pubsub.subscribe(CHANNEL)
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self._hand_over(Event.from_wire(json.loads(message["data"])), local=False)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis restarted: subscribe again (consoles reload on reconnect)
                logger.warning("Console events from Redis interrupted (%s); subscribing again", type(exc).__name__)
                await asyncio.sleep(1)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._redis is not None:
            await self._redis.aclose()
