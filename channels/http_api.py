"""The HTTP chat channel: ``POST /api/chat`` — the simplest channel, used by `make chat`, tests and
integrators.

The first message starts a conversation; the answer carries its token (``conversation``), which
the client sends back as ``Authorization: Bearer <token>`` with every later message and to fetch
what was sent without a request to answer (a host's replies: ``GET /api/chat/messages``). A client
cannot name a conversation it did not start (channels.identity). Too many messages — from one
address, or in one conversation — get 429 with ``Retry-After`` and the reason in the client's
language. A message over the address limit is not stored (send it again later); one over the
conversation's limit is stored for the hosts and the client is told to wait.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

import municipalities
from assistant.language import normalise_code
from base.catalog import text as catalog_text
from base.definitions import FALLBACK_LANGUAGE, LANGUAGES
from channels.identity import ConversationTokens
from gateway.channel import Channel
from gateway.gateway import RETRY_AFTER_UNAVAILABLE, Gateway, Unavailable
from gateway.inbound import Inbound
from storage.rates import RateLimits

#: The longest message the API takes at all (what a paste of a whole document might be).
MAX_ACCEPTED_CHARS = 20_000
_bearer = HTTPBearer(auto_error=False, description="the conversation token a previous answer gave")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: Longer than anything we read (MAX_STORED_CHARS): an over-long message gets a polite "please
    #: shorten it" in the person's language rather than an HTTP error; the gateway caps it.
    message: str = Field(max_length=MAX_ACCEPTED_CHARS)
    municipality: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=16, description="the client's language, a hint")
    message_id: str | None = Field(default=None, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$",
                                   description="the client's own id: a message sent again is answered once")


class ChatResponse(BaseModel):
    conversation: str = Field(description="send it back as `Authorization: Bearer <conversation>`")
    messages: list[dict[str, Any]]


class LaterMessages(BaseModel):
    messages: list[dict[str, Any]]


def _language(hint: str | None) -> str:
    language = normalise_code(hint)
    return language if language in LANGUAGES else FALLBACK_LANGUAGE


def _unknown() -> HTTPException:
    return HTTPException(status_code=401, detail="unknown conversation token; start a new conversation without one",
                         headers={"WWW-Authenticate": "Bearer"})


class HttpApiChannel(Channel):
    name = "api"
    pushes = False

    def __init__(self, gateway: Gateway, tokens: ConversationTokens, rates: RateLimits) -> None:
        self.gateway = gateway
        self.tokens = tokens
        self.rates = rates

    def router(self) -> APIRouter:
        router = APIRouter(tags=["chat"])
        router.add_api_route("/api/chat", self.chat, methods=["POST"], response_model=ChatResponse,
                             responses={401: {"description": "a token this server did not issue"},
                                        404: {"description": "unknown municipality"},
                                        429: {"description": "too many messages; wait Retry-After seconds"}})
        router.add_api_route("/api/chat/messages", self.later_messages, methods=["GET"], response_model=LaterMessages,
                             responses={401: {"description": "no token, or one this server did not issue"}})
        return router

    async def chat(self, body: ChatRequest, credentials: Bearer, request: Request) -> ChatResponse | JSONResponse:
        """Send one message; the answer is the bot's messages (text, buttons, custom metadata)."""
        verdict = await self.rates.hit("chat", request.client.host if request.client else "unknown")
        if not verdict.allowed:
            raise HTTPException(status_code=429, detail=catalog_text(_language(body.language), "utter_rate_limited",
                                                                     count=verdict.retry_after),
                                headers={"Retry-After": str(verdict.retry_after)})
        if body.municipality is not None and body.municipality not in municipalities.load_all():
            known = ", ".join(municipalities.load_all())
            raise HTTPException(status_code=404, detail=f"unknown municipality; configured: {known}")
        if credentials is None:
            key, token = self.tokens.issue()
        else:
            key, token = self.tokens.verify(credentials.credentials), credentials.credentials
            if key is None:
                raise _unknown()
        inbound = Inbound(municipality=body.municipality, channel=self.name, user_id=key, text=body.message,
                          language_hint=body.language, message_id=body.message_id)
        try:
            replies = await self.gateway.handle(inbound)
        except Unavailable:  # not stored: the client is told to send it again
            raise HTTPException(status_code=503, detail=catalog_text(_language(body.language),
                                                                     "utter_service_unavailable"),
                                headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE)}) from None
        answer = ChatResponse(conversation=token, messages=[m.to_wire() for m in replies])
        wait = next((m.meta.retry_after for m in replies if m.meta.retry_after), None)
        if wait is not None:  # over the conversation's own limit: kept for hosts, the client told to wait
            return JSONResponse(answer.model_dump(), status_code=429, headers={"Retry-After": str(wait)})
        return answer

    async def later_messages(self, credentials: Bearer, after: int = Query(0, ge=0)) -> LaterMessages:
        """Messages sent to this conversation without a request to answer (a host's replies), by id."""
        key = self.tokens.verify(credentials.credentials) if credentials else None
        if key is None:
            raise _unknown()
        transcript = await self.gateway.store.transcript(f"{self.name}:{key}", limit=500)
        return LaterMessages(messages=[{"id": m.id, "author": m.author, **m.message.to_wire()}
                                       for m in transcript if m.direction == "out" and m.id > after])
