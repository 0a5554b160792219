"""What a follow-up refers to: the conversation's last question and the topic of its answer.

People do not ask self-contained questions one after another: after "how do I get a preschool
place in Boden?" comes "is it expensive?", "and for a 3-year-old?", "where do I apply?". Read
alone, such a fragment finds the cost of living or nothing at all. So a short message in a
conversation that has a last question is read twice — alone, on its words only, and together
with the last question (``Retriever.search(context=…)``), on the topic of the last answer, and
without the entry just given (a follow-up asks for something that answer did not say). The NLU's
topic of a fragment does not take part: the trained NLU calls "is it expensive?" cost of living
with confidence 1.0, which is no evidence after a preschool question. When the judge is more
confident of the reading in context, that answers; otherwise the message is a new question,
searched with the NLU's topic like any other ("how much does SFI cost?" after a housing question).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rasa_sdk import Tracker

import municipalities
from base.definitions import MAX_MESSAGE_CHARS
from knowledge.search.decision import Decision, Outcome
from municipalities import fold

#: Messages of at most this many words may be follow-ups; longer ones say what they ask themselves.
FRAGMENT_WORDS = 8


@dataclass(frozen=True)
class Thread:
    """The last question the FAQ answered or offered choices for, its answer (or first choice) and topic."""

    question: str | None = None
    topic: str | None = None
    answer: str | None = None

    @classmethod
    def of(cls, tracker: Tracker) -> Thread:
        def text(slot: str) -> str | None:
            value = tracker.get_slot(slot)
            return value if isinstance(value, str) else None

        return cls(text("last_question"), text("last_topic"), text("last_answer"))

    def about(self, municipality: str) -> Thread:
        """The thread as asked of this municipality: "…in Boden?" followed by "and if we lived in Luleå?"."""
        known = municipalities.load_all()
        if self.question is None or municipality not in known:
            return self
        return replace(self, question=municipalities.renamed(self.question, municipality, known))

    def could_continue(self, text: str) -> bool:
        """Is this message short enough to lean on the last question (and not that question itself)?"""
        return (self.question is not None and 0 < len(text.split()) <= FRAGMENT_WORDS
                and fold(text) != fold(self.question))

    def joined(self, text: str) -> str:
        """The question a follow-up asks, in full: kept as the next last question ("and in Luleå?")."""
        return f"{self.question} {text}"[-MAX_MESSAGE_CHARS:]


def in_context_wins(alone: Decision, in_context: Decision) -> bool:
    """The follow-up reading is taken when it finds something and the judge trusts it more."""
    return in_context.outcome is not Outcome.NONE and in_context.confidence > alone.confidence
