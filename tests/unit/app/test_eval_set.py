"""The evaluation set stays independent: none of its FAQ questions is a training example or an FAQ phrasing.

(Greetings and thanks are the same few words everywhere — "Hallo!", "Dzień dobry" — and are not checked.)
"""

from __future__ import annotations

from functools import lru_cache

import yaml

from base.paths import PROJECT_ROOT
from knowledge.content.entries import FAQ_ROOT, layer_files, load_file
from knowledge.tuning.precision import EVAL_SET
from municipalities import fold


def question_key(text: str) -> str:
    return " ".join(fold(text).strip(" ?!.¿¡؟").split())


@lru_cache(maxsize=1)
def training_and_phrasings() -> frozenset[str]:
    """Every NLU training example and every FAQ question phrasing, folded (``question_key``)."""
    training = set()
    for path in (PROJECT_ROOT / "data" / "nlu").glob("*.yml"):
        for block in yaml.safe_load(path.read_text("utf-8"))["nlu"]:
            lines = str(block.get("examples", "")).splitlines()
            training |= {question_key(line[2:]) for line in lines if line.startswith("- ")}
    phrasings = {question_key(question) for layer in sorted(p.name for p in FAQ_ROOT.iterdir() if p.is_dir())
                 for path in layer_files(layer) for questions in load_file(path, layer).questions.values()
                 for question in questions}
    return frozenset(training | phrasings)



def test_no_evaluation_message_is_trained_on_or_written_as_a_phrasing() -> None:
    evaluation = {question_key(item["text"]) for item in yaml.safe_load(EVAL_SET.read_text("utf-8"))["utterances"]
                  if item.get("faq_ids")}
    assert len(evaluation) > 300
    assert not evaluation & training_and_phrasings()
