"""Check the FAQ content and the municipality files (``make validate``).

Exit code 1 and one line per problem on stderr, each naming the file and the field
(``knowledge.content.validate``); otherwise one line with the number of entries per layer.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from knowledge.content.entries import FAQ_ROOT
from knowledge.content.validate import problems


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python -m app validate", description=__doc__.split("\n")[0]).parse_args(argv)
    found = problems()
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print(f"{len(found)} problem(s) in the FAQ content", file=sys.stderr)
        return 1
    counts = Counter(p.parent.name for p in FAQ_ROOT.glob("*/*.yml"))
    print("FAQ content valid: " + ", ".join(f"{layer} {n}" for layer, n in sorted(counts.items())))
    return 0
