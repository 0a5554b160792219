"""Words people use with this assistant: a message with none of them is not yet a question.

DIET classifies whatever it gets, and a keyboard mash can come out as "schools" with 0.98
confidence; langdetect calls the same mash German with 0.99999. Neither knows it has never seen
a single one of those words. The FAQ's questions and answers and the NLU's examples, in all eight
languages, hold the words newcomers use; a message none of whose words (of two letters or more)
is among them is gibberish: the conversation keeps its language, and the person is asked to
rephrase rather than offered buttons for a guess. A message with a single known word is not.
"""

from __future__ import annotations

import re
from functools import lru_cache

import yaml

from base.paths import PROJECT_ROOT
from knowledge.content.entries import FAQ_ROOT, load_layer
from municipalities import fold

NLU_DIR = PROJECT_ROOT / "data" / "nlu"
_WORD = re.compile(r"\w{2,}")


def words(text: str) -> list[str]:
    return [word for word in _WORD.findall(fold(text)) if not word.isdigit()]


@lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    """Every word of the FAQ (questions and answers, every layer) and of the NLU examples, folded."""
    texts: list[str] = []
    for folder in sorted(path for path in FAQ_ROOT.iterdir() if path.is_dir()):
        for entry in load_layer(folder.name):
            texts += [question for phrasings in entry.questions.values() for question in phrasings]
            texts += list(entry.answer.values())
    for path in sorted(NLU_DIR.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            texts += str(block.get("examples", "")).splitlines()
    return frozenset(word for text in texts for word in words(text))


def gibberish(text: str) -> bool:
    """Words, and not one of them known (digits and one-letter words do not count either way)."""
    said = words(text)
    return bool(said) and not any(word in known_words() for word in said)
