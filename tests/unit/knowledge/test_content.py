"""FAQ content: the municipality's view of the layers, and where the repository's content lives."""

from pathlib import Path

from knowledge.content.entries import FAQ_ROOT, entries_for
from tests.unit.knowledge.faq_trees import GOOD_LOCAL, faq_tree, shared_entry


def test_local_entry_overrides_the_shared_one(tmp_path: Path) -> None:
    root = faq_tree(tmp_path, {
        "shared/q.yml": shared_entry(),
        "shared/other.yml": shared_entry("shared.housing.other"),
        "boden/q.yml": {**GOOD_LOCAL, "overrides": "shared.housing.queue"},
    })
    ids = {entry.id for entry in entries_for("boden", root)}
    assert ids == {"shared.housing.other", "boden.housing.queue"}
    assert {entry.id for entry in entries_for("lulea", root)} == {"shared.housing.queue", "shared.housing.other"}


def test_faq_root_is_the_repository_folder() -> None:
    assert (FAQ_ROOT / "shared").is_dir()
