"""What a follow-up refers to: the conversation's last question and the topic of its answer.

People do not ask self-contained questions one after another: after "how do I get a preschool
place in Boden?" comes "is it expensive?", "and for a 3-year-old?", "where do I apply?". Read
alone, such a fragment finds the cost of living or nothing at all. So a short message in a
conversation that has a last question is read twice — alone, on its words only, and
together with the last question (``Retriever.search(context=…)``), on the topic of the last
answer (the NLU's topic of a fragment says little: "is it expensive?" is not about the cost of
living after a preschool question), and without the entry just given (a
follow-up asks for something that answer did not say). Unless the message stands on its own
(``continues``), the blended reading answers; otherwise it is a new question, searched with the
NLU's topic as any other ("how much does SFI cost?" after a housing question).
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


def continues(alone: Decision, in_context: Decision, topic: str | None, thread_topic: str | None) -> bool:
    """Is a short message a follow-up? Read in context it must find something, and alone it must not stand.

    It stands alone when the judge would answer it on its own words, or when the NLU is sure of a
    topic other than the thread's and the message alone finds an entry on that topic ("is SFI
    free?" after a housing question). The judge's probabilities of the two readings are not
    compared: a blend has lower scores than a whole question, and the judge, fitted on whole
    questions, rates it lower for that alone.
    """
    if in_context.outcome is Outcome.NONE or alone.outcome is Outcome.ANSWER:
        return False
    new_subject = topic is not None and topic != thread_topic
    return not (new_subject and alone.top is not None and alone.top.topic == topic)
