"""The gateway's client of Rasa's ``gateway`` input channel (bot/channel.py).

One POST per message: ``{sender, message, metadata}`` in, the bot's messages out, each whole
(text, buttons and metadata together). Rasa names each response and this client renders it from
the catalogs (``assistant.nlg``), so no response costs Rasa a call back to the app. Anything other
than a non-empty list of messages — Rasa down, slower than the timeout, or answering nothing
because its action server failed — is one error, ``RasaUnavailable``, so the gateway has one place
to apologise.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from assistant import nlg
from base.messages import BotMessage, RasaMetadata

logger = logging.getLogger(__name__)

#: Where Rasa's response generator puts what is to be rendered (bot/nlg.py: RENDER_KEY).
RENDER_KEY = "render"


class RasaUnavailable(Exception):
    """Rasa gave no usable answer; the message says what happened (never the person's text)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        #: timeout | unreachable | error | invalid | empty (the metrics' label).
        self.reason = reason


class RasaClient:
    def __init__(self, url: str, token: str, timeout: float = 20.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        # Rasa's gateway channel answers only a caller with the internal token (bot/channel.py).
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport, headers={"X-Internal-Token": token})

    async def close(self) -> None:
        await self._client.aclose()

    async def alive(self) -> None:
        """Raises unless Rasa's gateway channel answers (the app's readiness check)."""
        reply = await self._client.get(f"{self.url}/webhooks/gateway/", timeout=3)
        reply.raise_for_status()

    async def send(self, sender: str, text: str, metadata: RasaMetadata) -> list[BotMessage]:
        body = {"sender": sender, "message": text, "metadata": metadata.to_wire()}
        try:
            reply = await self._client.post(f"{self.url}/webhooks/gateway/webhook", json=body)
            reply.raise_for_status()
            messages = reply.json()
        except httpx.TimeoutException as exc:
            raise RasaUnavailable("timeout", type(exc).__name__) from None
        except httpx.TransportError as exc:
            raise RasaUnavailable("unreachable", type(exc).__name__) from None
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable("error", type(exc).__name__) from None
        if not isinstance(messages, list):
            raise RasaUnavailable("invalid", "Rasa answered something other than a list of messages")
        if not messages:
            raise RasaUnavailable("empty", "Rasa answered nothing (is its action server down?)")
        finished = [_finished(message) for message in messages if isinstance(message, dict)]
        return [message for message in finished if message is not None]


def _finished(raw: dict[str, Any]) -> BotMessage | None:
    """A message from Rasa in its final words: rendered from the catalogs if Rasa only named it (bot/nlg.py)."""
    custom = raw.get("custom")
    render = custom.get(RENDER_KEY) if isinstance(custom, dict) else None
    if not isinstance(render, dict):
        return BotMessage.from_wire(raw)
    response = render.get("response")
    arguments = render.get("arguments") if isinstance(render.get("arguments"), dict) else {}
    slots = render.get("slots") if isinstance(render.get("slots"), dict) else {}
    try:
        return nlg.render(str(response), arguments, {"slots": slots})
    except KeyError:
        logger.error("No catalog text for response %s", response)
        return None
