"""Process settings: read from the environment when asked for (``settings()``), with embedded
defaults for `make run`.

Nothing reads the environment at import time, so a test or a command can set variables first and
then ask; secrets are ``SecretStr`` and print as ``**********`` in reprs, logs and errors.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from pydantic import SecretStr

from base.paths import PROJECT_ROOT

__all__ = ["PROJECT_ROOT", "Settings", "free_port", "on_free_ports", "settings"]


@dataclass(frozen=True)
class Settings:
    app_host: str = "127.0.0.1"
    app_port: int = 8000
    rasa_port: int = 5005
    #: Where the gateway reaches Rasa; by default Rasa's port on this machine.
    rasa_url: str = "http://127.0.0.1:5005"
    var_dir: Path = PROJECT_ROOT / "var"
    #: Conversation records; SQLite in var/ unless set, e.g. postgresql+psycopg://user@host/db.
    database_url: str = ""
    #: Seconds the gateway waits for Rasa before it apologises and offers a human host.
    rasa_timeout: float = 20.0
    #: Channel credentials (Telegram bots, WhatsApp numbers); kept outside git, see README.
    channels_file: Path = PROJECT_ROOT / "var" / "channels.yml"
    #: Host e-mail notifications (unset smtp_host: none). The password only from the environment.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "no-reply@localhost"
    smtp_user: str = ""
    smtp_password: SecretStr = field(default_factory=lambda: SecretStr(""))
    smtp_starttls: bool = False
    #: The address newcomers' browsers and platforms reach this server at (widget, webhooks).
    public_url: str = ""
    #: Secrets shared by the processes (app.keys fills the empty ones from var/).
    rasa_token: SecretStr = field(default_factory=lambda: SecretStr(""))
    internal_token: SecretStr = field(default_factory=lambda: SecretStr(""))
    app_secret: SecretStr = field(default_factory=lambda: SecretStr(""))
    #: Serve /docs and /openapi.json (the public API only); switch off with API_DOCS=false.
    api_docs: bool = True
    #: Addresses of reverse proxies whose X-Forwarded-For/-Proto headers are believed (comma-separated).
    trusted_proxies: str = ""
    #: Redis for what app processes share (rate-limit counters); unset: in this process's memory.
    redis_url: str = ""
    #: Rasa's tracker store when it is not the SQLite file in var/ (e.g. postgresql+psycopg://…/rasa).
    rasa_tracker_url: str = ""
    #: "json": one JSON object per log line (for a log collector); anything else: plain lines.
    log_format: str = ""
    #: Rate limits that differ from storage.rates.RateRules' defaults, e.g. "message=10/minute,chat=60/minute".
    rate_limits: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """The settings an operator gave in the environment (README, "Settings")."""
        env = os.environ if env is None else env
        defaults = cls()
        rasa_port = int(env.get("RASA_PORT", defaults.rasa_port))
        return cls(
            app_host=env.get("APP_HOST", defaults.app_host),
            app_port=int(env.get("APP_PORT", defaults.app_port)),
            rasa_port=rasa_port,
            rasa_url=env.get("RASA_URL", f"http://127.0.0.1:{rasa_port}"),
            var_dir=Path(env.get("VAR_DIR", defaults.var_dir)),
            database_url=env.get("DATABASE_URL", ""),
            rasa_timeout=float(env.get("RASA_TIMEOUT", defaults.rasa_timeout)),
            channels_file=Path(env.get("CHANNELS_FILE", defaults.channels_file)),
            smtp_host=env.get("SMTP_HOST", ""),
            smtp_port=int(env.get("SMTP_PORT", defaults.smtp_port)),
            smtp_from=env.get("SMTP_FROM", defaults.smtp_from),
            smtp_user=env.get("SMTP_USER", ""),
            smtp_password=SecretStr(env.get("SMTP_PASSWORD", "")),
            smtp_starttls=env.get("SMTP_STARTTLS", "") in ("1", "true", "yes"),
            public_url=env.get("PUBLIC_URL", ""),
            rasa_token=SecretStr(env.get("RASA_TOKEN", "")),
            internal_token=SecretStr(env.get("INTERNAL_TOKEN", "")),
            app_secret=SecretStr(env.get("APP_SECRET", "")),
            api_docs=env.get("API_DOCS", "true").lower() not in ("0", "false", "no", "off"),
            trusted_proxies=env.get("TRUSTED_PROXIES", ""),
            redis_url=env.get("REDIS_URL", ""),
            rate_limits=env.get("RATE_LIMITS", ""),
            log_format=env.get("LOG_FORMAT", ""),
            rasa_tracker_url=env.get("RASA_TRACKER_URL", ""),
        )

    @property
    def app_url(self) -> str:
        return f"http://{self.app_host}:{self.app_port}"

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.var_dir / 'conversations.sqlite'}"

    @property
    def base_url(self) -> str:
        return (self.public_url or self.app_url).rstrip("/")

    @property
    def tracker_db(self) -> Path:
        return self.var_dir / "rasa-tracker.sqlite"

    @property
    def tracker_url(self) -> str:
        """Rasa's tracker store as SQLAlchemy sees it (deletions reach it); RASA_TRACKER_URL at scale."""
        return self.rasa_tracker_url or f"sqlite:///{self.tracker_db}"


def settings() -> Settings:
    return Settings.from_env()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def on_free_ports(var_dir: Path, **overrides: object) -> Settings:
    """Settings for a private stack (tests, eval, bench) that runs beside `make run`."""
    rasa_port = free_port()
    values: dict = dict(app_port=free_port(), rasa_port=rasa_port, rasa_url=f"http://127.0.0.1:{rasa_port}",
                        var_dir=var_dir, channels_file=var_dir / "channels.yml", public_url="")
    values.update(overrides)
    return replace(settings(), **values)
