"""Telegram bots: register every webhook-mode bot at PUBLIC_URL (``set-webhook``).

    python -m app telegram set-webhook
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from telegram.error import TelegramError

from app.settings import settings
from channels.config import ChannelConfigError, load
from channels.telegram.webhooks import register_webhooks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app telegram")
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
