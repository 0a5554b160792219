"""Calibrate the answer thresholds on the product's own FAQ (held-out phrasings, off-topic messages).

Writes them into the retriever's thresholds.json and prints the figures behind them as JSON
(``knowledge.tuning.calibrate``). Run ``python -m app swefaq calibrate`` first when the fusion
weights should change.
"""

from __future__ import annotations

import argparse
import json

from knowledge.tuning.calibrate import calibrate


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python -m app calibrate", description=__doc__.split("\n")[0]).parse_args(argv)
    print(json.dumps(calibrate(), indent=2, ensure_ascii=False))
    return 0
