"""The HTTP chat channel: ``POST /api/chat`` — the simplest channel, used by `make chat`, tests and
integrators. Its client asks; nothing is pushed to it: a host's later replies are fetched from
``GET /api/chat/{sender}/messages``.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

import municipalities
from gateway.channel import Channel
from gateway.gateway import Gateway
from gateway.inbound import Inbound

_SENDER = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")


class ChatRequest(BaseModel):
    sender: str = Field(pattern=_SENDER.pattern)
    message: str = Field(max_length=100_000)
    municipality: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=16, description="the client's language, a hint")


class ChatResponse(BaseModel):
    messages: list[dict[str, Any]]


class HttpApiChannel(Channel):
    name = "api"
    pushes = False

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def router(self) -> APIRouter:
        router = APIRouter()
        router.add_api_route("/api/chat", self.chat, methods=["POST"], response_model=ChatResponse)
        router.add_api_route("/api/chat/{sender}/messages", self.later_messages, methods=["GET"],
                             response_model=ChatResponse)
        return router

    async def chat(self, body: ChatRequest) -> ChatResponse:
        """Send one message; the answer is the bot's messages (text, buttons, custom metadata)."""
        if body.municipality is not None and body.municipality not in municipalities.load_all():
            known = ", ".join(municipalities.load_all())
            raise HTTPException(status_code=404, detail=f"unknown municipality; configured: {known}")
        inbound = Inbound(municipality=body.municipality, channel=self.name, user_id=body.sender, text=body.message,
                          language_hint=body.language)
        return ChatResponse(messages=[m.to_wire() for m in await self.gateway.handle(inbound)])

    async def later_messages(self, sender: str, after: int = Query(0, ge=0)) -> ChatResponse:
        """Messages sent to this conversation without a request to answer (a host's replies), by id."""
        if not _SENDER.match(sender):
            raise HTTPException(status_code=400, detail="invalid sender")
        transcript = await self.gateway.store.transcript(f"{self.name}:{sender}", limit=500)
        return ChatResponse(messages=[{"id": m.id, "author": m.author, **m.message.to_wire()}
                                      for m in transcript if m.direction == "out" and m.id > after])
