"""The Telegram adapter: every configured bot behind one channel, webhooks in, messages out."""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from base.messages import BotMessage
from channels.config import TelegramBot
from channels.tasks import Background
from channels.telegram.bot import CHANNEL, ConfiguredBot
from gateway.channel import Channel
from gateway.gateway import RETRY_AFTER_UNAVAILABLE, Gateway, Unavailable
from storage.store import Conversation

logger = logging.getLogger(__name__)

#: A Bot API update is a few kilobytes; anything much larger is not from Telegram.
MAX_BODY = 256 * 1024


class TelegramChannel(Channel):
    name = CHANNEL

    def __init__(self, bots: list[TelegramBot], gateway: Gateway) -> None:
        self.gateway = gateway
        self.bots = {config.name: ConfiguredBot(config, gateway.button_id) for config in bots}
        self._work = Background()
        self._pollers = Background()

    def router(self) -> APIRouter:
        router = APIRouter()
        router.add_api_route("/telegram/{name}/webhook", self.webhook, methods=["POST"], include_in_schema=False)
        return router

    async def webhook(self, name: str, request: Request) -> JSONResponse:
        bot = self.bots.get(name)
        if bot is None or bot.config.mode != "webhook" or bot.config.webhook_secret is None:
            raise HTTPException(status_code=404, detail="no such Telegram bot")
        given = request.headers.get("x-telegram-bot-api-secret-token", "")
        expected = bot.config.webhook_secret.get_secret_value()
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise HTTPException(status_code=403, detail="wrong or missing secret token")
        body = await request.body()
        if len(body) > MAX_BODY:
            raise HTTPException(status_code=413, detail="update too large")
        try:
            update = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise HTTPException(status_code=400, detail="the body is not JSON") from None
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            raise HTTPException(status_code=400, detail="not a Telegram update")
        # Stored before Telegram hears "ok" (if the records are down it gets 503 and delivers again
        # later), answered after it, so Telegram never waits for Rasa.
        try:
            await self.take(bot, update)
        except Unavailable:
            raise HTTPException(status_code=503, detail="try again later",
                                headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE)}) from None
        return JSONResponse({"ok": True})

    async def take(self, bot: ConfiguredBot, raw: dict[str, Any]) -> None:
        """Store the person's message now; answer it (and the button press) in the background."""
        update = bot.update_of(raw)
        inbound = bot.inbound(update) if update is not None else None
        if inbound is None:
            return
        await self.gateway.accept(inbound)
        self._work.spawn(self._answer(bot, update, inbound.conversation_id))

    async def _answer(self, bot: ConfiguredBot, update: Any, conversation_id: str) -> None:
        await bot.answer_button(update)
        await self.gateway.answer_pending(conversation_id)

    async def send(self, conversation: Conversation, messages: list[BotMessage]) -> None:
        """Through the bot the person talks to."""
        name, chat_id = conversation.user_ref.split(":", 1)
        bot = self.bots.get(name)
        if bot is None:
            raise LookupError(f"Telegram bot {name!r} is no longer configured")
        await bot.send(chat_id, messages)

    async def start(self) -> None:
        for bot in self.bots.values():
            if bot.config.mode == "polling":
                self._pollers.spawn(bot.poll(lambda raw, bot=bot: self.take(bot, raw)))

    async def close(self) -> None:
        self._pollers.cancel()
        await self._pollers.drain()
        await self._work.drain()
        for bot in self.bots.values():
            await bot.close()
