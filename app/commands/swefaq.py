"""SweFAQ v2.0: benchmark the FAQ retriever (``bench``) or calibrate its weights and thresholds (``calibrate``).

``bench`` prints dev and test figures beside the brief's baseline; ``calibrate`` chooses the fusion
weights, topic boost and thresholds on dev and writes them to the retriever's thresholds.json
(``knowledge.tuning.swefaq``). ``--json`` prints the raw figures instead.
"""

from __future__ import annotations

import argparse
import json

from knowledge.search.retriever import THRESHOLDS_PATH
from knowledge.tuning.swefaq import bench, calibrate, print_bench


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app swefaq", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("bench", "calibrate"))
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    args = parser.parse_args(argv)
    if args.command == "calibrate":
        result = calibrate()
        print(json.dumps({k: result[k] for k in ("fusion", "thresholds")}, indent=2))
        print(json.dumps(result["how"], indent=2, ensure_ascii=False) if args.json else f"written to {THRESHOLDS_PATH}")
    else:
        report = bench()
        print(json.dumps(report, indent=2)) if args.json else print_bench(report)
    return 0
