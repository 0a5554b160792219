"""Hybrid FAQ retrieval for one municipality; the answer / choices / nothing decision is ``decision``'s.

Scoring: every entry gets four component scores from ``knowledge.search.index.FaqIndex`` (best cosine
among its short question-like texts, best cosine of its whole answers, IDF-coverage BM25, sparse
latent-term cosine). Cosines of e5 live in a narrow band (~0.75-0.93), so they are mapped
affinely onto [0, 1] (``DENSE_LOW`` -> 0, 1.0 -> 1); the fused score is the weighted mean of the
four with weights that sum to one, so it lies in [0, 1] and is an *absolute* score: the same
number means the same confidence for every query, which is what thresholds need (reciprocal
rank fusion or per-query max-normalisation would give every query's best hit full marks).

The weights and the decision are not guessed: ``python -m app swefaq calibrate``
(``knowledge.tuning.swefaq``) chooses the weights on SweFAQ dev, checked by cross-validation,
``python -m app calibrate`` (``knowledge.tuning.precision``) fits the decision on SweFAQ dev and the
product's own held-out phrasings, and both write what they chose with the figures that justify it
to ``thresholds.json`` beside this module (``THRESHOLDS_PATH``); this module only reads that file.

When the NLU names a topic, entries of that topic get a small additive boost (soft: a clearly
better entry of another topic still wins, because intent classification is itself uncertain).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from base.definitions import MAX_MESSAGE_CHARS
from base.metrics import stage
from knowledge.content.entries import FAQ_ROOT, FaqEntry, edition
from knowledge.search.decision import Decision, Hit, Judge
from knowledge.search.encoders import Embedder, SparseEncoder, encode_query, shared_sparse
from knowledge.search.index import Components, FaqIndex
from knowledge.search.store import INDEX_ROOT, load

#: The calibrated fusion weights and thresholds: written by ``knowledge.tuning``, read here.
THRESHOLDS_PATH = Path(__file__).resolve().with_name("thresholds.json")
#: A follow-up's own share of the scores when it is read together with the question before it.
FOLLOW_UP_WEIGHT = 0.6
#: How often a process looks whether another one published an edit (a published answer is live
#: everywhere within this time plus the rebuild).
RECHECK_SECONDS = 5.0
DENSE_LOW = 0.70  # cosines at or below this are "unrelated" for e5-small (its floor is ~0.7)


@dataclass(frozen=True)
class Fusion:
    """Weights of the four component scores (they sum to one) and the topic boost."""

    dense_short: float = 0.3
    dense_answer: float = 0.3
    lexical: float = 0.2
    sparse: float = 0.2
    topic_boost: float = 0.03

    def __post_init__(self) -> None:
        total = self.dense_short + self.dense_answer + self.lexical + self.sparse
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"fusion weights must sum to 1, not {total}")

    def fuse(self, parts: Components) -> np.ndarray:
        """Fused score in [0, 1] per entry (before any topic boost); also works row-wise on 2-D.

        BM25 can only testify where the entry has text in the query's language. When it cannot
        — no word of the query exists in the index at all (a typo-only message), or the entry is
        not written in the query's language (a Ukrainian question, an entry in Swedish and
        English) and shares no word with it — its weight is spread over the other components
        instead of counting as a zero, so a cross-lingual match is judged on the same scale as a
        same-language one and a local entry is not beaten merely for lacking a translation.
        """
        lexical = np.clip(parts.lexical, 0.0, 1.0)
        weighted = (
            self.dense_short * rescale_cosine(parts.dense_short)
            + self.dense_answer * rescale_cosine(parts.dense_answer)
            + self.lexical * lexical
            + self.sparse * np.clip(parts.sparse, 0.0, 1.0)
        )
        testifies = lexical.max(axis=-1, keepdims=True, initial=0.0) > 0.0
        if parts.in_language is not None:
            testifies = testifies & (parts.in_language | (lexical > 0.0))
        return weighted / np.where(testifies, 1.0, max(1.0 - self.lexical, 1e-9))


def rescale_cosine(cosine: np.ndarray) -> np.ndarray:
    return np.clip((cosine - DENSE_LOW) / (1.0 - DENSE_LOW), 0.0, 1.0)


@dataclass(frozen=True)
class Settings:
    fusion: Fusion = field(default_factory=Fusion)
    judge: Judge = field(default_factory=Judge)
    calibrated: bool = False


@lru_cache(maxsize=4)
def load_settings(path: Path = THRESHOLDS_PATH) -> Settings:
    """The calibrated fusion weights and answer decision; defaults (flagged uncalibrated) if absent."""
    try:
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return Settings()
    judge = data["decision"]
    return Settings(Fusion(**data["fusion"]), Judge(**{**judge, "weights": tuple(judge["weights"])}), calibrated=True)


def rank(parts: Components, keys: Sequence[str], topics: Sequence[str], fusion: Fusion, topic: str | None = None,
         k: int = 5, entries: Sequence[FaqEntry] | None = None, without: Collection[int] = ()) -> list[Hit]:
    """The k best entries of one query's component scores, best first, each entry once.

    ``without`` leaves entries (by position) out as if they were not in the index: how calibration
    asks a question whose right answers do not exist.
    """
    fused = fusion.fuse(parts)
    if topic:
        boost = np.array([entry_topic == topic for entry_topic in topics], dtype=np.float32) * fusion.topic_boost
        fused = np.minimum(fused + boost, 1.0)
    dense = np.maximum(parts.dense_short, parts.dense_answer)
    signals = {"dense": dense, "lexical": parts.lexical, "sparse": parts.sparse}
    left_out = np.isin(np.arange(len(keys)), list(without))
    if left_out.any():
        fused = np.where(left_out, -np.inf, fused)
        signals = {name: np.where(left_out, -np.inf, values) for name, values in signals.items()}
    leaders = {name: int(np.argmax(values)) for name, values in signals.items() if np.max(values) > 0.0}
    order = [int(i) for i in np.argsort(-fused, kind="stable")[:k] if not left_out[i]]
    in_language = parts.in_language
    return [
        Hit(keys[i], topics[i], float(fused[i]), float(dense[i]), float(parts.lexical[i]), float(parts.sparse[i]),
            entries[i] if entries is not None else None,
            frozenset(name for name, leader in leaders.items() if leader == i),
            bool(in_language[i]) if in_language is not None else True)
        for i in order
    ]


class Retriever:
    """Searches a municipality's FAQ; loads each municipality's index once per process, lazily.

    Thread-safe: loading is guarded per municipality, the loaded arrays are only read, and the
    encoders may be called from several threads at once.
    """

    def __init__(
        self,
        root: Path = FAQ_ROOT,
        index_root: Path = INDEX_ROOT,
        embedder: Embedder | None = None,
        sparse: SparseEncoder | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.root = root
        self.index_root = index_root
        self._embedder = embedder
        self._sparse = sparse
        self.settings = settings or load_settings()
        self._loaded: dict[str, tuple[FaqIndex, list[FaqEntry]]] = {}
        self._stamps: dict[str, tuple[int, int]] = {}
        self._checked: dict[str, float] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from knowledge.model.encoder import shared_encoder

            self._embedder = shared_encoder()
        return self._embedder

    @property
    def sparse(self) -> SparseEncoder:
        if self._sparse is None:
            self._sparse = shared_sparse()
        return self._sparse

    def _index(self, municipality: str) -> tuple[FaqIndex, list[FaqEntry]]:
        """The loaded index, loaded again when another process published an edit meanwhile."""
        loaded = self._loaded.get(municipality)
        if loaded is not None and not self._replaced(municipality):
            return loaded
        with self._guard:
            lock = self._locks.setdefault(municipality, threading.Lock())
        with lock:
            if self._loaded.get(municipality) is loaded:  # nobody reloaded it while this thread waited
                self._stamps[municipality] = self._stamp(municipality)
                self._loaded[municipality] = load(municipality, self.root, self.index_root, self.embedder, self.sparse)
            return self._loaded[municipality]

    def _stamp(self, municipality: str) -> tuple[int, int]:
        """The index's manifest and the content folders as last changed (a published edit changes both)."""
        try:
            manifest = (self.index_root / municipality / "manifest.json").stat().st_mtime_ns
        except OSError:
            manifest = 0
        return manifest, hash(edition(self.root))

    def _replaced(self, municipality: str) -> bool:
        """The index or the content changed on disk since it was loaded (an edit published by any
        process): checked at most every ``RECHECK_SECONDS``, a few ``stat`` calls each time."""
        moment = time.monotonic()
        if moment - self._checked.get(municipality, 0.0) < RECHECK_SECONDS:
            return False
        self._checked[municipality] = moment
        return self._stamps.get(municipality) != self._stamp(municipality)

    def warm(self, municipality: str, languages: Iterable[str]) -> None:
        """Load now, not on a newcomer's first question, what searching this municipality needs.

        The first search of a process loads the models (seconds), each municipality's index
        (~300 ms) and each language's query tokenizer (60-180 ms): without this, the first
        Ukrainian speaker after a restart waits for all of it.
        """
        for language in languages:
            self.search("warm-up", municipality, language)

    def reload(self, municipality: str) -> None:
        """Forget a loaded index so the next search picks up rebuilt content."""
        with self._guard:
            self._loaded.pop(municipality, None)

    def components(self, query: str, municipality: str, language: str | None) -> tuple[Components, list[FaqEntry]]:
        index, entries = self._index(municipality)
        with stage("retrieval: query encoding"):
            encoding = encode_query(query, self.embedder, self.sparse)
        query_sparse = encoding.sparse if index.sparse is not None and self.settings.fusion.sparse else None
        with stage("retrieval: scoring"):
            return index.components(encoding.dense, query, language, query_sparse), entries

    def search(self, query: str, municipality: str, language: str | None = None, topic: str | None = None,
               k: int = 5, context: str | None = None, without: Collection[str] = ()) -> list[Hit]:
        """The k best entries, best first, each entry once (of the query's first MAX_MESSAGE_CHARS).

        With ``context`` (the question a follow-up refers to) the query's scores are blended with
        the context's (``Components.blend``, the query weighing ``FOLLOW_UP_WEIGHT``). ``without``
        names entries to leave out (the answer a follow-up follows: it asks for something else).
        """
        query = query[:MAX_MESSAGE_CHARS]
        if not query.strip():
            return []
        parts, entries = self.components(query, municipality, language)
        if context and context.strip():
            earlier, _ = self.components(context[:MAX_MESSAGE_CHARS], municipality, language)
            parts = parts.blend(earlier, FOLLOW_UP_WEIGHT)
        keys = [entry.id for entry in entries]
        left_out = [position for position, key in enumerate(keys) if key in without]
        return rank(parts, keys, [entry.topic for entry in entries], self.settings.fusion, topic, k, entries, left_out)

    def decide(self, hits: list[Hit], topic: str | None = None) -> Decision:
        """Answer, choices or nothing for hits of ``search`` (``knowledge.search.decision``)."""
        return self.settings.judge.decide(hits, topic)


@lru_cache(maxsize=1)
def shared_retriever() -> Retriever:
    """The process-wide retriever (FAQ_ROOT, INDEX_ROOT, shared encoders, calibrated settings).

    Every caller in one process shares it, so each municipality's index and the models load once.
    """
    return Retriever()
