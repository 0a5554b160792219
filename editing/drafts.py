"""Editing FAQ answers without a developer: draft, check, publish, live everywhere within a minute.

An editor's change is a *draft* in the database until they publish it, so half-written answers
never reach newcomers and several people can see what is pending. Publishing checks the entry
with the rules of ``make validate`` (``knowledge.content.authoring``), writes the same YAML file a
developer would, rebuilds the index of every municipality the layer feeds, and records who
published what and when, with the file before and after. If the rebuild fails, the file is put
back and the previous index stays in use: a published edit never breaks the running bot.

Every app process notices the new index by itself (``Retriever`` looks at the index's manifest
and the content folders every few seconds), so no restart and no message between processes is
needed; the processes share the project folder, as they do for the index today.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import select, update

import municipalities
from base.clock import now
from base.workers import off_loop
from knowledge.content.authoring import field_problems, replace_text, write
from knowledge.content.entries import FAQ_ROOT, SHARED_LAYER
from knowledge.search.store import build
from storage.schema import faq_edits
from storage.store import Store


class EditStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    DISCARDED = "discarded"


@dataclass(frozen=True)
class Edit:
    id: int
    layer: str
    entry_id: str
    body: dict[str, Any]
    status: EditStatus
    created_by: int
    updated_at: dt.datetime
    published_by: int | None
    published_at: dt.datetime | None


class Editor(Protocol):
    """A console account, as far as editing needs it (``handoff.hosts.Host`` is one)."""

    id: int

    def may_edit(self, layer: str) -> bool: ...


class NotAllowed(Exception):
    """The account may not edit this layer."""


class PublishFailed(Exception):
    """The entry could not be made live; the previous file and index are in use."""


def _edit(row: Any) -> Edit:
    return Edit(id=row["id"], layer=row["layer"], entry_id=row["entry_id"], body=dict(row["body"]),
                status=EditStatus(row["status"]), created_by=row["created_by"], updated_at=row["updated_at"],
                published_by=row["published_by"], published_at=row["published_at"])


def fed_by(layer: str) -> list[str]:
    """The indexes a layer's entries are in: its own municipality's, or every one for the shared layer."""
    if layer == SHARED_LAYER:
        return [SHARED_LAYER, *municipalities.load_all()]
    return [layer]


class Drafts:
    def __init__(self, store: Store, root: Any = FAQ_ROOT, builder: Any = build) -> None:
        self.engine = store.engine
        self.root = root
        self.builder = builder

    async def check(self, layer: str, body: dict[str, Any]) -> dict[str, str]:
        """What ``make validate`` says about the entry, by field; empty when it may be published."""
        if not str(body.get("id") or "").startswith(f"{layer}."):
            return {"id": f"must start with '{layer}.'"}
        return await off_loop(field_problems, layer, body, self.root)

    async def save(self, account: Editor, layer: str, body: dict[str, Any], edit_id: int | None = None
                   ) -> tuple[Edit, dict[str, str]]:
        """Keep the draft (problems and all: it is work in progress) and say what would stop publishing."""
        if not account.may_edit(layer):
            raise NotAllowed()
        problems = await self.check(layer, body)
        stamp = now()
        async with self.engine.begin() as connection:
            if edit_id is not None:
                changed = await connection.execute(
                    update(faq_edits).where(faq_edits.c.id == edit_id, faq_edits.c.layer == layer,
                                            faq_edits.c.status == EditStatus.DRAFT)
                    .values(body=body, entry_id=str(body.get("id") or ""), updated_at=stamp))
                if not changed.rowcount:
                    raise NotAllowed()
            else:
                result = await connection.execute(faq_edits.insert().values(
                    layer=layer, entry_id=str(body.get("id") or ""), body=body, status=EditStatus.DRAFT,
                    created_by=account.id, created_at=stamp, updated_at=stamp))
                edit_id = int(result.inserted_primary_key[0])
        found = await self.get(edit_id)
        assert found is not None
        return found, problems

    async def get(self, edit_id: int) -> Edit | None:
        async with self.engine.connect() as connection:
            row = (await connection.execute(select(faq_edits).where(faq_edits.c.id == edit_id))).mappings().first()
        return None if row is None else _edit(row)

    async def for_layer(self, layer: str, limit: int = 100) -> list[Edit]:
        """The layer's drafts and publications, newest first."""
        query = (select(faq_edits).where(faq_edits.c.layer == layer, faq_edits.c.status != EditStatus.DISCARDED)
                 .order_by(faq_edits.c.updated_at.desc()).limit(limit))
        async with self.engine.connect() as connection:
            return [_edit(row) for row in (await connection.execute(query)).mappings().all()]

    async def discard(self, account: Editor, edit: Edit) -> None:
        if not account.may_edit(edit.layer):
            raise NotAllowed()
        async with self.engine.begin() as connection:
            await connection.execute(update(faq_edits).where(faq_edits.c.id == edit.id,
                                                             faq_edits.c.status == EditStatus.DRAFT)
                                     .values(status=EditStatus.DISCARDED, updated_at=now()))

    async def publish(self, account: Editor, edit: Edit) -> dict[str, str]:
        """Make the draft live: problems by field if it may not be published, else {} once it is."""
        if not account.may_edit(edit.layer) or edit.status is not EditStatus.DRAFT:
            raise NotAllowed()
        problems = await self.check(edit.layer, edit.body)
        if problems:
            return problems
        path, before = await off_loop(write, edit.layer, edit.body, self.root)
        try:
            for index in fed_by(edit.layer):
                await off_loop(self.builder, index, self.root)
        except Exception as exc:
            await off_loop(replace_text, path, before)
            raise PublishFailed(type(exc).__name__) from exc
        after = await off_loop(path.read_text, "utf-8")
        async with self.engine.begin() as connection:
            await connection.execute(update(faq_edits).where(faq_edits.c.id == edit.id).values(
                status=EditStatus.PUBLISHED, published_by=account.id, published_at=now(), updated_at=now(),
                before=before, after=after))
        return {}
