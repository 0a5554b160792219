"""Drafts and publishing on a small FAQ tree: checks by field, the YAML written, who published what,
the indexes rebuilt, and a failed rebuild that changes nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from editing.drafts import Drafts, EditStatus, NotAllowed, PublishFailed, fed_by
from knowledge.content.entries import load_layer
from storage.schema import faq_edits
from storage.store import Store
from tests.unit.knowledge.faq_trees import GOOD_LOCAL, faq_tree, shared_entry


@dataclass(frozen=True)
class Account:
    id: int
    layer: str

    def may_edit(self, layer: str) -> bool:
        return layer == self.layer


EDITOR, STRANGER = Account(7, "boden"), Account(8, "jokkmokk")


def _new_entry(**change: Any) -> dict[str, Any]:
    body = copy.deepcopy(GOOD_LOCAL)
    body.update(id="boden.housing.dogs", questions={**body["questions"], "en": ["Can we bring our dog?", "Pets?"]})
    body.update(change)
    return body


def _run(database_url: str, tmp_path: Path, body: Any, builder: Any = None) -> Any:
    root = faq_tree(tmp_path, {"shared/q.yml": shared_entry(), "boden/q.yml": GOOD_LOCAL})
    built: list[str] = []

    def record(index: str, tree: Path) -> bool:
        built.append(index)
        if builder is not None:
            builder(index)
        return True

    async def main() -> Any:
        store = Store(database_url)
        await store.create_schema()
        try:
            return await body(Drafts(store, root, record), root, built, store)
        finally:
            await store.close()

    return asyncio.run(main())


def test_a_draft_with_problems_is_kept_but_not_published(database_url: str, tmp_path: Path) -> None:
    async def body(drafts: Drafts, root: Path, built: list[str], store: Store) -> Any:
        edit, problems = await drafts.save(EDITOR, "boden", _new_entry(topic="weather", sources=[]))
        refused = await drafts.publish(EDITOR, await drafts.get(edit.id))
        return edit, problems, refused, [e.id for e in load_layer("boden", root)], built

    edit, problems, refused, ids, built = _run(database_url, tmp_path, body)
    assert edit.status is EditStatus.DRAFT and set(problems) == {"topic", "sources"}
    assert refused == problems and "boden.housing.dogs" not in ids and built == []


def test_publishing_writes_the_file_rebuilds_and_records_who_and_when(database_url: str, tmp_path: Path) -> None:
    async def body(drafts: Drafts, root: Path, built: list[str], store: Store) -> Any:
        edit, problems = await drafts.save(EDITOR, "boden", _new_entry())
        assert problems == {}
        assert await drafts.publish(EDITOR, edit) == {}
        async with store.engine.connect() as connection:
            row = (await connection.execute(select(faq_edits).where(faq_edits.c.id == edit.id))).mappings().one()
        return row, {e.id: e for e in load_layer("boden", root)}, built, (root / "boden" / "housing_dogs.yml")

    row, entries, built, path = _run(database_url, tmp_path, body)
    assert entries["boden.housing.dogs"].questions["en"] == ["Can we bring our dog?", "Pets?"]
    assert built == ["boden"]
    assert row["status"] == "published" and row["published_by"] == EDITOR.id and row["published_at"] is not None
    assert row["before"] is None and row["after"] == path.read_text(encoding="utf-8")


def test_a_failed_rebuild_puts_the_old_file_back(database_url: str, tmp_path: Path) -> None:
    def broken(index: str) -> None:
        raise MemoryError("no room for the index")

    async def body(drafts: Drafts, root: Path, built: list[str], store: Store) -> Any:
        before = (root / "boden" / "q.yml").read_text(encoding="utf-8")
        changed = {**copy.deepcopy(GOOD_LOCAL), "answer": {**GOOD_LOCAL["answer"], "en": "A new answer."}}
        edit, _ = await drafts.save(EDITOR, "boden", changed)
        with pytest.raises(PublishFailed):
            await drafts.publish(EDITOR, edit)
        return before, (root / "boden" / "q.yml").read_text(encoding="utf-8"), (await drafts.get(edit.id)).status

    before, after, status = _run(database_url, tmp_path, body, builder=broken)
    assert after == before and status is EditStatus.DRAFT


def test_nobody_edits_another_municipalitys_layer(database_url: str, tmp_path: Path) -> None:
    async def body(drafts: Drafts, root: Path, built: list[str], store: Store) -> Any:
        with pytest.raises(NotAllowed):
            await drafts.save(STRANGER, "boden", _new_entry())
        edit, _ = await drafts.save(EDITOR, "boden", _new_entry())
        with pytest.raises(NotAllowed):
            await drafts.publish(STRANGER, edit)
        wrong_prefix, _ = await drafts.save(EDITOR, "boden", _new_entry(id="jokkmokk.housing.dogs"))
        return await drafts.check("boden", wrong_prefix.body)

    assert _run(database_url, tmp_path, body) == {"id": "must start with 'boden.'"}


def test_the_shared_layer_feeds_every_municipality() -> None:
    assert fed_by("boden") == ["boden"]
    assert fed_by("shared")[0] == "shared" and "lulea" in fed_by("shared") and len(fed_by("shared")) >= 9
