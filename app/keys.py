"""The product's own secrets: taken from the environment, or generated once into ``var/`` (0600).

Three secrets, each needed by more than one process: ``RASA_TOKEN`` (Rasa's HTTP API refuses calls
without it), ``INTERNAL_TOKEN`` (Rasa sends it to the app's action and NLG endpoints, which refuse
calls without it) and ``APP_SECRET`` (signs the conversation tokens web and HTTP-API clients hold).
An operator sets them in the environment (or a secret manager that fills it); on `make run` they
are generated on first start and kept in ``var/`` readable by the owner only, so every process of
this machine and every restart agrees on them.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import replace
from pathlib import Path

from pydantic import SecretStr

from app.settings import Settings

#: Environment variable → file in var/.
SECRETS = {"RASA_TOKEN": "rasa-token", "INTERNAL_TOKEN": "internal-token", "APP_SECRET": "app-secret"}


def local_secret(folder: Path, name: str) -> str:
    """The secret kept in folder/name, created (256 random bits, mode 0600) if it does not exist yet."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return value
        raise RuntimeError(f"{path} is empty; delete it and start again") from None
    value = secrets.token_urlsafe(32)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value


def with_secrets(config: Settings) -> Settings:
    """The settings with every secret filled in: from the environment if given, else from var/."""
    values = {}
    for variable, filename in SECRETS.items():
        field = variable.lower()
        if not getattr(config, field).get_secret_value():
            values[field] = SecretStr(local_secret(config.var_dir, filename))
    return replace(config, **values)
