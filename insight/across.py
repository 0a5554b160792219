"""Insight across municipal borders: what people ask everywhere, and good local answers others lack.

The Norrbotten municipalities' aim is to share what they learn about newcomers. Two views serve it:

* topics by municipality — how often each topic was answered where, for a period, so the region
  sees which needs are common and which are local;
* local answers others lack — a municipality's own entries that people actually got in the
  period, and for each the municipalities whose FAQ has no local answer to the same question.
  "Has an answer" is decided by asking that municipality's index the entry's question (with the
  place renamed): its own local entry must come first, and the judge must be sure enough to
  answer. A shared entry does not count: it is the national rule, not local knowledge. An editor
  of a municipality that lacks the answer can start from it (``console.faq``), writing their own
  municipality's facts and sources.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

import municipalities
from base.workers import off_loop
from insight.figures import Period
from knowledge.content.entries import SHARED_LAYER, FaqEntry, entry_by_id
from knowledge.search.decision import Outcome
from knowledge.search.retriever import Retriever, shared_retriever
from storage.schema import messages
from storage.store import Store

#: How many of the most answered local entries are compared (each costs one search per municipality).
MOST_ANSWERED = 20


@dataclass(frozen=True)
class Adoptable:
    entry: FaqEntry
    answered: int  # how often people got it in the period
    lacking: tuple[str, ...]  # municipalities without a local answer to its question


async def answered_entries(store: Store, period: Period) -> Counter[str]:
    """How often each entry was given as an answer in the period, every municipality."""
    query = select(messages.c.data).where(messages.c.direction == "out", messages.c.created_at >= period.start,
                                          messages.c.created_at < period.end)
    async with store.engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    counted: Counter[str] = Counter()
    for (data,) in rows:
        custom = (data or {}).get("custom") or {}
        if custom.get("response") == "utter_faq_answer" and custom.get("faq_id"):
            counted[str(custom["faq_id"])] += 1
    return counted


def topics_by_municipality(answered: Counter[str]) -> dict[str, Counter[str]]:
    """Answers per topic and municipality (the shared layer's answers count for where they were given
    only in the analytics; here an answer counts for its entry's layer, local or "shared")."""
    table: dict[str, Counter[str]] = {}
    for faq_id, count in answered.items():
        entry = entry_by_id(faq_id)
        if entry is not None:
            table.setdefault(entry.topic, Counter())[entry.layer] += count
    return table


def has_local_answer(entry: FaqEntry, municipality: str, retriever: Retriever) -> bool:
    """Whether the municipality answers the entry's question with an entry of its own."""
    for language in ("en", "sv"):
        question = municipalities.renamed(entry.questions.get(language, [""])[0], municipality)
        decision = retriever.decide(retriever.search(question, municipality, language, entry.topic), entry.topic)
        top = decision.top
        if decision.outcome is Outcome.ANSWER and top is not None and top.entry is not None \
                and top.entry.layer == municipality:
            return True
    return False


def lacking(answered: Counter[str], retriever: Retriever | None = None,
            lookup: Callable[[str], FaqEntry | None] = entry_by_id) -> list[Adoptable]:
    """The most answered local entries and where their question has no local answer. CPU-bound."""
    retriever = retriever or shared_retriever()
    local = [(lookup(faq_id), count) for faq_id, count in answered.most_common()]
    chosen = [(entry, count) for entry, count in local if entry is not None and entry.layer != SHARED_LAYER]
    found = []
    for entry, count in chosen[:MOST_ANSWERED]:
        others = [m for m in municipalities.load_all() if m != entry.layer]
        missing = tuple(m for m in others if not has_local_answer(entry, m, retriever))
        if missing:
            found.append(Adoptable(entry, count, missing))
    return found


async def across(store: Store, period: Period) -> tuple[dict[str, Counter[str]], list[Adoptable]]:
    answered = await answered_entries(store, period)
    return topics_by_municipality(answered), await off_loop(lacking, answered)
