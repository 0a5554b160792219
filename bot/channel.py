"""The Rasa input channel the app server's gateway talks to.

Rasa's stock REST channel splits a text on blank lines and sends a message's custom payload
as a separate message, so a channel could not tell which FAQ answer a text came from. This
channel keeps each bot message whole: text, buttons and custom metadata together. It answers
only the app server: every call must carry the internal token (credentials.yml, INTERNAL_TOKEN),
compared in constant time.

A message may carry its e5 vector (the gateway computes it once, for Rasa and the FAQ search):
the message is parsed here with it, and the vector is left out of what the tracker stores.
"""

from __future__ import annotations

import gc
import hmac
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import validation
from bot.featurizer import VECTOR_KEY

validation.install()

logger = logging.getLogger(__name__)


class WholeMessageCollector(OutputChannel):
    """Collects bot messages without splitting or separating their parts."""

    def __init__(self) -> None:
        self.messages: List[Dict[str, Any]] = []

    @classmethod
    def name(cls) -> str:
        return "gateway"

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        kept = {key: message[key] for key in ("text", "buttons", "custom", "image") if message.get(key)}
        if kept:
            self.messages.append({"recipient_id": recipient_id, **kept})

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text, **kwargs})


async def _parse(request: Request, message: UserMessage) -> Optional[Dict[str, Any]]:
    """Rasa's NLU result for the message, with the vector the gateway sent (bot/featurizer.py)."""
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or agent.processor is None:
        return None  # no model loaded yet: Rasa's own path answers as it can
    return await agent.processor.parse_message(message)


def _message(request: Request) -> Tuple[Dict[str, Any], Any, Dict[str, Any]]:
    """The body, its text (unchecked) and its metadata (a dict, empty when absent or malformed)."""
    body = request.json if isinstance(request.json, dict) else {}
    metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    return body, body.get("message"), metadata


class GatewayInput(InputChannel):
    """POST /webhooks/gateway/webhook with {sender, message, metadata}; answers a JSON list."""

    #: The header the app server's gateway sends the internal token in.
    HEADER = "X-Internal-Token"

    def __init__(self, token: Optional[str] = None) -> None:
        if not token:
            raise ValueError("the gateway channel needs a token (credentials.yml: token: ${INTERNAL_TOKEN})")
        self.token = token.encode()

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        return cls((credentials or {}).get("token"))

    @classmethod
    def name(cls) -> str:
        return "gateway"

    def _from_the_app(self, request: Request) -> bool:
        return hmac.compare_digest(request.headers.get(self.HEADER, "").encode(), self.token)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("gateway_webhook", __name__)

        @hook.listener("after_server_start")
        async def settle(*_: Any) -> None:
            # Rasa loads its model before the server starts: millions of long-lived objects that each
            # full garbage collection would walk again (4 % of Rasa's time under load, py-spy).
            gc.freeze()
            logger.info("Model loaded; %d objects left out of garbage collection", gc.get_freeze_count())

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/parse", methods=["POST"])
        async def parse(request: Request) -> HTTPResponse:
            """NLU only, exactly as a message from the gateway is parsed (with its vector): for eval and bench."""
            if not self._from_the_app(request):
                return response.json({"error": "only the app server may call this channel"}, status=403)
            _, text, metadata = _message(request)
            if not isinstance(text, str):
                return response.json({"error": "message is required"}, status=400)
            parsed = await _parse(request, UserMessage(text, None, "parse", metadata=metadata))
            if parsed is None:
                return response.json({"error": "no model loaded"}, status=503)
            return response.json(parsed)

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._from_the_app(request):
                return response.json({"error": "only the app server may call this channel"}, status=403)
            body, text, metadata = _message(request)
            sender: Optional[str] = body.get("sender")
            if not sender or not isinstance(text, str):
                return response.json({"error": "sender and message are required"}, status=400)
            collector = WholeMessageCollector()
            message = UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)
            if VECTOR_KEY in metadata:
                message.parse_data = await _parse(request, message)
                # The vector has done its work: the tracker stores every message, it need not keep 2 KB of it.
                message.metadata = {key: value for key, value in metadata.items() if key != VECTOR_KEY}
            await on_new_message(message)
            return response.json(collector.messages)

        return hook
