"""The product's own database: every table (``schema``) and the conversation records (``store``).

One schema for every table — conversations and messages, handoffs, host accounts and sessions —
so a single migration history and a single retention job cover all of them, and the layers above
(handoff, gateway, console) share one engine. May import ``base`` and ``municipalities`` only.
"""
