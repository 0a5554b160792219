"""The message contract: what a bot message is, and the one place that names each metadata key.

A bot message travels through four representations: Rasa's webhook answer and the NLG endpoint's
reply (JSON), the conversation records (the ``data`` column), the channel adapters (socket.io
events, Telegram keyboards, WhatsApp interactive messages) and the HTTP API's response, whose
``custom`` keys README documents for integrators. Every layer used to pick keys out of a ``dict``
with string literals; now each reads and writes these types, and only ``to_wire``/``from_wire``
know the JSON shape. ``Meta`` fields that are ``None`` are left out of the JSON, so the wire format
is exactly what it was.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from enum import StrEnum
from typing import Any


class Author(StrEnum):
    """Who wrote a stored message."""

    PERSON = "person"
    BOT = "bot"  # Rasa's reply
    GATEWAY = "gateway"  # the product itself: apologies, the handoff intake, queue notices
    HOST = "host"  # a relocation host, from the console


class Delivery(StrEnum):
    """The state of a stored message: a person's (in) message is received, then answered or not."""

    RECEIVED = "received"
    ANSWERED = "answered"
    UNANSWERED = "unanswered"
    SENT = "sent"  # every outgoing message


class HandoffReason(StrEnum):
    """Why a host was offered."""

    ASKED = "asked"
    FAILED = "failed"  # the FAQ could not answer twice in a row
    PERSONAL = "personal"
    EMERGENCY = "emergency"


@dataclass(frozen=True)
class Button:
    title: str
    #: Sent back as the person's next message when pressed (an intent payload or a question's text).
    payload: str

    @classmethod
    def from_wire(cls, raw: Any) -> Button | None:
        if not isinstance(raw, dict):
            return None
        return cls(title=str(raw.get("title") or ""), payload=str(raw.get("payload") or ""))


@dataclass(frozen=True)
class Meta:
    """A bot message's machine-readable metadata (its JSON ``custom`` object).

    Integrators read it from the HTTP API, hosts see parts of it in the console, the gateway
    steers the handoff with it and the records keep it.
    """

    #: The response (catalog key) the text was rendered from, e.g. ``utter_faq_answer``.
    response: str | None = None
    #: The person's language, which the text is written in.
    language: str | None = None
    municipality: str | None = None
    # An FAQ answer.
    faq_id: str | None = None
    topic: str | None = None
    score: float | None = None
    sources: list[str] | None = None
    time_sensitive: bool | None = None
    verified: str | None = None
    # A close call: the FAQ entries offered as buttons, with their scores.
    choices: list[str] | None = None
    scores: list[float] | None = None
    # The handoff to a relocation host.
    handoff_offered: bool | None = None
    handoff_reason: str | None = None
    handoff_id: int | None = None
    handoff_status: str | None = None
    #: ``host`` for a host's own message, with the host's first name.
    author: str | None = None
    host_name: str | None = None
    #: Seconds the person should wait before writing again (a rate limit was reached).
    retry_after: int | None = None

    def to_wire(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}

    @classmethod
    def from_wire(cls, raw: Any) -> Meta:
        if not isinstance(raw, dict):
            return cls()
        return cls(**{f.name: raw[f.name] for f in fields(cls) if raw.get(f.name) is not None})


@dataclass(frozen=True)
class BotMessage:
    """One message to the person: text, buttons and metadata, kept together on every path."""

    text: str = ""
    buttons: tuple[Button, ...] = ()
    meta: Meta = field(default_factory=Meta)
    image: str | None = None
    #: Send the channel's approved re-opening template instead (WhatsApp outside its 24-hour window).
    template: bool = False

    def with_meta(self, **values: Any) -> BotMessage:
        return replace(self, meta=replace(self.meta, **values))

    def to_wire(self) -> dict[str, Any]:
        """The JSON shape of Rasa's channels and our HTTP API: ``text``, ``buttons``, ``custom``."""
        wire: dict[str, Any] = {"text": self.text}
        if self.buttons:
            wire["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
        custom = self.meta.to_wire()
        if custom:
            wire["custom"] = custom
        if self.image:
            wire["image"] = self.image
        if self.template:
            wire["template"] = True
        return wire

    @classmethod
    def from_wire(cls, raw: Any) -> BotMessage:
        """A message from Rasa, the NLG endpoint or the records; anything malformed is dropped."""
        if not isinstance(raw, dict):
            return cls()
        buttons = raw.get("buttons") if isinstance(raw.get("buttons"), list) else []
        image = raw.get("image")
        return cls(text=str(raw.get("text") or ""),
                   buttons=tuple(b for b in (Button.from_wire(item) for item in buttons) if b is not None),
                   meta=Meta.from_wire(raw.get("custom")),
                   image=image if isinstance(image, str) else None,
                   template=raw.get("template") is True)


@dataclass(frozen=True)
class RasaMetadata:
    """What the gateway tells Rasa about a message besides its text (read back by the actions)."""

    municipality: str | None = None
    #: The client's language (browser, Telegram profile, phone number's country): a hint only.
    language: str | None = None
    channel: str | None = None
    message_id: str | None = None
    #: The message's e5 "query:" vector, base64 of little-endian float32, computed once by the gateway
    #: (``gateway.vector``). Rasa's featurizer uses it instead of a model pass of its own; Rasa's
    #: gateway channel takes it out again before the tracker stores the message (bot/channel.py).
    e5_vector: str | None = None

    def to_wire(self) -> dict[str, Any]:
        wire = asdict(self)
        if wire["e5_vector"] is None:  # the four keys Rasa always had; the vector only when there is one
            del wire["e5_vector"]
        return wire

    @classmethod
    def from_wire(cls, raw: Any) -> RasaMetadata:
        if not isinstance(raw, dict):
            return cls()
        return cls(**{f.name: raw[f.name] for f in fields(cls) if isinstance(raw.get(f.name), str)})


#: The buttons of "delete my conversation?": the gateway itself deletes, Rasa never sees them.
DELETE_CONFIRM, DELETE_CANCEL = "/delete_confirm", "/delete_cancel"
