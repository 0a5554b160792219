"""Telegram: Bot API updates in (webhook or polling), the bot's replies out, with python-telegram-bot.

Each configured bot serves one municipality, or a whole region (then the assistant asks which
municipality; a ``t.me/<bot>?start=<municipality>`` deep link answers that up front). The
person's Telegram ``language_code`` is the language hint; buttons become inline keyboards whose
presses (callback queries) come back as button payloads.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import telegram
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

import municipalities
from connectors.config import TelegramBot
from connectors.gateway import Gateway, Inbound
from connectors.store import Conversation

logger = logging.getLogger(__name__)

#: Telegram's limits: callback_data 1–64 bytes, message text 4096 characters.
CALLBACK_DATA_BYTES = 64
MESSAGE_CHARS = 4096
#: A Bot API update is a few kilobytes; anything much larger is not from Telegram.
MAX_BODY = 256 * 1024
#: "/start" or "/start@bot_name", with a deep-link argument: t.me/<bot>?start=<municipality>.
_START = re.compile(r"^/start(?:@\w+)?(?:\s+(\S+))?\s*$")


def _chunks(text: str, size: int = MESSAGE_CHARS) -> list[str]:
    """Split a long text at paragraph or line breaks so that each part fits one message."""
    parts: list[str] = []
    while len(text) > size:
        cut = max(text.rfind("\n\n", 0, size), text.rfind("\n", 0, size))
        cut = cut if cut > size // 2 else size
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*parts, text] if text else parts


class TelegramChannel:
    """One configured bot: turns updates into gateway messages and sends the replies."""

    def __init__(self, config: TelegramBot, gateway: Gateway) -> None:
        self.config = config
        self.gateway = gateway
        self.bot = telegram.Bot(config.token.get_secret_value(), base_url=config.api_url)
        self._tasks: set[asyncio.Task[None]] = set()

    async def close(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.bot.shutdown()

    def accept(self, update: dict[str, Any]) -> None:
        """Handle a webhook update after the HTTP answer, so Telegram never waits for Rasa."""
        task = asyncio.create_task(self.process(update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def inbound(self, update: Update) -> Inbound | None:
        """The gateway's form of an update; None for updates that are not a person's message."""
        if update.callback_query is not None:
            query = update.callback_query
            chat = query.message.chat if query.message else None
            if chat is None or not query.data:
                return None
            token = query.data if query.data.startswith("#") else None
            return Inbound(
                municipality=self.config.municipality, channel="telegram", user_id=f"{self.config.name}:{chat.id}",
                text="" if token else query.data, button_token=token,
                language_hint=query.from_user.language_code if query.from_user else None,
                message_id=f"callback:{query.id}",
            )
        message = update.message
        if message is None or message.chat is None:
            return None
        user = message.from_user
        text = message.text or message.caption or ""
        municipality = self.config.municipality
        start = _START.match(text)
        if start:
            argument = (start.group(1) or "").lower()
            if municipality is None and argument in municipalities.load_all():
                municipality = argument
            text = "/greet"
        return Inbound(
            municipality=municipality, channel="telegram", user_id=f"{self.config.name}:{message.chat.id}",
            text=text, language_hint=user.language_code if user else None,
            message_id=str(message.message_id),
            media=not text,  # a photo, sticker or voice message: the assistant reads text only
        )

    async def process(self, raw: dict[str, Any]) -> None:
        try:
            update = Update.de_json(raw, self.bot)
        except (KeyError, TypeError, ValueError) as exc:
            logger.warning("Ignored a malformed Telegram update: %s", type(exc).__name__)
            return
        if update.callback_query is not None:
            try:  # stops the button's loading spinner; the answer itself comes as a message
                await self.bot.answer_callback_query(update.callback_query.id)
            except TelegramError as exc:
                logger.warning("Could not answer a Telegram callback query: %s", exc)
        inbound = self.inbound(update)
        if inbound is None:
            return
        chat_id = inbound.user_id.split(":", 1)[1]

        async def deliver(replies: list[dict[str, Any]]) -> None:
            await self.send(chat_id, replies)

        await self.gateway.handle(inbound, deliver)

    async def send(self, chat_id: str, replies: list[dict[str, Any]]) -> None:
        for reply in replies:
            markup = None
            buttons = reply.get("buttons") or []
            if buttons:
                rows = [[InlineKeyboardButton(b["title"][:64], callback_data=await self.gateway.button_id(
                    b["payload"], CALLBACK_DATA_BYTES))] for b in buttons]
                markup = InlineKeyboardMarkup(rows)
            parts = _chunks(reply.get("text") or "") or [""]
            for index, part in enumerate(parts):
                last = index == len(parts) - 1
                if not part and not (last and markup):
                    continue
                await self.bot.send_message(chat_id=chat_id, text=part or "…", reply_markup=markup if last else None)

    async def poll(self) -> None:
        """Long polling for local trials, where Telegram cannot reach a webhook."""
        await self.bot.delete_webhook()
        offset = 0
        while True:
            try:
                updates = await self.bot.get_updates(offset=offset, timeout=20,
                                                     allowed_updates=["message", "callback_query"])
            except TelegramError as exc:
                logger.warning("Telegram polling for %s failed: %s", self.config.name, exc)
                await asyncio.sleep(5)
                continue
            for update in updates:
                offset = update.update_id + 1
                await self.process(update.to_dict())



def sender(channels: dict[str, TelegramChannel]) -> Callable[[Conversation, list[dict[str, Any]]], Awaitable[None]]:
    """Sends messages nobody asked for (a host's reply) through the bot the person talks to."""

    async def send(conversation: Conversation, replies: list[dict[str, Any]]) -> None:
        name, chat_id = conversation.user_ref.split(":", 1)
        channel = channels.get(name)
        if channel is None:
            raise LookupError(f"Telegram bot {name!r} is no longer configured")
        await channel.send(chat_id, replies)

    return send


router = APIRouter()


@router.post("/telegram/{name}/webhook", include_in_schema=False)
async def webhook(name: str, request: Request) -> JSONResponse:
    channels: dict[str, TelegramChannel] = request.app.state.telegram
    channel = channels.get(name)
    if channel is None or channel.config.mode != "webhook" or channel.config.webhook_secret is None:
        raise HTTPException(status_code=404, detail="no such Telegram bot")
    given = request.headers.get("x-telegram-bot-api-secret-token", "")
    expected = channel.config.webhook_secret.get_secret_value()
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
    channel.accept(update)
    return JSONResponse({"ok": True})


async def register_webhooks(bots: list[TelegramBot], base_url: str) -> list[str]:
    """Tell Telegram where to deliver each webhook bot's updates, with the secret it must send back."""
    registered = []
    for config in bots:
        if config.mode != "webhook" or config.webhook_secret is None:
            continue
        url = f"{base_url.rstrip('/')}/telegram/{config.name}/webhook"
        async with telegram.Bot(config.token.get_secret_value(), base_url=config.api_url) as bot:
            await bot.set_webhook(url=url, secret_token=config.webhook_secret.get_secret_value(),
                                  allowed_updates=["message", "callback_query"])
        registered.append(url)
    return registered


def main(argv: list[str] | None = None) -> int:
    """`python -m connectors.telegram set-webhook`: register every webhook bot at PUBLIC_URL."""
    import argparse
    import sys

    from app.settings import settings
    from connectors.config import ChannelConfigError, load

    parser = argparse.ArgumentParser(prog="python -m connectors.telegram")
    parser.add_argument("command", choices=["set-webhook"])
    parser.parse_args(argv)
    config = settings()
    if not config.public_url.startswith("https://"):
        print("Set PUBLIC_URL to the assistant's https:// address first: Telegram only calls HTTPS webhooks.",
              file=sys.stderr)
        return 2
    try:
        bots = load(config.channels_file).telegram
        urls = asyncio.run(register_webhooks(bots, config.public_url))
    except (ChannelConfigError, TelegramError) as exc:
        print(f"Could not register: {exc}", file=sys.stderr)
        return 1
    for url in urls:
        print(f"registered {url}")
    if not urls:
        print(f"No webhook-mode Telegram bot in {config.channels_file}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
