"""SweFAQ v2.0: benchmark the FAQ retriever (``bench``) or calibrate its fusion weights (``calibrate``).

``bench`` prints dev and test figures beside the brief's baseline, and how the answer decision
treats them (with the right answer in the index and left out); ``calibrate`` chooses the fusion
weights and topic boost on dev, checked by cross-validation, and writes them to the retriever's
thresholds.json (``knowledge.tuning.swefaq``). ``--json`` prints the raw figures instead.
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
        print(json.dumps({"fusion": result["fusion"], "chosen": result["how"]["fusion"]}, indent=2))
        print(json.dumps(result["how"], indent=2, ensure_ascii=False) if args.json else f"written to {THRESHOLDS_PATH}")
    else:
        report = bench()
        report["decisions"] = decisions()
        print(json.dumps(report, indent=2)) if args.json else print_bench(report)
        if not args.json:
            for name, row in report["decisions"].items():
                print(f"\nanswer decision on {name}: {row}")
    return 0


def decisions() -> dict[str, dict]:
    """How the calibrated judge treats dev and test, right answer present and left out."""
    import numpy as np

    from knowledge.search.retriever import load_settings
    from knowledge.tuning.precision import SEED, figures, swefaq_askings
    from knowledge.tuning.swefaq import cached_encoders, load_split

    embedder, sparse = cached_encoders()
    settings, rng = load_settings(), np.random.default_rng(SEED)
    return {f"SweFAQ {name}": figures(swefaq_askings(load_split(name), embedder, sparse, settings.fusion, rng),
                                      settings.judge) for name in ("dev", "test")}
