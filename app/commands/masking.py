"""Masking of personal data: precision and recall per kind of identifier on eval/masking.yml.

The labelled set marks every identifier newcomers typed in eight languages; this prints, per kind
(handoff.privacy.KINDS), how many are marked and found and the precision, recall and F1 on exact
spans, then the overall micro figures and whether the targets hold. Exit code 1 when they do not,
or when the file is malformed (one line per problem on stderr).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from handoff.privacy.evaluation import MASKING_SET, LabelledSetError, evaluate, load, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app masking", description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=MASKING_SET, help="the labelled set (default: %(default)s)")
    parser.add_argument("--errors", action="store_true", help="also list every missed and every wrong span")
    args = parser.parse_args(argv)
    try:
        report = evaluate(load(args.file))
    except LabelledSetError as error:
        print(error, file=sys.stderr)
        return 1
    print("\n".join(table(report)))
    if args.errors:
        print("\n".join(["", *report.errors]) if report.errors else "\nno errors")
    return 0 if report.targets_met() else 1
