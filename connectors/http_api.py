"""The HTTP chat endpoint: POST /api/chat — the simplest channel, used by `make chat` and tests."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

import municipalities
from connectors.gateway import Gateway, Inbound

router = APIRouter()
_SENDER = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")


class ChatRequest(BaseModel):
    sender: str = Field(pattern=_SENDER.pattern)
    message: str = Field(max_length=100_000)
    municipality: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=16, description="the client's language, a hint")


class ChatResponse(BaseModel):
    messages: list[dict[str, Any]]


@router.post("/api/chat", response_model=ChatResponse)
async def chat(body: ChatRequest, request: Request) -> ChatResponse:
    if body.municipality is not None and body.municipality not in municipalities.load_all():
        known = ", ".join(municipalities.load_all())
        raise HTTPException(status_code=404, detail=f"unknown municipality; configured: {known}")
    gateway: Gateway = request.app.state.gateway
    inbound = Inbound(
        municipality=body.municipality,
        channel="api",
        user_id=body.sender,
        text=body.message,
        language_hint=body.language,
    )
    return ChatResponse(messages=await gateway.handle(inbound))


@router.get("/api/chat/{sender}/messages", response_model=ChatResponse)
async def later_messages(sender: str, request: Request, after: int = Query(0, ge=0)) -> ChatResponse:
    """Messages sent to this conversation without a request to answer (a host's replies), by id."""
    if not _SENDER.match(sender):
        raise HTTPException(status_code=400, detail="invalid sender")
    gateway: Gateway = request.app.state.gateway
    transcript = await gateway.store.transcript(f"api:{sender}", limit=500)
    return ChatResponse(messages=[{"id": m.id, "author": m.author, "text": m.text, **(m.data or {})}
                                  for m in transcript if m.direction == "out" and m.id > after])
