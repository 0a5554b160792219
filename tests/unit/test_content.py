"""FAQ content rules: the validator names the file and field of every problem."""

from pathlib import Path

import pytest
import yaml

import municipalities
from base.definitions import LANGUAGES
from knowledge.content import FAQ_ROOT, entries_for, load_layer
from knowledge.validate import problems

GOOD_LOCAL = {
    "id": "boden.housing.queue",
    "topic": "housing",
    "questions": {"sv": ["Hur ställer jag mig i bostadskö?", "Bostadskö i Boden?"],
                  "en": ["How do I join the housing queue?", "Housing queue in Boden?"]},
    "answer": {"sv": "Svar.", "en": "Answer."},
    "sources": ["https://bodenbo.se/?p=7937"],
    "verified": "2026-11-23",
    "time_sensitive": True,
}


def _shared(entry_id: str = "shared.housing.queue") -> dict:
    return {**GOOD_LOCAL, "id": entry_id, "answer": {lang: f"answer {lang}" for lang in LANGUAGES}}


def _tree(tmp_path: Path, files: dict[str, dict | str]) -> Path:
    root = tmp_path / "faq"
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True))
    return root


def test_repository_content_is_valid_and_complete() -> None:
    assert problems() == []
    shared = load_layer("shared")
    assert len(shared) >= 40
    for municipality in municipalities.load_all():
        own = [e for e in entries_for(municipality) if e.layer == municipality]
        assert len(own) >= 25, municipality


def test_a_good_tree_has_no_problems(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"shared/q.yml": _shared(), "boden/q.yml": GOOD_LOCAL})
    assert problems(root) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"topic": "weather"}, "topic"),
        ({"sources": []}, "sources"),
        ({"verified": "yesterday"}, "verified"),
        ({"questions": {"sv": ["bara en"], "en": ["one", "two"]}}, "questions.sv"),
        ({"answer": {"sv": "Svar."}}, "answer.en"),
        ({"answer": {"sv": "Svar.", "en": "Answer.", "xx": "?"}}, "answer"),
        ({"sources": ["not a url"]}, "sources.0"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_malformed_entries_are_rejected_with_file_and_field(tmp_path: Path, change: dict, field: str) -> None:
    root = _tree(tmp_path, {"shared/q.yml": _shared(), "boden/bad.yml": {**GOOD_LOCAL, **change}})
    found = problems(root)
    assert len(found) >= 1
    assert any(str(root / "boden" / "bad.yml") in line and f"'{field}" in line for line in found), found


def test_shared_entries_must_answer_in_every_language(tmp_path: Path) -> None:
    entry = _shared()
    del entry["answer"]["uk"]
    found = problems(_tree(tmp_path, {"shared/q.yml": entry}))
    assert any("missing ['uk']" in line for line in found), found


def test_broken_yaml_and_duplicate_ids_and_dangling_overrides(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "shared/q.yml": _shared(),
        "shared/broken.yml": "id: [unclosed",
        "boden/a.yml": {**GOOD_LOCAL, "overrides": "shared.housing.nothing"},
        "boden/b.yml": GOOD_LOCAL,
        "narnia/c.yml": {**GOOD_LOCAL, "id": "narnia.housing.x"},
    })
    found = "\n".join(problems(root))
    assert "broken.yml: not valid YAML" in found
    assert "is used by more than one entry" in found
    assert "no shared entry 'shared.housing.nothing'" in found
    assert "no municipality file municipalities/narnia.yml" in found


def test_local_entry_overrides_the_shared_one(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "shared/q.yml": _shared(),
        "shared/other.yml": _shared("shared.housing.other"),
        "boden/q.yml": {**GOOD_LOCAL, "overrides": "shared.housing.queue"},
    })
    ids = {entry.id for entry in entries_for("boden", root)}
    assert ids == {"shared.housing.other", "boden.housing.queue"}
    assert {entry.id for entry in entries_for("lulea", root)} == {"shared.housing.queue", "shared.housing.other"}


def test_faq_root_is_the_repository_folder() -> None:
    assert (FAQ_ROOT / "shared").is_dir()
