"""Process settings from the environment, with embedded defaults for `make run`."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    app_host: str = os.environ.get("APP_HOST", "127.0.0.1")
    app_port: int = int(os.environ.get("APP_PORT", "8000"))
    rasa_port: int = int(os.environ.get("RASA_PORT", "5005"))
    rasa_url: str = os.environ.get("RASA_URL", f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}")
    var_dir: Path = Path(os.environ.get("VAR_DIR", PROJECT_ROOT / "var"))
    #: Conversation records; SQLite in var/ unless set, e.g. postgresql+psycopg://user@host/db.
    database_url: str = os.environ.get("DATABASE_URL", "")
    #: Seconds the gateway waits for Rasa before it apologises and offers a human host.
    rasa_timeout: float = float(os.environ.get("RASA_TIMEOUT", "20"))
    #: Channel credentials (Telegram bots, WhatsApp numbers); kept outside git, see README.
    channels_file: Path = Path(os.environ.get("CHANNELS_FILE", PROJECT_ROOT / "var" / "channels.yml"))
    #: Host e-mail notifications (unset SMTP_HOST: none). The password only from the environment.
    smtp_host: str = os.environ.get("SMTP_HOST", "")
    smtp_port: int = int(os.environ.get("SMTP_PORT", "25"))
    smtp_from: str = os.environ.get("SMTP_FROM", "no-reply@localhost")
    smtp_user: str = os.environ.get("SMTP_USER", "")
    smtp_password: str = os.environ.get("SMTP_PASSWORD", "")
    smtp_starttls: bool = os.environ.get("SMTP_STARTTLS", "") in ("1", "true", "yes")
    #: The address newcomers' browsers and platforms reach this server at (widget, webhooks).
    public_url: str = os.environ.get("PUBLIC_URL", "")

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
    return Settings(**values)


def settings() -> Settings:
    return Settings()
