"""The encoding caches: every text is encoded once per model, across processes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from knowledge.search import encoders as search_encoders
from tests.unit.knowledge.fixture_faq import MemoEmbedder, encoders


def test_encoding_cache_encodes_each_text_once(tmp_path: Path) -> None:
    embedder, sparse = encoders()
    cached = search_encoders.CachedEmbedder(MemoEmbedder(embedder), tmp_path)
    first = cached.queries(["Hur får jag ett personnummer?", "Where can I swim?"])
    again = search_encoders.CachedEmbedder(MemoEmbedder(embedder), tmp_path)  # a new process, the same folder
    second = again.queries(["Where can I swim?", "Hur får jag ett personnummer?", "Ny fråga?"])
    assert again.inner.encoded == 1  # only the new text
    np.testing.assert_allclose(second[:2], first[::-1])
    rows = search_encoders.CachedSparse(sparse, tmp_path).encode(["Hur får jag ett personnummer?", "Ny fråga?"])
    assert rows.shape[0] == 2 and rows.nnz > 0
    assert search_encoders.CachedSparse(sparse, tmp_path).encode(["Ny fråga?"]).shape[0] == 1
