"""Small FAQ trees for the content and validation tests, written to a tmp dir (the loaders take a root)."""

from __future__ import annotations

from pathlib import Path

import yaml

from base.definitions import LANGUAGES

GOOD_LOCAL = {
    "id": "boden.housing.queue",
    "topic": "housing",
    "questions": {"sv": ["Hur ställer jag mig i bostadskö?", "Bostadskö i Boden?"],
                  "en": ["How do I join the housing queue?", "Housing queue in Boden?"],
                  **{lang: [f"question {lang}?"] for lang in LANGUAGES if lang not in ("sv", "en")}},
    "answer": {lang: f"answer {lang}" for lang in LANGUAGES},
    "sources": ["https://bodenbo.se/?p=7937"],
    "verified": "2026-11-23",
    "time_sensitive": True,
}


def shared_entry(entry_id: str = "shared.housing.queue") -> dict:
    return {**GOOD_LOCAL, "id": entry_id, "answer": {lang: f"answer {lang}" for lang in LANGUAGES}}


def faq_tree(tmp_path: Path, files: dict[str, dict | str]) -> Path:
    root = tmp_path / "faq"
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True))
    return root
