"""Answer, offer choices or admit there is nothing: from how likely the best entry is the right one.

A public-sector assistant lives on trust: one confidently wrong answer costs more than an honest
"I don't know, here is a person". Thresholds on the fused score alone could not tell a right
answer from a wrong one well enough (on SweFAQ test, with the right answer removed from the index,
they still answered 54 % of questions). Other evidence testifies too, and costs nothing to read:

* the best score, and its margin over the runner-up;
* whether independent signals agree: is the best entry also the best by meaning (dense e5), by
  words (BM25) and by latent terms (sparse)? A wrong best entry usually wins on one signal only;
* the best entry's own dense, lexical and sparse scores;
* whether the NLU's topic (when it names one) is the entry's topic;
* whether the entry is written in the person's language.

``Judge`` turns them into the probability that the best entry is right with a logistic model
(``knowledge.tuning.precision`` fits it with scikit-learn on leave-one-out questions whose right
entry was removed, and chooses the probabilities at which to answer and to offer choices for
precision); here it is a dot product over weights read from ``thresholds.json``, so the app never
imports scikit-learn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from knowledge.content.entries import FaqEntry

#: The signals that can each be an entry's best: the best entry "leads" on those it wins.
SIGNALS = ("dense", "lexical", "sparse")

#: What the judge reads of a search, in the order of its weights.
FEATURES = (
    "top_score", "margin", "top_dense", "top_lexical", "top_sparse",
    "leads_dense", "leads_lexical", "leads_sparse", "topic_agrees", "in_language",
)


@dataclass(frozen=True)
class Hit:
    """One FAQ entry found for a query.

    ``score`` is the fused score in [0, 1] (topic boost included) that ranking uses; ``dense`` is
    the entry's best raw cosine (any view), ``lexical`` its IDF-coverage BM25 and ``sparse`` its
    latent-term cosine; ``leads`` names the signals on which this entry is the best of all
    entries, and ``in_language`` whether it is written in the query's language.
    """

    faq_id: str
    topic: str
    score: float
    dense: float
    lexical: float
    sparse: float
    entry: FaqEntry | None = field(repr=False, compare=False)
    leads: frozenset[str] = frozenset()
    in_language: bool = True


class Outcome(str, Enum):
    ANSWER = "answer"  # confident: give the top entry's answer
    CHOICES = "choices"  # close call: let the person pick among 2-3 entries
    NONE = "none"  # nothing good enough: say so / offer a human host


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    hits: list[Hit]
    confidence: float = 0.0  # the judge's probability that the top entry is right

    @property
    def top(self) -> Hit | None:
        return self.hits[0] if self.hits else None


def features(hits: Sequence[Hit], topic: str | None = None) -> np.ndarray:
    """The judge's view of one search (hits best first, at least one)."""
    top = hits[0]
    second = hits[1].score if len(hits) > 1 else 0.0
    topic_agrees = 0.0 if not topic else (1.0 if top.topic == topic else -1.0)
    return np.array(
        [top.score, top.score - second, top.dense, top.lexical, top.sparse,
         *(float(signal in top.leads) for signal in SIGNALS), topic_agrees, float(top.in_language)],
        dtype=np.float64,
    )


@dataclass(frozen=True)
class Judge:
    """A logistic model of "the best entry is right", and the probabilities that decide.

    ANSWER when the probability is at least ``answer_at``; NONE below ``choices_at``; otherwise
    CHOICES among the best entries whose fused score is within ``choices_spread`` of the best
    (at least two, at most ``max_choices``) — unless one of them is the overview that ``covers``
    all the others: a close call among one answer and its own details is no choice, so the best
    of them answers (the overview for a general question; a detail the search put first for a
    specific one — the overview names the details, and every detail is part of the answer).
    That is the only safe reading of "the candidates are variants of one answer": measured, neither
    e5 similarity between entries nor a shared topic could tell variants from different questions
    (docs/ARCHITECTURE.md), so an editor says it in the content.
    """

    weights: tuple[float, ...] = (10.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    bias: float = -5.0
    answer_at: float = 0.5
    choices_at: float = 0.35
    choices_spread: float = 0.1
    max_choices: int = 3

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES):
            raise ValueError(f"the judge needs {len(FEATURES)} weights ({', '.join(FEATURES)})")
        if not 0.0 <= self.choices_at <= self.answer_at <= 1.0:
            raise ValueError("the judge needs 0 <= choices_at <= answer_at <= 1")

    def confidence(self, hits: Sequence[Hit], topic: str | None = None) -> float:
        """The probability that ``hits[0]`` is the right entry (0 when nothing was found)."""
        if not hits:
            return 0.0
        logit = float(np.dot(self.weights, features(hits, topic))) + self.bias
        return 1.0 / (1.0 + math.exp(-max(min(logit, 50.0), -50.0)))

    def decide(self, hits: list[Hit], topic: str | None = None) -> Decision:
        """Hits must be sorted best first and be distinct entries (``Retriever.search`` guarantees both)."""
        confidence = self.confidence(hits, topic)
        if not hits or confidence < self.choices_at:
            return Decision(Outcome.NONE, [], confidence)
        if confidence >= self.answer_at:
            return Decision(Outcome.ANSWER, [hits[0]], confidence)
        close = [hit for hit in hits[: self.max_choices] if hit.score >= hits[0].score - self.choices_spread]
        close = close if len(close) >= 2 else hits[:2]
        if _overview(close) is not None:
            return Decision(Outcome.ANSWER, [close[0]], confidence)
        return Decision(Outcome.CHOICES, close, confidence)


def _overview(close: Sequence[Hit]) -> Hit | None:
    """The candidate whose entry covers every other candidate, if there is one."""
    for hit in close:
        covered = set(hit.entry.covers) if hit.entry is not None else set()
        if all(other.faq_id in covered for other in close if other is not hit):
            return hit
    return None
