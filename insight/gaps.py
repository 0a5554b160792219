"""The FAQ gap report: questions the assistant could not answer well, grouped by meaning.

A question counts when the assistant did not answer it (asked to rephrase, said it was out of
scope, offered a person), could only offer choices (a close call: the index was not sure), or
when a handoff followed it. The questions are grouped across languages by their e5 vectors
(the model the index already uses: "where can I keep my dog?" and "gdzie mogę trzymać psa?" land
together) with SciPy's hierarchical clustering on cosine distance — average linkage, cut at a
distance, so the number of groups follows the questions and no group is forced. (scikit-learn's
AgglomerativeClustering does the same, but importing it loads scipy.stats, which breaks in the
app server, where torch is marked absent on purpose: ``app/serve.py``.)

Each group has its count, how many municipalities and which languages it came from, whether it
grew in the second half of the period, and a few examples. The examples are what people wrote,
so the caller hands in a ``clean`` function (the console's is ``handoff.privacy.mask``) that
runs before anything else: identifiers are neither shown nor embedded (a personal number in one
question would otherwise also pull it away from its group).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace

import numpy as np
from sqlalchemy import select

from base.messages import Author
from base.workers import off_loop
from insight.figures import Period
from knowledge.model.encoder import shared_encoder
from storage.schema import conversations, messages
from storage.store import Store, aware

#: Replies that mean the question was not answered, by the response they were rendered from.
NOT_ANSWERED = frozenset({"utter_ask_rephrase", "utter_out_of_scope", "utter_default", "utter_offer_human"})
CHOICES = "utter_faq_choices"
#: The gateway's handoff intake opens with one of these: the person was handed on.
HANDOFF_PREFIX = "handoff_"
#: Cosine distance at which two groups stop merging. With e5-small one question in two languages
#: lies 0.05-0.19 apart and different questions 0.17-0.29, so the band is narrow: on twelve
#: questions (pets, parking, fishing licences, two loners; five languages) thresholds 0.17-0.20
#: grouped right, on the test's seven (pets, skiing, shops) 0.181-0.22; 0.19 is inside both.
#: A group that should be one may still come out as two; a report reader sees both.
DISTANCE = 0.19
#: The most questions one report groups (the most recent): clustering is quadratic in them.
MAX_QUESTIONS = 2000
EXAMPLES = 5
MIN_CHARS = 8  # "hej", "ok?" are no question to write an answer for


@dataclass(frozen=True)
class Asked:
    text: str
    language: str
    municipality: str | None
    at: dt.datetime
    why: str  # "not_answered", "choices" or "handed"


@dataclass(frozen=True)
class Gap:
    count: int
    municipalities: tuple[str, ...]
    languages: tuple[tuple[str, int], ...]
    earlier: int  # in the first half of the period
    later: int  # in the second half
    examples: tuple[Asked, ...]

    @property
    def trend(self) -> str:
        return "up" if self.later > self.earlier else "down" if self.later < self.earlier else "flat"


async def unanswered(store: Store, period: Period, scope: Collection[str] | None) -> list[Asked]:
    """The questions of the period the assistant did not answer well, most recent last."""
    joined = messages.join(conversations, messages.c.conversation_id == conversations.c.id)
    query = (select(messages.c.conversation_id, messages.c.direction, messages.c.author, messages.c.text,
                    messages.c.data, messages.c.created_at, conversations.c.language, conversations.c.municipality)
             .select_from(joined).where(messages.c.created_at >= period.start, messages.c.created_at < period.end)
             .order_by(messages.c.conversation_id, messages.c.id))
    if scope is not None:
        query = query.where(conversations.c.municipality.in_(tuple(scope)))
    async with store.engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    found: list[Asked] = []
    question = None
    for row in rows:
        if row.direction == "in":
            text = (row.text or "").strip()
            question = row if len(text) >= MIN_CHARS and not text.startswith("/") else None
            continue
        if question is None or row.author == Author.HOST:
            continue
        response = str(((row.data or {}).get("custom") or {}).get("response") or "")
        why = ("not_answered" if response in NOT_ANSWERED else "choices" if response == CHOICES
               else "handed" if response.startswith(HANDOFF_PREFIX) else None)
        if why is not None:
            found.append(Asked(question.text.strip(), question.language or "unknown", question.municipality,
                               aware(question.created_at), why))
            question = None  # one question counts once, however many replies it got
    found.sort(key=lambda asked: asked.at)
    return found[-MAX_QUESTIONS:]


def group(asked: Sequence[Asked], period: Period, encode: Callable[[list[str]], np.ndarray] | None = None,
          clean: Callable[[str], str] = str) -> list[Gap]:
    """The questions (cleaned first) grouped by meaning, the largest group first. CPU-bound: off the event loop."""
    if not asked:
        return []
    asked = [replace(a, text=clean(a.text)) for a in asked]
    if len(asked) == 1:
        labels = np.zeros(1, dtype=int)
    else:
        from scipy.cluster.hierarchy import fcluster, linkage  # only the report needs it, not every request

        vectors = np.asarray((encode or shared_encoder().queries)([a.text for a in asked]), dtype=np.float64)
        labels = fcluster(linkage(vectors, method="average", metric="cosine"), t=DISTANCE, criterion="distance")
    middle = period.start + (period.end - period.start) / 2
    gaps = []
    for label in set(labels.tolist()):
        members = [a for a, mine in zip(asked, labels, strict=True) if mine == label]
        places = sorted({a.municipality for a in members if a.municipality})
        languages = Counter(a.language for a in members).most_common()
        earlier = sum(1 for a in members if a.at < middle)
        gaps.append(Gap(len(members), tuple(places), tuple(languages), earlier, len(members) - earlier,
                        tuple(reversed(members[-EXAMPLES:]))))
    return sorted(gaps, key=lambda gap: (-gap.count, -len(gap.municipalities)))


async def gaps(store: Store, period: Period, scope: Collection[str] | None,
               clean: Callable[[str], str] = str) -> list[Gap]:
    """The period's gaps; ``clean`` masks what people wrote before it is grouped or shown."""
    return await off_loop(group, await unanswered(store, period, scope), period, None, clean)
