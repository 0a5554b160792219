"""Channel credentials: which Telegram bots and WhatsApp numbers serve which municipality.

They come from one YAML file kept outside git (CHANNELS_FILE, default var/channels.yml), in
which any value may be ``${ENV_VAR}`` so that secrets can stay in the environment or a secret
manager instead. Secrets are pydantic ``SecretStr``: they print as ``**********`` in logs, reprs
and errors. See README, "Connect Telegram and WhatsApp".
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

import municipalities

_ENV_REFERENCE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")


class ChannelConfigError(ValueError):
    """The channels file is wrong; the message names the field, never a secret's value."""


class TelegramBot(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: The bot's name in webhook paths: /telegram/<name>/webhook.
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")
    token: SecretStr
    #: Telegram sends it in X-Telegram-Bot-Api-Secret-Token; required in webhook mode.
    webhook_secret: SecretStr | None = None
    #: The municipality this bot serves; leave out for a regional bot that asks the person.
    municipality: str | None = None
    mode: Literal["webhook", "polling"] = "webhook"
    #: Bot API base; tests point it at a local server that speaks the same wire format.
    api_url: str = "https://api.telegram.org/bot"

    @field_validator("municipality")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        if value is not None and value not in municipalities.load_all():
            raise ValueError(f"unknown municipality {value!r}")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> TelegramBot:
        if self.mode == "webhook" and (self.webhook_secret is None or not self.webhook_secret.get_secret_value()):
            raise ValueError(f"telegram bot {self.name!r}: webhook mode needs a webhook_secret")
        return self


class WhatsAppNumber(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone_number_id: str = Field(pattern=r"^[0-9]{5,32}$")
    municipality: str

    @field_validator("municipality")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in municipalities.load_all():
            raise ValueError(f"unknown municipality {value!r}")
        return value


class WhatsAppConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: The Meta app's secret: every webhook POST is signed with it (X-Hub-Signature-256).
    app_secret: SecretStr
    #: What you type as "Verify token" when you subscribe the webhook in Meta's app dashboard.
    verify_token: SecretStr
    #: A system-user access token with whatsapp_business_messaging permission.
    access_token: SecretStr
    #: Graph API base including its version; tests point it at a local server.
    graph_api_url: str = "https://graph.facebook.com/v21.0"
    numbers: list[WhatsAppNumber] = Field(default_factory=list)
    #: An approved message template hosts may send outside WhatsApp's 24-hour window, e.g. one that
    #: asks the person to reply so the conversation can continue. Name and language as approved by Meta.
    template_name: str | None = None
    template_language: str = "sv"

    def municipality_of(self, phone_number_id: str) -> str | None:
        return next((n.municipality for n in self.numbers if n.phone_number_id == phone_number_id), None)


class Channels(BaseModel):
    model_config = ConfigDict(extra="forbid")

    telegram: list[TelegramBot] = Field(default_factory=list)
    whatsapp: WhatsAppConfig | None = None

    def telegram_bot(self, name: str) -> TelegramBot | None:
        return next((bot for bot in self.telegram if bot.name == name), None)

    def secrets(self) -> list[str]:
        """Every secret value, so log output can be scrubbed of them."""
        values = [bot.token for bot in self.telegram] + [b.webhook_secret for b in self.telegram if b.webhook_secret]
        if self.whatsapp:
            values += [self.whatsapp.app_secret, self.whatsapp.verify_token, self.whatsapp.access_token]
        return [v.get_secret_value() for v in values if v.get_secret_value()]


def _expand(value: Any, where: str) -> Any:
    if isinstance(value, dict):
        return {key: _expand(item, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [_expand(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, str):
        def lookup(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise ChannelConfigError(f"{where}: environment variable {name} is not set")
            return os.environ[name]

        return _ENV_REFERENCE.sub(lookup, value)
    return value


def load(path: Path) -> Channels:
    """The configured channels; none when the file does not exist (web chat needs no credentials)."""
    if not path.exists():
        return Channels()
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    try:
        return Channels.model_validate(_expand(raw, path.name))
    except ValueError as exc:
        # pydantic's message would include the offending input — which may be a secret.
        if isinstance(exc, ChannelConfigError):
            raise
        errors = getattr(exc, "errors", lambda: [])()
        described = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors) or str(exc)
        raise ChannelConfigError(f"{path.name}: {described}") from None
