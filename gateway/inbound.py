"""One message from any channel, in the gateway's internal form."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Inbound:
    municipality: str | None
    channel: str
    user_id: str
    text: str
    language_hint: str | None = None
    message_id: str | None = None
    #: A button whose payload was too long for the platform: the gateway looks it up (Gateway.button_id).
    button_token: str | None = None
    #: The person sent a photo, sticker, voice message… that the assistant cannot read.
    media: bool = False

    @property
    def conversation_id(self) -> str:
        return f"{self.channel}:{self.user_id}"
