"""FAQ entries as reviewable YAML files, and the municipality-specific view of them.

Layout: ``knowledge/faq/shared/*.yml`` is the national/regional layer every municipality
inherits; ``knowledge/faq/<municipality id>/*.yml`` holds that municipality's own entries.
A local entry with ``overrides: <shared id>`` replaces that shared entry for its municipality.
An entry with ``covers: [ids]`` is the overview answer to a question those entries answer in
detail: a close call among it and only entries it covers is answered with it, not offered as
choices (``knowledge.search.decision``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator, model_validator

from base.definitions import FAQ_TOPICS, LANGUAGES, REQUIRED_ANSWER_LANGUAGES
from base.paths import PROJECT_ROOT

#: The reviewed FAQ files; docs, the Makefile and contributors know them by this folder. FAQ_DIR
#: moves them (a deployment that keeps its content outside the code; the live tests edit a copy).
FAQ_ROOT = Path(os.environ.get("FAQ_DIR") or PROJECT_ROOT / "knowledge" / "faq")
SHARED_LAYER = "shared"


class ContentError(ValueError):
    """A malformed FAQ file; the message names the file and the field."""


#: A thousands separator between digits (1 500, 1,500, 1.500, 1'500, Arabic ٬), dropped before comparing.
_THOUSANDS = re.compile(r"(?<=\d)[ \u00a0\u202f.,'\u066c](?=\d{3}(?!\d))")
_DIGITS = re.compile(r"\d+")


#: An amount of money or a percentage: what docs/faq-format.md calls time-sensitive on its face.
_AMOUNT = re.compile(r"\d[\d \u00a0.,]*\s*(kr\b|kronor|sek\b|%|procent|percent|euro|eur\b|€)", re.IGNORECASE)


def numbers_in(text: str) -> set[str]:
    """The figures of a text, as integers written plainly (Arabic-Indic digits read as 0-9).

    Every language's answer must carry the same figures: a fee or a deadline that differs between
    the Swedish and the Polish answer is a translation error nobody reading one language can see.
    Decimals and times compare by their parts (12:30 -> 12, 30), the same in every language.
    """
    return {str(int(run)) for run in _DIGITS.findall(_THOUSANDS.sub("", text))}


class FaqEntry(BaseModel):
    """One question-and-answer unit with its provenance."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
    topic: str
    questions: dict[str, list[str]]
    answer: dict[str, str]
    sources: list[HttpUrl] = Field(min_length=1)
    verified: dt.date
    time_sensitive: bool = False
    overrides: str | None = None
    covers: tuple[str, ...] = ()
    layer: str = SHARED_LAYER

    @field_validator("topic")
    @classmethod
    def _known_topic(cls, value: str) -> str:
        if value not in FAQ_TOPICS:
            raise ValueError(f"unknown topic {value!r}; use one of {', '.join(FAQ_TOPICS)}")
        return value

    @field_validator("questions", "answer")
    @classmethod
    def _known_languages(cls, value: dict) -> dict:
        unknown = sorted(set(value) - set(LANGUAGES))
        if unknown:
            raise ValueError(f"unsupported language code(s) {unknown}; use {', '.join(LANGUAGES)}")
        return value

    @model_validator(mode="after")
    def _complete(self) -> FaqEntry:
        for lang in REQUIRED_ANSWER_LANGUAGES:
            phrasings = [q for q in self.questions.get(lang, []) if q.strip()]
            if len(phrasings) < 2:
                raise ValueError(f"questions.{lang}: needs at least two phrasings")
            if not self.answer.get(lang, "").strip():
                raise ValueError(f"answer.{lang}: missing")
        for lang, text in self.answer.items():
            if not text.strip():
                raise ValueError(f"answer.{lang}: empty")
        first = REQUIRED_ANSWER_LANGUAGES[0]
        reference = numbers_in(self.answer[first])
        differing = []
        for lang in (lang for lang in LANGUAGES if lang in self.answer):
            found = numbers_in(self.answer[lang])
            if found != reference:
                differing.append(f"{lang} lacks {sorted(reference - found)} and adds {sorted(found - reference)}")
        if differing:
            raise ValueError(f"answer: the figures differ from the {first} answer's ({'; '.join(differing)}); "
                             "write every figure with digits in every language")
        if not self.time_sensitive and any(_AMOUNT.search(self.answer[lang]) for lang in REQUIRED_ANSWER_LANGUAGES):
            raise ValueError("time_sensitive: the answer states an amount of money or a percentage, which can "
                             "change; set time_sensitive: true (docs/faq-format.md)")
        missing = [lang for lang in LANGUAGES if not self.answer.get(lang, "").strip()]
        if missing:
            raise ValueError(f"answer: every entry answers in every language; missing {missing}")
        unasked = [lang for lang in LANGUAGES if not any(q.strip() for q in self.questions.get(lang, []))]
        if unasked:
            raise ValueError(f"questions: every entry needs a phrasing in every language; missing {unasked}")
        if self.layer == SHARED_LAYER and self.overrides:
            raise ValueError("overrides: only a municipality's entry can override a shared one")
        if self.id in self.covers:
            raise ValueError("covers: an entry cannot cover itself")
        return self


def _format_error(path: Path, error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if not field and ": " in message:  # whole-entry checks name their field first
            field, message = message.split(": ", 1)
        lines.append(f"{path}: field '{field or '(entry)'}': {message}")
    return "\n".join(lines)


def load_file(path: Path, layer: str) -> FaqEntry:
    """Parse one entry file, raising ContentError that names the file and field."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ContentError(f"{path}: expected a mapping of fields, got {type(raw).__name__}")
    if "layer" in raw:
        raise ContentError(f"{path}: field 'layer': set by the folder, do not write it")
    try:
        return FaqEntry(**raw, layer=layer)
    except ValidationError as exc:
        raise ContentError(_format_error(path, exc)) from exc
    except TypeError as exc:
        raise ContentError(f"{path}: {exc}") from exc


def layer_files(layer: str, root: Path = FAQ_ROOT) -> list[Path]:
    return sorted((root / layer).glob("*.yml"))


def load_layer(layer: str, root: Path = FAQ_ROOT) -> list[FaqEntry]:
    return [load_file(path, layer) for path in layer_files(layer, root)]


def entries_for(municipality: str, root: Path = FAQ_ROOT) -> list[FaqEntry]:
    """The municipality's effective FAQ: shared layer, minus what it overrides, plus its own.

    ``SHARED_LAYER`` itself is the region's FAQ (a conversation that has no municipality yet).
    """
    if municipality == SHARED_LAYER:
        return load_layer(SHARED_LAYER, root)
    local = load_layer(municipality, root) if (root / municipality).is_dir() else []
    overridden = {entry.overrides for entry in local if entry.overrides}
    shared = [entry for entry in load_layer(SHARED_LAYER, root) if entry.id not in overridden]
    return shared + local


def edition(root: Path = FAQ_ROOT) -> tuple[int, ...]:
    """Changes whenever an entry file is added, replaced or removed (the console's editor writes by
    rename, which touches the folder): ten ``stat`` calls, so caches can check it on every use."""
    return tuple(folder.stat().st_mtime_ns for folder in sorted(root.iterdir()) if folder.is_dir())


def locally_answered(root: Path = FAQ_ROOT) -> frozenset[str]:
    """Shared entries some municipality answers with its own local version (they depend on the place)."""
    return _locally_answered(root, edition(root))


@lru_cache(maxsize=4)
def _locally_answered(root: Path, _edition: tuple[int, ...]) -> frozenset[str]:
    return frozenset(entry.overrides for folder in sorted(root.iterdir())
                     if folder.is_dir() and folder.name != SHARED_LAYER
                     for entry in load_layer(folder.name, root) if entry.overrides)


def content_fingerprint(paths: Iterable[Path]) -> str:
    """Hash of file names and bytes, so indexes rebuild only when content changed."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=2)
def _all_entries(root: Path, _edition: tuple[int, ...]) -> dict[str, FaqEntry]:
    found: dict[str, FaqEntry] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for entry in load_layer(folder.name, root):
            found[entry.id] = entry
    return found


def entry_by_id(entry_id: str) -> FaqEntry | None:
    """Any layer's entry by its id; content is read again only after an edit (``edition``)."""
    return _all_entries(FAQ_ROOT, edition(FAQ_ROOT)).get(entry_id)
