"""Telegram without a server: how long texts are split."""

from __future__ import annotations

from channels.telegram.bot import chunks


def test_telegram_long_text_is_split_at_line_breaks() -> None:
    text = ("A paragraph.\n\n" * 600).strip()
    parts = chunks(text)
    assert all(len(p) <= 4096 for p in parts) and len(parts) == 3
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")
