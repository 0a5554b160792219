"""How closely the run-time int8 ONNX encoder agrees with the float32 model it was exported from.

The product switched its e5 runtime from torch (float32) to onnxruntime with int8 weights
(``knowledge.model.quantize``) for speed; that is only acceptable if the vectors stay equivalent.
This module measures mean and minimum cosine between the two on the texts the product really
encodes: SweFAQ test questions and answers, and every question and answer of the project's FAQ
(queries with "query: ", the rest as passages). ``make bench`` prints it; the bar is a mean of
0.995 or more.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from knowledge.content.entries import FAQ_ROOT, layer_files, load_file
from knowledge.model.embedder import Embedder
from knowledge.model.encoder import Encoder, shared_encoder
from knowledge.tuning.swefaq import load_split

THRESHOLD = 0.995


@dataclass(frozen=True)
class Agreement:
    name: str
    texts: int
    mean: float
    minimum: float


def faq_texts() -> tuple[list[str], list[str]]:
    """(questions, answers) of every FAQ file of every layer, in all languages."""
    questions: list[str] = []
    answers: list[str] = []
    for layer_dir in sorted(path for path in FAQ_ROOT.iterdir() if path.is_dir()):
        for path in layer_files(layer_dir.name):
            entry = load_file(path, layer_dir.name)
            questions += [q for phrasings in entry.questions.values() for q in phrasings]
            answers += list(entry.answer.values())
    return questions, answers


def _agreement(name: str, int8: np.ndarray, reference: np.ndarray) -> Agreement:
    cosines = np.sum(np.asarray(int8, np.float64) * np.asarray(reference, np.float64), axis=1)
    return Agreement(name, len(cosines), float(cosines.mean()), float(cosines.min()))


def measure(encoder: Encoder | None = None, reference: Embedder | None = None, limit: int = 400) -> list[Agreement]:
    """Agreement per text set (at most ``limit`` texts each, spread evenly over the set)."""
    encoder = encoder or shared_encoder()
    reference = reference or Embedder(encoder.folder)
    swefaq = load_split("test")
    faq_questions, faq_answers = faq_texts()

    def sample(texts: list[str]) -> list[str]:
        step = max(1, len(texts) // limit)
        return texts[::step][:limit]

    sets = [("SweFAQ test questions", sample(swefaq.questions), True),
            ("SweFAQ test answers", sample(swefaq.answers), False),
            ("FAQ questions, all languages", sample(faq_questions), True),
            ("FAQ answers, all languages", sample(faq_answers), False)]
    results = []
    for name, texts, as_query in sets:
        if as_query:
            results.append(_agreement(name, encoder.queries(texts), reference.queries(texts)))
        else:
            results.append(_agreement(name, encoder.passages(texts), reference.passages(texts)))
    return results


def print_agreement(results: list[Agreement]) -> None:
    for item in results:
        verdict = "ok" if item.mean >= THRESHOLD else f"BELOW {THRESHOLD}"
        print(f"  {item.name:<32} {item.texts:>5} texts   mean cosine {item.mean:.5f}   min {item.minimum:.5f}   "
              f"{verdict}")
