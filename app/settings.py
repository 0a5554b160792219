"""Process settings from the environment, with embedded defaults for `make run`."""

from __future__ import annotations

import os
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

    @property
    def app_url(self) -> str:
        return f"http://{self.app_host}:{self.app_port}"

    @property
    def tracker_db(self) -> Path:
        return self.var_dir / "rasa-tracker.sqlite"


def settings() -> Settings:
    return Settings()
