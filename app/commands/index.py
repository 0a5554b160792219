"""Build the FAQ index of every stale municipality, or of the named ones.

    python -m app index build [municipality ...] [--force]

Answers "up to date" from file hashes alone when nothing changed, without importing torch, faiss or
spaCy (``knowledge.search.store``), so ``make index`` costs a fraction of a second then.
"""

from __future__ import annotations

import argparse
import time

from knowledge.content.entries import SHARED_LAYER
from knowledge.model.encoder import shared_encoder
from knowledge.search.encoders import shared_sparse
from knowledge.search.store import INDEX_ROOT, build, read_manifest
from municipalities import load_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app index", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("build", help="build the FAQ index of every stale municipality")
    cmd.add_argument("municipalities", nargs="*", help="ids (default: all configured)")
    cmd.add_argument("--force", action="store_true", help="rebuild even when up to date")
    args = parser.parse_args(argv)

    wanted = args.municipalities or [*load_all(), SHARED_LAYER]  # the shared layer alone: the region's index
    unknown = sorted(set(wanted) - set(load_all()) - {SHARED_LAYER})
    if unknown:
        parser.error(f"unknown municipality id(s): {', '.join(unknown)}")
    embedder, sparse = shared_encoder(), shared_sparse()
    for municipality in wanted:
        started = time.perf_counter()
        built = build(municipality, embedder=embedder, sparse=sparse, force=args.force, progress=True)
        took = time.perf_counter() - started
        if built:
            manifest = read_manifest(INDEX_ROOT / municipality) or {}
            print(f"{municipality}: built {manifest.get('entries')} entries, {manifest.get('docs')} texts "
                  f"in {took:.1f} s")
        else:
            print(f"{municipality}: up to date")
    return 0
