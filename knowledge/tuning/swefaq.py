"""SweFAQ v2.0: benchmark of the FAQ retriever, and calibration of its weights and thresholds.

SweFAQ (Språkbanken, CC BY 4.0) pairs Swedish public-authority FAQ questions with their answers.
It is the closest public stand-in for the newcomer FAQ: Swedish authorities' language, short
questions, answers that rarely repeat the question's words.

* ``python -m app swefaq bench`` (and ``make bench``) — for dev and test: open retrieval (every distinct answer of
  the split is indexed with the product's own ``FaqIndex`` and ranked for each question: hit@1,
  MRR, nDCG@10) and in-category accuracy (pick among the question's ``candidate_answers``), for
  dense-only retrieval and for the hybrid, beside the brief's baseline.
* ``python -m app swefaq calibrate`` — on dev only: chooses the fusion weights (grid over
  the simplex, maximising MRR + hit@1) and the topic boost, and writes them with the figures that
  justify them to the retriever's ``thresholds.json`` (``knowledge.search.retriever.THRESHOLDS_PATH``).
  One dev fit can be fitted too closely to dev's 110 questions, so the choice is re-checked by
  cross-validation: each fold's weights are chosen on the other folds and judged on it, beside
  fixed weightings that are not tuned at all, judged the same way. When an untuned weighting
  does at least as well on the held-out folds as tuning does, tuning bought nothing but a fit to
  dev, and that weighting is written; otherwise the mean of the folds' choices is.
  Test is never looked at here; ``bench`` reports how the dev choices carry over to test.
  (When to answer is ``python -m app calibrate``'s business: ``knowledge.tuning.precision``.)

Encodings of the benchmark texts are cached under ``.cache/swefaq/<model fingerprint>/`` (the
index's ``EncodingCache``), so a rerun takes seconds.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from base.paths import CACHE_DIR, PROJECT_ROOT
from knowledge.model.encoder import shared_encoder
from knowledge.search.encoders import CachedEmbedder, CachedSparse, Embedder, SparseEncoder, shared_sparse
from knowledge.search.index import Components, FaqIndex, Item
from knowledge.search.retriever import THRESHOLDS_PATH, Fusion

#: Where SweFAQ v2.0 lies on this machine kind (SWEFAQ_DIR overrides it).
DEFAULT_DATA_DIR = PROJECT_ROOT.parent / "shared" / "benchmarks" / "swefaq"


def data_dir() -> Path:
    """Read when a split is loaded, not at import, so a caller may set SWEFAQ_DIR first."""
    return Path(os.environ.get("SWEFAQ_DIR", DEFAULT_DATA_DIR))
#: Encodings of benchmark texts (and of the own-FAQ calibration's held-out indexes), per model fingerprint.
ENCODINGS_DIR = CACHE_DIR / "swefaq"
LANGUAGE = "sv"

#: The brief's plain multilingual-e5-small dense retrieval (answers as passages).
BASELINE = {
    "dev": {"hit@1": 0.591, "MRR": 0.711, "nDCG@10": 0.770, "in-cat acc": 0.618},
    "test": {"hit@1": 0.477, "MRR": 0.594, "nDCG@10": 0.641, "in-cat acc": 0.532},
}
ASSUMED_TOPIC_ACCURACY = 0.8  # of the NLU topic, for choosing the topic boost
COMPONENTS = ("dense_short", "dense_answer", "lexical", "sparse")


@dataclass
class Split:
    name: str
    questions: list[str]
    answers: list[str]  # every distinct answer of the split
    gold: np.ndarray  # question -> answer position
    candidates: list[list[int]]  # question -> its category's answer positions
    categories: np.ndarray  # answer position -> category id


def load_split(name: str, folder: Path | None = None) -> Split:
    path = (folder or data_dir()) / f"swefaq_{name}.jsonl"
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
    answers = sorted({answer for row in rows for answer in row["candidate_answers"]})
    position = {answer: i for i, answer in enumerate(answers)}
    categories = np.zeros(len(answers), dtype=np.int64)
    for row in rows:
        for answer in row["candidate_answers"]:
            categories[position[answer]] = row["category_id"]
    return Split(
        name=name,
        questions=[row["question"] for row in rows],
        answers=answers,
        gold=np.array([position[row["candidate_answers"][row["label"]]] for row in rows]),
        candidates=[[position[answer] for answer in row["candidate_answers"]] for row in rows],
        categories=categories,
    )


# --------------------------------------------------------------------------- scoring


@dataclass
class Scores:
    """Component scores of every (question, answer) pair of a split, as (questions, answers)."""

    dense_short: np.ndarray
    dense_answer: np.ndarray
    lexical: np.ndarray
    sparse: np.ndarray

    def parts(self, row: int) -> Components:
        return Components(self.dense_short[row], self.dense_answer[row], self.lexical[row], self.sparse[row])

    def fused(self, fusion: Fusion) -> np.ndarray:
        """The retriever's own fusion, applied row by row."""
        return fusion.fuse(Components(self.dense_short, self.dense_answer, self.lexical, self.sparse))


def split_scores(split: Split, embedder: Embedder, sparse: SparseEncoder) -> Scores:
    """Index the split's answers with the product's FaqIndex and score every question."""
    items = [Item(str(i), {}, {LANGUAGE: answer}) for i, answer in enumerate(split.answers)]
    index = FaqIndex.build(items, embedder, sparse, progress=True, label=f"swefaq {split.name}")
    vectors = embedder.queries(split.questions)
    query_sparse = sparse.encode(split.questions)
    rows = [index.components(vectors[i], q, LANGUAGE, query_sparse[i]) for i, q in enumerate(split.questions)]
    return Scores(*(np.stack([getattr(row, name) for row in rows]) for name in COMPONENTS))


def metrics(scores: np.ndarray, split: Split) -> dict[str, float]:
    """Open retrieval hit@1 / MRR / nDCG@10 and in-category accuracy (ties count against)."""
    n = len(split.gold)
    gold_scores = scores[np.arange(n), split.gold]
    ranks = (scores >= gold_scores[:, None]).sum(axis=1)  # 1 = best; a tie with another answer loses
    in_category = [
        candidates[int(np.argmax(scores[i, candidates]))] == split.gold[i]
        for i, candidates in enumerate(split.candidates)
    ]
    return {
        "hit@1": float(np.mean(ranks == 1)),
        "MRR": float(np.mean(1.0 / ranks)),
        "nDCG@10": float(np.mean([1 / math.log2(r + 1) if r <= 10 else 0.0 for r in ranks])),
        "in-cat acc": float(np.mean(in_category)),
    }


# --------------------------------------------------------------------------- calibration


def _objective(scores: np.ndarray, gold: np.ndarray) -> float:
    gold_scores = scores[np.arange(len(gold)), gold]
    ranks = (scores >= gold_scores[:, None]).sum(axis=1)
    return float(np.mean(1.0 / ranks) + np.mean(ranks == 1))


def tune_fusion(scores: Scores, gold: np.ndarray, step: float = 0.05) -> tuple[Fusion, list[dict[str, Any]]]:
    """Weights on the simplex maximising dev MRR + hit@1; returns the best and the runners-up.

    Every component is first rescaled to [0, 1] (cosines affinely), so the weights are shares
    of the fused score. The 0.05 grid is coarse on purpose: with 110 dev questions finer
    differences are noise.
    """
    steps = round(1 / step)
    ranked = []
    for combo in itertools.product(range(steps + 1), repeat=3):
        rest = steps - sum(combo)
        if rest < 0:
            continue
        weights = dict(zip(COMPONENTS, (c / steps for c in (*combo, rest)), strict=True))
        fused = scores.fused(Fusion(**weights, topic_boost=0.0))
        ranked.append((_objective(fused, gold), weights))
    ranked.sort(key=lambda pair: -pair[0])
    best = ranked[0][1]
    top = [{"objective": round(obj, 4), **{k: round(v, 2) for k, v in w.items()}} for obj, w in ranked[:5]]
    return Fusion(**{k: round(v, 4) for k, v in best.items()}, topic_boost=0.0), top


def _subset(scores: Scores, split: Split, rows: np.ndarray) -> tuple[Scores, Split]:
    """Some questions of a split (every answer stays indexed: retrieval is still open)."""
    part = Scores(*(getattr(scores, name)[rows] for name in COMPONENTS))
    return part, replace(split, questions=[split.questions[i] for i in rows], gold=split.gold[rows],
                         candidates=[split.candidates[i] for i in rows])


def cross_validate_fusion(scores: Scores, split: Split, folds: int = 5, seed: int = 13) -> dict[str, Any]:
    """How well "tune the weights on dev" generalises: each fold judged by weights chosen without it.

    Beside it, fixed weightings that are not tuned at all (equal shares; BM25 alone; dense alone)
    are judged on the same folds, and the mean of the folds' chosen weights, a smoother choice
    than one fit, is reported with them. Figures are means over the held-out folds.
    """
    order = np.random.default_rng(seed).permutation(len(split.gold))
    fixed = {"equal shares": Fusion(0.25, 0.25, 0.25, 0.25, 0.0), "BM25 only": Fusion(0.0, 0.0, 1.0, 0.0, 0.0),
             "dense only": Fusion(0.5, 0.5, 0.0, 0.0, 0.0)}
    held: dict[str, list[dict[str, float]]] = {"tuned on the other folds": [], **{name: [] for name in fixed}}
    chosen: list[Fusion] = []
    for fold in range(folds):
        test_rows, train_rows = order[fold::folds], np.setdiff1d(order, order[fold::folds])
        train_scores, train_split = _subset(scores, split, train_rows)
        fusion, _ = tune_fusion(train_scores, train_split.gold)
        chosen.append(fusion)
        test_scores, test_split = _subset(scores, split, test_rows)
        held["tuned on the other folds"].append(metrics(test_scores.fused(fusion), test_split))
        for name, weights in fixed.items():
            held[name].append(metrics(test_scores.fused(weights), test_split))
    mean = {name: round(float(np.mean([getattr(f, name) for f in chosen])), 4) for name in COMPONENTS}
    return {
        "folds": folds,
        "held_out_means": {name: {metric: round(float(np.mean([row[metric] for row in rows])), 3)
                                  for metric in rows[0]} for name, rows in held.items()},
        "weights_per_fold": [{name: getattr(f, name) for name in COMPONENTS} for f in chosen],
        "mean_of_folds": mean,
    }


def _generalising(checked: dict[str, Any]) -> tuple[Fusion, str]:
    """The weights to write, from ``cross_validate_fusion``'s figures (see the module docstring)."""
    def held_out(name: str) -> float:
        row = checked["held_out_means"][name]
        return row["MRR"] + row["hit@1"]

    tuned = held_out("tuned on the other folds")
    if held_out("equal shares") >= tuned:
        return Fusion(0.25, 0.25, 0.25, 0.25, 0.0), "equal shares did at least as well held out as tuning"
    return Fusion(**checked["mean_of_folds"], topic_boost=0.0), "the mean of the folds' tuned weights"


def tune_topic_boost(fused: np.ndarray, split: Split, seed: int = 13, draws: int = 100) -> tuple[float, list]:
    """The smallest boost within 0.005 of the best dev MRR + hit@1, topic right 80 % of the time.

    SweFAQ's categories stand in for topics (10 per split, like the assistant's 10 topics);
    a wrong topic is a random other category. The boost must help when the topic is right more
    than it hurts when it is wrong, which bounds it; among near-equal boosts the smallest is
    taken, since a real NLU's mistakes are not random and a soft boost is the safer side.
    """
    rng = np.random.default_rng(seed)
    question_category = split.categories[split.gold]
    categories = np.unique(split.categories)
    table = []
    for boost in np.round(np.arange(0.0, 0.101, 0.01), 2):
        total = 0.0
        for _ in range(draws):
            right = rng.random(len(question_category)) < ASSUMED_TOPIC_ACCURACY
            wrong = np.array([rng.choice(categories[categories != c]) for c in question_category])
            given = np.where(right, question_category, wrong)
            boosted = fused + boost * (split.categories[None, :] == given[:, None])
            total += _objective(boosted, split.gold)
        table.append((float(boost), round(total / draws, 4)))
    top = max(score for _, score in table)
    best = min(boost for boost, score in table if score >= top - 0.005)
    return best, table


# --------------------------------------------------------------------------- runs


def cached_encoders(embedder: Embedder | None = None, sparse: SparseEncoder | None = None
                    ) -> tuple[CachedEmbedder, CachedSparse]:
    """The product's encoders (or the given ones) with benchmark encodings cached under ENCODINGS_DIR."""
    return (CachedEmbedder(embedder or shared_encoder(), ENCODINGS_DIR),
            CachedSparse(sparse or shared_sparse(), ENCODINGS_DIR))


def calibrate(embedder: Embedder | None = None, sparse: SparseEncoder | None = None,
              path: Path = THRESHOLDS_PATH) -> dict[str, Any]:
    """Choose fusion weights and topic boost on dev, re-checked by cross-validation; write them to ``path``.

    The answer decision already in ``path`` is kept; refit it with ``python -m app calibrate``
    after the weights change.
    """
    embedder, sparse = cached_encoders(embedder, sparse)
    dev = load_split("dev")
    scores = split_scores(dev, embedder, sparse)
    single, runners_up = tune_fusion(scores, dev.gold)
    checked = cross_validate_fusion(scores, dev)
    fusion, chosen_by = _generalising(checked)
    fused = scores.fused(fusion)
    boost, boost_table = tune_topic_boost(fused, dev)
    fusion = Fusion(**{**asdict(fusion), "topic_boost": boost})
    try:
        result = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        result = {}
    result["fusion"] = asdict(fusion)
    result["how"] = {
        "data": "SweFAQ v2.0 dev (110 questions), open retrieval over all 110 dev answers; test unused",
        "embedder": embedder.fingerprint(),
        "sparse": sparse.fingerprint(),
        "fusion": f"candidates: grid (step 0.05) over weights summing to 1, maximising MRR + hit@1, and "
                  f"untuned weightings; chosen by 5-fold cross-validation: {chosen_by}",
        "single_dev_fit_top5": runners_up,
        "cross_validation": checked,
        "dev_metrics": {name: round(value, 3) for name, value in metrics(fused, dev).items()},
        "dev_metrics_single_fit": {name: round(value, 3) for name, value in metrics(scores.fused(single), dev).items()},
        "topic_boost": f"maximises MRR + hit@1 when the topic is right {ASSUMED_TOPIC_ACCURACY:.0%} of the time",
        "topic_boost_table": boost_table,
    }
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return result


def bench(embedder: Embedder | None = None, sparse: SparseEncoder | None = None) -> dict[str, Any]:
    """Figures for dev and test: brief's baseline, dense only, the hybrid's stages."""
    from knowledge.search.retriever import load_settings

    embedder, sparse = cached_encoders(embedder, sparse)
    settings = load_settings()
    chosen = settings.fusion
    variants = {
        "dense only (answers as passages)": Fusion(0.0, 1.0, 0.0, 0.0),
        "dense, + answer sentences as queries": Fusion(0.5, 0.5, 0.0, 0.0),
        "hybrid (dense + BM25 + sparse)": chosen,
    }
    report: dict[str, Any] = {"calibrated": settings.calibrated, "fusion": asdict(chosen)}
    for name in ("dev", "test"):
        split = load_split(name)
        started = time.perf_counter()
        scores = split_scores(split, embedder, sparse)
        table = {"brief baseline": BASELINE[name]}
        table |= {label: metrics(scores.fused(fusion), split) for label, fusion in variants.items()}
        table["BM25 only"] = metrics(scores.lexical + 1e-6 * scores.dense_answer, split)  # cosine breaks ties
        report[name] = {"metrics": table, "seconds": round(time.perf_counter() - started, 1)}
    return report


def print_bench(report: dict[str, Any]) -> None:
    print(f"fusion weights {report['fusion']}{'' if report['calibrated'] else ' (UNCALIBRATED defaults)'}")
    for name in ("dev", "test"):
        print(f"\nSweFAQ {name}  ({report[name]['seconds']} s)")
        print(f"  {'':40s} {'hit@1':>7s} {'MRR':>7s} {'nDCG@10':>8s} {'in-cat acc':>11s}")
        for label, row in report[name]["metrics"].items():
            figures = f"{row['hit@1']:7.3f} {row['MRR']:7.3f} {row['nDCG@10']:8.3f} {row['in-cat acc']:11.3f}"
            print(f"  {label:40s} {figures}")
