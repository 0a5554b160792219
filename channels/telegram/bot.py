"""One configured Telegram bot: updates in, messages out, through python-telegram-bot's client."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

import municipalities
from base.messages import BotMessage
from channels.config import TelegramBot
from gateway.inbound import Inbound

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
#: Telegram's limits: callback_data 1–64 bytes, message text 4096 characters.
CALLBACK_DATA_BYTES = 64
MESSAGE_CHARS = 4096
#: "/start" or "/start@bot_name", with a deep-link argument: t.me/<bot>?start=<municipality>.
_START = re.compile(r"^/start(?:@\w+)?(?:\s+(\S+))?\s*$")

#: The longest platform message id the records keep.
ID_CHARS = 200

#: Gives a button payload a platform-sized id (the gateway stores long ones behind a token).
ButtonId = Callable[[str, int], Awaitable[str]]


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _language(user: object) -> str | None:
    code = getattr(user, "language_code", None)
    return code[:16] if isinstance(code, str) else None


def chunks(text: str, size: int = MESSAGE_CHARS) -> list[str]:
    """Split a long text at paragraph or line breaks so that each part fits one message."""
    parts: list[str] = []
    while len(text) > size:
        cut = max(text.rfind("\n\n", 0, size), text.rfind("\n", 0, size))
        cut = cut if cut > size // 2 else size
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*parts, text] if text else parts


class ConfiguredBot:
    """Turns one bot's updates into gateway messages and sends its replies."""

    def __init__(self, config: TelegramBot, button_id: ButtonId) -> None:
        self.config = config
        self.button_id = button_id
        self.client = telegram.Bot(config.token.get_secret_value(), base_url=config.api_url)

    async def close(self) -> None:
        await self.client.shutdown()

    def inbound(self, update: Update) -> Inbound | None:
        """The gateway's form of an update; None for updates that are not a person's message.

        python-telegram-bot does not check field types, so every field is checked here: a number
        where text belongs is no text, and ids are cut to what the records hold.
        """
        if update.callback_query is not None:
            query = update.callback_query
            chat = query.message.chat if query.message else None
            if chat is None or not _text(query.data):
                return None
            token = query.data if query.data.startswith("#") else None
            return Inbound(
                municipality=self.config.municipality, channel=CHANNEL, user_id=f"{self.config.name}:{chat.id}",
                text="" if token else query.data, button_token=token,
                language_hint=_language(query.from_user), message_id=f"callback:{query.id}"[:ID_CHARS],
            )
        message = update.message
        if message is None or message.chat is None:
            return None
        text = _text(message.text) or _text(message.caption)
        municipality = self.config.municipality
        start = _START.match(text)
        if start:
            argument = (start.group(1) or "").lower()
            if municipality is None and argument in municipalities.load_all():
                municipality = argument
            text = "/greet"
        return Inbound(
            municipality=municipality, channel=CHANNEL, user_id=f"{self.config.name}:{message.chat.id}",
            text=text, language_hint=_language(message.from_user), message_id=str(message.message_id)[:ID_CHARS],
            media=not text,  # a photo, sticker or voice message: the assistant reads text only
        )

    def update_of(self, raw: dict[str, Any]) -> Update | None:
        """The update in python-telegram-bot's types; None for anything malformed (never an exception)."""
        try:
            return Update.de_json(raw, self.client)
        except Exception as exc:  # whatever a malformed update makes the library raise (OverflowError…)
            logger.warning("Ignored a malformed Telegram update: %s", type(exc).__name__)
            return None

    async def answer_button(self, update: Update) -> None:
        """Stop a pressed button's loading spinner (the answer itself comes as a message)."""
        if update.callback_query is None:
            return
        try:
            await self.client.answer_callback_query(update.callback_query.id)
        except TelegramError as exc:
            logger.warning("Could not answer a Telegram callback query: %s", exc)

    async def send(self, chat_id: str, replies: list[BotMessage]) -> None:
        for reply in replies:
            markup = None
            if reply.buttons:
                rows = [[InlineKeyboardButton(b.title[:64], callback_data=await self.button_id(
                    b.payload, CALLBACK_DATA_BYTES))] for b in reply.buttons]
                markup = InlineKeyboardMarkup(rows)
            parts = chunks(reply.text) or [""]
            for index, part in enumerate(parts):
                last = index == len(parts) - 1
                if not part and not (last and markup):
                    continue
                await self.client.send_message(chat_id=chat_id, text=part or "…",
                                               reply_markup=markup if last else None)

    async def poll(self, handle: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        """Long polling for local trials, where Telegram cannot reach a webhook."""
        await self.client.delete_webhook()
        offset = 0
        while True:
            try:
                updates = await self.client.get_updates(offset=offset, timeout=20,
                                                        allowed_updates=["message", "callback_query"])
            except TelegramError as exc:
                logger.warning("Telegram polling for %s failed: %s", self.config.name, exc)
                await asyncio.sleep(5)
                continue
            for update in updates:
                offset = update.update_id + 1
                await handle(update.to_dict())
