"""Answer thresholds calibrated on the product's own FAQ, with held-out question phrasings.

SweFAQ (knowledge.tuning.swefaq) fixes the fusion weights, but its thresholds are cautious for our
content: SweFAQ answers have no question phrasings, ours do, so right entries score higher here.
This calibration holds out one phrasing per entry and language (the last one written), builds
each municipality's index without them, and asks the held-out phrasings as questions: they are
real, unseen ways of asking for a known entry, in every language the content has. The same
selection rules as on SweFAQ apply (ANSWER precision >= 0.90; the choices floor below which
top-1 is almost never right).

Held-out phrasings alone would answer almost anything (every one of them has a right entry), so
the thresholds are also bounded by messages that have no answer: the NLU's out_of_scope training
examples in all languages (jokes, recipes, football...), asked in every municipality. ANSWER must
stay above 95 % of them and the choices floor above 75 % of them, so nonsense and off-topic
messages get "please rephrase" rather than a confident wrong answer.
`python -m app calibrate` writes the thresholds into the retriever's thresholds.json
(``knowledge.search.retriever.THRESHOLDS_PATH``), keeping SweFAQ's as ``swefaq_thresholds``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import yaml

import municipalities
from base.paths import PROJECT_ROOT
from knowledge.content.entries import entries_for
from knowledge.search.encoders import CachedEmbedder, CachedSparse, shared_sparse
from knowledge.search.index import FaqIndex, Item
from knowledge.search.retriever import THRESHOLDS_PATH, Retriever, load_settings
from knowledge.tuning.swefaq import ENCODINGS_DIR, calibrate_thresholds, outcome_figures


def held_out(municipality: str) -> tuple[list[Item], list[tuple[str, str, int]]]:
    """Index items without their last phrasing per language, and those phrasings as questions."""
    items, questions = [], []
    for position, entry in enumerate(entries_for(municipality)):
        kept: dict[str, list[str]] = {}
        for language, phrasings in entry.questions.items():
            if len(phrasings) >= 2:
                kept[language] = list(phrasings[:-1])
                questions.append((phrasings[-1], language, position))
            else:
                kept[language] = list(phrasings)
        items.append(Item(entry.id, kept, entry.answer))
    return items, questions


def fused_scores(municipality: str, embedder: CachedEmbedder, sparse: CachedSparse) -> tuple[np.ndarray, np.ndarray]:
    """One row of fused scores per held-out question, and the right entry's position."""
    items, questions = held_out(municipality)
    index = FaqIndex.build(items, embedder, sparse)
    fusion = load_settings().fusion
    vectors = embedder.queries([text for text, _, _ in questions])
    sparse_rows = sparse.encode([text for text, _, _ in questions])
    rows = [
        fusion.fuse(index.components(vectors[i], text, language, sparse_rows[i]))
        for i, (text, language, _) in enumerate(questions)
    ]
    return np.vstack(rows), np.array([gold for _, _, gold in questions])


def out_of_scope_examples(nlu_dir: Path = PROJECT_ROOT / "data" / "nlu") -> list[str]:
    texts = []
    for path in sorted(nlu_dir.glob("*.yml")):
        for block in yaml.safe_load(path.read_text("utf-8"))["nlu"]:
            if block.get("intent") == "out_of_scope":
                texts += [line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")]
    return texts


def off_topic_top_scores(retriever: Retriever) -> np.ndarray:
    texts = out_of_scope_examples()
    return np.array([retriever.search(text, m)[0].score for m in municipalities.load_all() for text in texts])


def calibrate() -> dict[str, Any]:
    from knowledge.model.encoder import shared_encoder

    embedder = CachedEmbedder(shared_encoder(), ENCODINGS_DIR)
    sparse = CachedSparse(shared_sparse(), ENCODINGS_DIR)
    per_municipality = {m: fused_scores(m, embedder, sparse) for m in municipalities.load_all()}
    width = max(scores.shape[1] for scores, _ in per_municipality.values())
    fused = np.vstack([np.pad(s, ((0, 0), (0, width - s.shape[1])), constant_values=-1.0)
                       for s, _ in per_municipality.values()])
    gold = np.concatenate([g for _, g in per_municipality.values()])
    thresholds, figures = calibrate_thresholds(fused, SimpleNamespace(gold=gold))
    off_topic = off_topic_top_scores(Retriever(embedder=embedder, sparse=sparse))
    answer_at = max(thresholds.answer, float(np.percentile(off_topic, 95)))
    floor = min(answer_at, max(thresholds.choices_floor, float(np.percentile(off_topic, 75))))
    thresholds = replace(thresholds, answer=round(answer_at, 3), choices_floor=round(floor, 3))
    figures = outcome_figures(fused, SimpleNamespace(gold=gold), thresholds)
    settings = json.loads(THRESHOLDS_PATH.read_text("utf-8"))
    settings["swefaq_thresholds"] = settings.get("swefaq_thresholds", settings["thresholds"])
    settings["thresholds"] = asdict(thresholds)
    settings["own_faq_calibration"] = {
        "data": f"{len(gold)} held-out question phrasings (last per entry and language) over "
                f"{len(per_municipality)} municipalities' indexes built without them",
        "held_out_outcomes": figures,
        "off_topic": {
            "data": f"{len(off_topic)} searches: NLU out_of_scope training examples x municipalities",
            "top_score_quantiles": {f"p{q}": round(float(np.percentile(off_topic, q)), 3) for q in (50, 75, 90, 95)},
            "answered": round(float((off_topic >= thresholds.answer).mean()), 3),
            "none": round(float((off_topic < thresholds.choices_floor).mean()), 3),
        },
    }
    THRESHOLDS_PATH.write_text(json.dumps(settings, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return {"thresholds": asdict(thresholds), **settings["own_faq_calibration"]}
