"""The hosts' texts (handoff/locales/<lang>.yml): console pages, e-mails and masking labels.

Hosts work in Swedish or English, whatever language the newcomer writes in; one loader serves the
console, the e-mail notifications and the masking labels, so each text exists once per language.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

LOCALES = Path(__file__).resolve().parent / "locales"
#: The languages hosts can work in; the first is the default, and the language tickets are stored in.
HOST_LANGUAGES = ("sv", "en")
STORAGE_LANGUAGE = HOST_LANGUAGES[0]


@cache
def host_texts(language: str) -> dict[str, Any]:
    """Every host-facing text in language (one of HOST_LANGUAGES; anything else gets the default)."""
    chosen = language if language in HOST_LANGUAGES else STORAGE_LANGUAGE
    return yaml.safe_load((LOCALES / f"{chosen}.yml").read_text(encoding="utf-8"))
