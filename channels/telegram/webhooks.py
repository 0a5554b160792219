"""Registering the webhook bots with Telegram, which an operator does once per public address."""

from __future__ import annotations

import telegram

from channels.config import TelegramBot


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
