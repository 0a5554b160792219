"""Per-language catalogs of the assistant's fixed texts (base/locales/<lang>.yml).

Every user-facing sentence the assistant says on its own lives in these files, never in code.
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

from base.definitions import FALLBACK_LANGUAGE, LANGUAGES

LOCALES = Path(__file__).resolve().parent / "locales"


class _Blank(dict):
    """Leaves unknown placeholders empty instead of failing mid-conversation."""

    def __missing__(self, key: str) -> str:
        return ""


@cache
def catalog(language: str) -> dict[str, str]:
    path = LOCALES / f"{language}.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}


@lru_cache(maxsize=1)
def autonyms() -> dict[str, str]:
    """Each language's name in itself, for language buttons."""
    return yaml.safe_load((LOCALES / "_languages.yml").read_text(encoding="utf-8"))


def text(language: str, key: str, **values: Any) -> str:
    """The catalog text for key in language (English if the language lacks it), filled in."""
    lang = language if language in LANGUAGES else FALLBACK_LANGUAGE
    template = catalog(lang).get(key) or catalog(FALLBACK_LANGUAGE).get(key)
    if template is None:
        raise KeyError(f"no catalog text {key!r}")
    return template.format_map(_Blank(values)).strip()
