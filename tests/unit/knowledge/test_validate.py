"""FAQ content rules: the validator names the file and field of every problem."""

from pathlib import Path

import pytest

import municipalities
from knowledge.content.entries import entries_for, load_layer
from knowledge.content.validate import problems
from tests.unit.knowledge.faq_trees import GOOD_LOCAL, faq_tree, shared_entry


def test_repository_content_is_valid_and_complete() -> None:
    assert problems() == []
    shared = load_layer("shared")
    assert len(shared) >= 40
    for municipality in municipalities.load_all():
        own = [e for e in entries_for(municipality) if e.layer == municipality]
        # A municipality the research says little about still has what it does say, and an entry
        # about itself that tells what the assistant cannot answer locally.
        assert len(own) >= 5 and any(e.topic == "general" for e in own), municipality
    for established in ("boden", "jokkmokk", "lulea", "skelleftea"):
        assert len([e for e in entries_for(established) if e.layer == established]) >= 25, established


def test_a_good_tree_has_no_problems(tmp_path: Path) -> None:
    root = faq_tree(tmp_path, {"shared/q.yml": shared_entry(), "boden/q.yml": GOOD_LOCAL})
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
        ({"answer": {"sv": "Det kostar 250 kr.", "en": "It costs 250 SEK."}, "time_sensitive": False},
         "time_sensitive"),
    ],
)
def test_malformed_entries_are_rejected_with_file_and_field(tmp_path: Path, change: dict, field: str) -> None:
    root = faq_tree(tmp_path, {"shared/q.yml": shared_entry(), "boden/bad.yml": {**GOOD_LOCAL, **change}})
    found = problems(root)
    assert len(found) >= 1
    assert any(str(root / "boden" / "bad.yml") in line and f"'{field}" in line for line in found), found


def test_shared_entries_must_answer_in_every_language(tmp_path: Path) -> None:
    entry = shared_entry()
    del entry["answer"]["uk"]
    found = problems(faq_tree(tmp_path, {"shared/q.yml": entry}))
    assert any("missing ['uk']" in line for line in found), found


def test_a_figure_missing_from_one_language_is_named_at_its_field(tmp_path: Path) -> None:
    entry = shared_entry()
    entry["answer"] = {lang: f"It costs 1 500 SEK and takes 4 months ({lang})." for lang in entry["answer"]}
    entry["answer"]["fi"] = "Se maksaa 1500 kruunua ja kestää neljä kuukautta."  # 4 written as a word
    entry["answer"]["ar"] = "تكلف ١٬٥٠٠ كرونة وتستغرق 4 أشهر."  # Arabic-Indic digits and separator: the same figures
    found = problems(faq_tree(tmp_path, {"shared/q.yml": entry}))
    assert len(found) == 1 and "fi lacks ['4'] and adds []" in found[0] and "ar lacks" not in found[0], found


def test_broken_yaml_and_duplicate_ids_and_dangling_overrides(tmp_path: Path) -> None:
    root = faq_tree(tmp_path, {
        "shared/q.yml": shared_entry(),
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


def test_an_overview_covers_only_entries_of_its_municipality_and_topic(tmp_path: Path) -> None:
    root = faq_tree(tmp_path, {
        "shared/q.yml": shared_entry(),
        "shared/tax.yml": {**shared_entry("shared.work.tax"), "topic": "work"},
        "boden/overview.yml": {**GOOD_LOCAL, "id": "boden.housing.overview",
                               "covers": ["boden.housing.queue", "shared.housing.queue"]},
        "boden/q.yml": GOOD_LOCAL,
        "boden/bad.yml": {**GOOD_LOCAL, "id": "boden.housing.bad",
                          "covers": ["shared.work.tax", "lulea.housing.queue"]},
        "boden/itself.yml": {**GOOD_LOCAL, "id": "boden.housing.itself", "covers": ["boden.housing.itself"]},
    })
    found = "\n".join(problems(root))
    assert "overview.yml" not in found
    assert "'shared.work.tax' is about work, this entry about housing" in found
    assert "'lulea.housing.queue' is not an entry 'boden' answers with" in found
    assert "itself.yml: field 'covers': an entry cannot cover itself" in found


def test_a_shared_overview_cannot_cover_a_local_entry(tmp_path: Path) -> None:
    root = faq_tree(tmp_path, {
        "shared/q.yml": {**shared_entry(), "covers": ["boden.housing.queue"]},
        "boden/q.yml": GOOD_LOCAL,
    })
    assert any("'boden.housing.queue' is not an entry 'shared' answers with" in line for line in problems(root))
