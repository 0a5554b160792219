"""Conversation tokens for the web and HTTP-API channels: issued by the server, never chosen by a client.

Telegram and WhatsApp say who wrote (their webhooks are signed); a browser or an API client has
only what it holds. So the server issues each new conversation a token ``<key>.<signature>``: the
key is 128 random bits and names the conversation (``web:<key>``, what hosts, e-mails and logs may
show), the signature is an HMAC of the key with ``APP_SECRET``. Only a client that received the
token can present it; knowing a conversation's key — or guessing one — is not enough, and a client
cannot pick its own weak token. Any app process with the same secret can check a token without a
database lookup.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

_TOKEN = re.compile(r"([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{32})")


class ConversationTokens:
    def __init__(self, secret: str) -> None:
        if len(secret) < 16:
            raise ValueError("the conversation-token secret is too short (app.keys makes one)")
        self._secret = secret.encode()

    def _sign(self, key: str) -> str:
        digest = hmac.new(self._secret, b"conversation:" + key.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:32]

    def issue(self) -> tuple[str, str]:
        """A new conversation: (its key, the token only its client holds)."""
        key = secrets.token_urlsafe(16)
        return key, f"{key}.{self._sign(key)}"

    def verify(self, token: object) -> str | None:
        """The conversation key of a token this server issued; None for anything else."""
        if not isinstance(token, str):
            return None
        match = _TOKEN.fullmatch(token)
        if match is None or not hmac.compare_digest(match.group(2), self._sign(match.group(1))):
            return None
        return match.group(1)
