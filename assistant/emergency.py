"""Does a message say someone is in danger now? A safety net under the NLU, in every language.

DIET usually recognises an emergency, but not always: one training took "My husband collapsed in
the kitchen and he is not breathing!" for a schools question (0.998) and "there is a fire in our
house" for housing. 112 must not depend on a classifier's good day. ``assistant/emergency_words.yml``
lists, per language, words that only an emergency uses; the FAQ action checks them before it
searches, so such a message gets 112 and the offer of a host whatever the NLU said. The words of
every language are checked: a Polish speaker in an English conversation is still heard.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from municipalities import fold

WORDS_FILE = Path(__file__).resolve().with_name("emergency_words.yml")


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    phrases = {fold(phrase) for phrases in yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8")).values()
               for phrase in phrases}
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(phrase) for phrase in sorted(phrases)) + ")")


def sounds_like_emergency(text: str) -> bool:
    """A word of ``emergency_words.yml`` begins somewhere in the text (case and accents folded)."""
    return _pattern().search(" ".join(fold(text).split())) is not None
