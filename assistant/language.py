"""Which language to answer in.

langdetect is unreliable on short texts ("hej" → Albanian), so: an explicit request wins; a
long, confidently detected message in a supported language switches; otherwise the
conversation keeps its language, then the channel's hint (the client's language), then English.
Detection only considers the supported languages plus a few common others, so that a short
Swedish text is not taken for Albanian and a Dutch one is still recognised as unsupported.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

import yaml

from base.definitions import FALLBACK_LANGUAGE, LANGUAGES

#: Languages langdetect may answer with: the supported ones plus a few common unsupported ones
#: that do not mimic them on short texts (Russian would take most Ukrainian messages, Portuguese,
#: Estonian and Lithuanian take short Spanish and Finnish ones).
_PROFILES = (*LANGUAGES, "nl", "fr", "it")
#: Glosses in parentheses, e.g. "Kita (förskola)", are Swedish terms, not the writer's language.
_PARENTHESES = re.compile(r"\([^)]*\)")
_MIN_LETTERS = 15
_MIN_WORDS = 3
_CONFIDENT = 0.80
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _factory():
    import langdetect
    from langdetect.detector_factory import DetectorFactory

    profiles_dir = Path(langdetect.__file__).parent / "profiles"
    factory = DetectorFactory()
    factory.load_json_profile([(profiles_dir / code).read_text(encoding="utf-8") for code in _PROFILES])
    factory.set_seed(0)  # deterministic answers
    return factory


def _without_names(text: str) -> str:
    """The text without place names and parenthesised glosses, which are Swedish in any language."""
    import municipalities

    text = _PARENTHESES.sub(" ", text)
    forms = {form for place in municipalities.load_all().values() for form in (place.name, *place.aliases)}
    for form in sorted(forms, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(form)}\w*", " ", text, flags=re.IGNORECASE)
    return text


def detect(text: str) -> tuple[str | None, float]:
    """The most probable language of text and its probability; (None, 0) without letters."""
    text = _without_names(text)
    if not any(ch.isalpha() for ch in text):
        return None, 0.0
    with _lock:  # langdetect's factory is not thread-safe
        detector = _factory().create()
        detector.append(text)
        try:
            best = detector.get_probabilities()[0]
        except Exception:  # langdetect raises on texts without features
            return None, 0.0
    return best.lang, float(best.prob)


def _is_long(text: str) -> bool:
    letters = sum(ch.isalpha() for ch in text)
    return letters >= _MIN_LETTERS and len(text.split()) >= _MIN_WORDS


def choose_language(
    text: str,
    current: str | None = None,
    hint: str | None = None,
    requested: str | None = None,
) -> str:
    """The language to reply in, given the message and what the conversation already knows."""
    if requested in LANGUAGES:
        return requested
    hint = normalise_code(hint)
    detected, probability = detect(text)
    confident = detected in LANGUAGES and probability >= _CONFIDENT
    if confident and (_is_long(text) or not (current or hint in LANGUAGES)):
        return detected
    if current in LANGUAGES:
        return current
    if hint in LANGUAGES:
        return hint
    return FALLBACK_LANGUAGE


def normalise_code(code: str | None) -> str | None:
    """'pl-PL', 'PL', 'pl_PL' → 'pl'; anything else → None."""
    if not code or not isinstance(code, str):
        return None
    base = re.split(r"[-_]", code.strip().lower())[0]
    return base if base.isalpha() and 2 <= len(base) <= 3 else None


@lru_cache(maxsize=1)
def _names() -> list[tuple[str, str]]:
    path = Path(__file__).resolve().parent / "language_names.yml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    pairs = [(_fold(name), code) for code, names in raw.items() for name in names if code in LANGUAGES]
    return sorted(pairs, key=lambda pair: -len(pair[0]))  # longest name first


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text.casefold())


def requested_language(text: str) -> str | None:
    """The language a "please answer in X" message names, if any."""
    folded = _fold(text)
    for name, code in _names():
        if name in folded:
            return code
    return None
