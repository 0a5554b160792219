"""Per-language catalogs of the assistant's fixed texts (base/locales/<lang>.yml).

Every user-facing sentence the assistant says on its own lives in these files, never in code. A
text that counts something is a mapping of CLDR plural categories (``one``, ``few``, ``many``,
``other``, and for Arabic ``zero`` and ``two``) chosen by Babel's plural rules for the ``count``
value: Polish "1 minuta / 3 minuty / 5 minut" cannot be written as one template.
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml
from babel import Locale

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


def plural_category(language: str, count: float) -> str:
    """The CLDR plural category of count in language ("one", "few", "many", "other"…)."""
    return Locale.parse(language).plural_form(abs(count))


def plural_form(forms: dict[str, str], language: str, count: float) -> str:
    """The form of a counting text for count, by the language's rules ("other" when it lacks one)."""
    return forms.get(plural_category(language, count)) or forms["other"]


def text(language: str, key: str, **values: Any) -> str:
    """The catalog text for key in language (English if the language lacks it), filled in.

    A plural text needs ``count``; its form for that number is chosen by the language's rules.
    """
    lang = language if language in LANGUAGES else FALLBACK_LANGUAGE
    if catalog(lang).get(key) is None:
        lang = FALLBACK_LANGUAGE
    template = catalog(lang).get(key)
    if template is None:
        raise KeyError(f"no catalog text {key!r}")
    if isinstance(template, dict):
        if "count" not in values:
            raise KeyError(f"catalog text {key!r} has plural forms and needs a count")
        template = plural_form(template, lang, values["count"])
    return template.format_map(_Blank(values)).strip()
