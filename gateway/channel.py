"""The one interface every channel adapter implements, and registers with the gateway.

Modelled on Rasa's own ``rasa/core/channels`` (an input and an output side behind one interface):
an adapter turns its platform's requests into ``Inbound`` messages for ``Gateway.handle`` (its
``router``), sends bot messages to a person (``send``), says whether free text may be sent right
now (WhatsApp's 24-hour window) and which approved template may go out instead, and starts and
stops its background work. The gateway and the host desk only ever talk to this interface, so no
layer below the adapters knows a platform.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from fastapi import APIRouter

from base.messages import BotMessage
from storage.store import Conversation


class Channel:
    #: The channel's name in conversation ids (``<name>:<user>``) and in the records.
    name: ClassVar[str]
    #: False where the client fetches messages itself (the HTTP API) instead of being sent them.
    pushes: ClassVar[bool] = True

    def router(self) -> APIRouter | None:
        """The channel's HTTP routes (webhooks, widget files), if it has any."""
        return None

    async def send(self, conversation: Conversation, messages: list[BotMessage]) -> None:
        """Deliver messages nobody's request asked for (a host's reply, a queue notice); raises on failure."""

    def can_send_text(self, conversation: Conversation, moment: dt.datetime) -> bool:
        return True

    def template(self) -> str | None:
        """The approved message that may be sent when free text may not (None: the channel has none)."""
        return None

    async def start(self) -> None:
        """Begin background work (polling); called once the app serves requests."""

    async def close(self) -> None:
        """Finish what is in flight and release connections."""
