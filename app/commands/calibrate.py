"""Fit the answer decision for precision (SweFAQ dev, the own FAQ's held-out phrasings, off-topic messages).

Writes the judge's weights and the probabilities at which it answers and offers choices into the
retriever's thresholds.json, with the figures behind them, and prints those figures as JSON
(``knowledge.tuning.precision``). Run ``python -m app swefaq calibrate`` first when the fusion
weights should change: the decision is fitted on the fused scores.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from knowledge.search.retriever import THRESHOLDS_PATH, Retriever, load_settings
from knowledge.tuning.precision import eval_set_askings, figures, fit
from knowledge.tuning.swefaq import cached_encoders


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python -m app calibrate", description=__doc__.split("\n")[0]).parse_args(argv)
    embedder, sparse = cached_encoders()
    settings = json.loads(THRESHOLDS_PATH.read_text("utf-8"))
    judge, report = fit(embedder, sparse, load_settings().fusion)
    retriever = Retriever(embedder=embedder, sparse=sparse)
    report["evaluation set (never fitted on)"] = figures(eval_set_askings(retriever), judge)
    settings["decision"] = asdict(judge)
    settings["decision_how"] = report
    THRESHOLDS_PATH.write_text(json.dumps(settings, indent=2, ensure_ascii=False) + "\n", "utf-8")
    print(json.dumps({"decision": settings["decision"], **report}, indent=2, ensure_ascii=False))
    return 0
