"""One FAQ index per municipality, on disk, rebuilt only when its content or model changed.

On disk: ``.cache/index/<municipality>/`` holds ``manifest.json`` (format version, content
fingerprint of the shared + local YAML files, embedder and sparse-model fingerprints) beside the
index files (``knowledge.search.index``). A build writes a temporary folder and renames it into
place, so a reader never sees half an index; one builder per municipality works at a time, across
processes (the app server and ``make index``).

``python -m app index build`` rebuilds only stale municipalities; when nothing changed it answers
"up to date" from file hashes alone, without importing torch, faiss or spaCy: this module and its
imports keep those libraries lazy. Encodings of every text are cached in
``.cache/index/.encodings/<model fingerprint>/`` (``knowledge.search.encoders``), so a rebuild after
an edit encodes only the new texts, and the shared layer is encoded once for all municipalities.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from base.paths import CACHE_DIR
from knowledge.content.entries import FAQ_ROOT, SHARED_LAYER, FaqEntry, content_fingerprint, entries_for, layer_files
from knowledge.files import file_lock, swap_in
from knowledge.model.encoder import shared_encoder
from knowledge.search.encoders import CachedEmbedder, CachedSparse, Embedder, SparseEncoder, shared_sparse
from knowledge.search.index import FaqIndex, Item

#: INDEX_DIR moves the indexes (beside a moved FAQ_DIR).
INDEX_ROOT = Path(os.environ.get("INDEX_DIR") or CACHE_DIR / "index")
#: Bump when the passage set, the analysis or the stored layout changes: old indexes become stale.
FORMAT_VERSION = 3


def content_files(municipality: str, root: Path = FAQ_ROOT) -> list[Path]:
    return layer_files(SHARED_LAYER, root) + (layer_files(municipality, root) if municipality != SHARED_LAYER else [])


def expected_manifest(municipality: str, root: Path = FAQ_ROOT, embedder: Embedder | None = None,
                      sparse: SparseEncoder | None = None) -> dict[str, Any]:
    """What a fresh index's manifest must say; computed from file bytes only (fast, no model)."""
    embedder = embedder or shared_encoder()
    sparse = sparse if sparse is not None else shared_sparse()
    return {
        "format": FORMAT_VERSION,
        "municipality": municipality,
        "content": content_fingerprint(content_files(municipality, root)),
        "embedder": embedder.fingerprint(),
        "sparse": sparse.fingerprint(),
    }


def read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None


def is_fresh(folder: Path, expected: Mapping[str, Any]) -> bool:
    manifest = read_manifest(folder)
    return manifest is not None and all(manifest.get(key) == value for key, value in expected.items())


def build(municipality: str, root: Path = FAQ_ROOT, index_root: Path = INDEX_ROOT, embedder: Embedder | None = None,
          sparse: SparseEncoder | None = None, force: bool = False, progress: bool = False) -> bool:
    """Build the municipality's index unless it is fresh; True when it was (re)built.

    Writes into a temporary sibling folder, then swaps it in with two renames, so readers see
    either the old complete index or the new one.
    """
    embedder = embedder or shared_encoder()
    sparse = sparse if sparse is not None else shared_sparse()
    target = index_root / municipality
    # one builder per municipality at a time, across processes (app server and `make index`)
    with file_lock(index_root / f".{municipality}.lock"):
        expected = expected_manifest(municipality, root, embedder, sparse)
        if not force and is_fresh(target, expected):
            return False
        started = time.perf_counter()
        entries = entries_for(municipality, root)
        cache_root = index_root / ".encodings"
        index = FaqIndex.build([Item.of(e) for e in entries], CachedEmbedder(embedder, cache_root),
                               CachedSparse(sparse, cache_root), progress=progress, label=municipality)
        tmp = Path(tempfile.mkdtemp(prefix=f".{municipality}.", dir=index_root))
        try:
            index.save(tmp)
            manifest = {**expected, "entries": len(entries), "built": dt.datetime.now(dt.timezone.utc).isoformat(),
                        "build_s": round(time.perf_counter() - started, 3), **index.timings}
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), "utf-8")
            swap_in(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return True


def load(municipality: str, root: Path = FAQ_ROOT, index_root: Path = INDEX_ROOT, embedder: Embedder | None = None,
         sparse: SparseEncoder | None = None) -> tuple[FaqIndex, list[FaqEntry]]:
    """The municipality's index and entries, (re)building first when stale."""
    embedder = embedder or shared_encoder()
    sparse = sparse if sparse is not None else shared_sparse()
    target = index_root / municipality
    for _ in range(3):
        build(municipality, root, index_root, embedder, sparse)
        entries = {entry.id: entry for entry in entries_for(municipality, root)}
        try:
            index = FaqIndex.load(target)
        except (OSError, RuntimeError, ValueError):  # swapped by another builder meanwhile
            time.sleep(0.1)
            continue
        if set(index.keys) == set(entries):
            return index, [entries[key] for key in index.keys]
    raise RuntimeError(f"could not load a consistent index for {municipality!r} from {target}")
