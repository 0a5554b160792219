"""Telegram: Bot API updates in (webhook or polling), the bot's replies out, with python-telegram-bot.

Each configured bot serves one municipality, or a whole region (then the assistant asks which
municipality; a ``t.me/<bot>?start=<municipality>`` deep link answers that up front). The person's
Telegram ``language_code`` is the language hint; buttons become inline keyboards whose presses
(callback queries) come back as button payloads. ``bot`` is one configured bot, ``channel`` the
adapter over all of them, ``webhooks`` the registration an operator runs once.
"""
