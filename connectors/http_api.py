"""The HTTP chat endpoint: POST /api/chat — the simplest channel, used by `make chat` and tests."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

import municipalities
from connectors.gateway import Gateway, Inbound

router = APIRouter()


class ChatRequest(BaseModel):
    sender: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:@-]+$")
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
