"""action_answer_faq: answer from the municipality's FAQ index, or find the next best step.

Confident → the answer with its source; close call → the best questions as buttons; nothing
good → ask to rephrase once, then offer a human host. A question that names another configured
municipality is answered from that municipality's index (and the answer says so).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

import municipalities
from actions.context import latest_text
from actions.human import offer_human
from actions.thread import Thread, in_context_wins
from assistant.emergency import sounds_like_emergency
from assistant.vocabulary import gibberish, known_words
from base.definitions import LANGUAGES, TOPIC_INTENTS
from base.metrics import stage
from base.workers import off_loop
from knowledge.content.entries import SHARED_LAYER, FaqEntry, edition, entries_for, locally_answered
from knowledge.search.decision import Decision, Hit, Outcome
from knowledge.search.retriever import shared_retriever
from municipalities import fold

#: Below this NLU confidence the intent is too unsure to narrow the search by topic.
TOPIC_CONFIDENCE = 0.6


@lru_cache(maxsize=32)
def _questions(municipality: str, _edition: tuple[int, ...]) -> dict[str, FaqEntry]:
    """Every phrasing of the municipality's entries, read again after an edit (``edition``)."""
    return {
        fold(question).strip(" ?!.¿¡؟"): entry
        for entry in entries_for(municipality)
        for phrasings in entry.questions.values()
        for question in phrasings
    }


def exact_question(text: str, municipality: str) -> FaqEntry | None:
    """The entry whose question phrasing this text is, word for word."""
    return _questions(municipality, edition()).get(fold(text).strip(" ?!.¿¡؟"))


def _look_up(text: str, municipality: str, language: str, topic: str | None, thread: Thread
             ) -> tuple[Decision, str]:
    """The decision for this message, and the question it asked in full (``actions.thread``).

    A certain answer when the text is an entry's phrasing word for word (a button of a close call);
    otherwise the judge's decision for the message alone or, for a short message in a
    conversation, read together with the last question if that reading is more confident.
    Looking up the phrasings (read from the content on first use, 200-300 ms a municipality),
    embedding and searching are CPU work: callers run this on a worker thread (``find``).
    """
    exact = exact_question(text, municipality)
    if exact is not None:
        return Decision(Outcome.ANSWER, [Hit(exact.id, exact.topic, 1.0, 1.0, 1.0, 1.0, exact)], 1.0), text
    retriever = shared_retriever()
    if thread.could_continue(text):
        # Is it a follow-up? The fragment alone is judged on its words only: its own NLU topic says
        # little ("is it expensive?": cost of living, 1.0, after a preschool question).
        bare = retriever.decide(retriever.search(text, municipality, language))
        context_topic = thread.topic or topic
        in_context = retriever.decide(
            retriever.search(text, municipality, language, context_topic, context=thread.question,
                             without={thread.answer} if thread.answer else ()), context_topic)
        if in_context_wins(bare, in_context):
            return in_context, thread.joined(text)
    return retriever.decide(retriever.search(text, municipality, language, topic), topic), text


async def find(text: str, municipality: str, language: str, tracker: Tracker, reasked: bool = False,
               alone: bool = False) -> tuple[Decision, str]:
    """What the index holds for this message, and the question it asked in full.

    ``reasked``: the text is a kept question asked again for a newly chosen municipality — the
    NLU's topic of the latest message ("and in Luleå?") is not its topic; the kept one is.
    ``alone``: the text is read as a question of its own, never as a follow-up.
    Runs in a worker thread, so the event loop serves everyone else.
    """
    if gibberish(text):  # whatever the NLU made of it, there is nothing to search for
        return Decision(Outcome.NONE, [], 0.0), text
    thread = Thread.of(tracker)
    topic = thread.topic if reasked else topic_of(tracker)
    with stage("retrieval: whole search, waiting for a worker included"):
        return await off_loop(_look_up, text, municipality, language, topic,
                              Thread() if reasked or alone else thread.about(municipality))


def warm() -> None:
    """Load what answering needs for every municipality and language (the app's start-up calls it)."""
    for municipality in [*municipalities.load_all(), SHARED_LAYER]:
        _questions(municipality, edition())
        shared_retriever().warm(municipality, LANGUAGES)
    locally_answered()
    known_words()


def answer_payload(entry_id: str, municipality: str, language: str, score: float, other: bool) -> dict[str, Any]:
    return {
        "response": "utter_faq_answer",
        "faq_id": entry_id,
        "municipality": municipality,
        "language": language,
        "score": round(float(score), 4),
        "other_municipality": other,
    }


def choices_payload(hits: list[Hit], municipality: str | None, language: str) -> dict[str, Any]:
    return {
        "response": "utter_faq_choices",
        "faq_ids": [hit.faq_id for hit in hits],
        "scores": [round(float(hit.score), 4) for hit in hits],
        "municipality": municipality,
        "language": language,
    }


#: At or above this NLU confidence an out_of_scope message gets no FAQ choices (nonsense would).
OFF_TOPIC_CONFIDENCE = 0.9


def _surely_off_topic(tracker: Tracker) -> bool:
    """The NLU is sure the message is off-topic: close calls of the index are then noise, not choices."""
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name") == "out_of_scope" and float(intent.get("confidence") or 0) >= OFF_TOPIC_CONFIDENCE


def topic_of(tracker: Tracker) -> str | None:
    intent = tracker.latest_message.get("intent") or {}
    if intent.get("name") in TOPIC_INTENTS and float(intent.get("confidence") or 0) >= TOPIC_CONFIDENCE:
        return intent["name"]
    return None


def answered(question: str, decision: Decision) -> list[dict[str, Any]]:
    """The FAQ answered this question or offered choices: remembered for "and in Luleå?" and "is it expensive?"."""
    top = decision.top
    return [SlotSet("failed_attempts", 0), SlotSet("pending_question", None), SlotSet("last_question", question),
            SlotSet("last_topic", top.topic if top else None), SlotSet("last_answer", top.faq_id if top else None)]


class ActionAnswerFaq(Action):
    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        language = tracker.get_slot("language") or "en"
        current = tracker.get_slot("municipality")
        text = latest_text(tracker).strip()
        if sounds_like_emergency(text):  # whatever topic the NLU heard, 112 comes first
            return offer_human(dispatcher, tracker, "emergency")
        known = municipalities.load_all()

        mentioned = [m for m in municipalities.mentioned_in(text, known) if m != current]
        target = mentioned[0] if mentioned else current
        if target not in known:
            return await answer_for_the_region(dispatcher, tracker, text, language)
        return await answer(dispatcher, tracker, text, target, language, other=target != current)


async def answer_for_the_region(
    dispatcher: CollectingDispatcher, tracker: Tracker, text: str, language: str
) -> list[dict[str, Any]]:
    """No municipality yet: answer what is the same everywhere, ask only when the answer depends on the place.

    A confident answer from the shared layer that no municipality answers with its own version is
    national (tax, EU citizens' right to stay, winter tyres): it is given at once, and a close call
    among such entries is offered as choices. Anything else — nothing found, or an entry some
    municipality answers locally — asks for the municipality and keeps the question for after. A
    place the deployment does not serve is said so first, and then only national facts are given.
    """
    elsewhere = municipalities.not_served_in(text)
    if elsewhere is not None:
        dispatcher.utter_message(response="utter_not_served", place=elsewhere.name, county=elsewhere.county,
                                 language=language)
    decision, asked = await find(text, SHARED_LAYER, language, tracker)
    national = all(hit.faq_id not in locally_answered() for hit in decision.hits)
    if decision.outcome is Outcome.ANSWER and national:
        dispatcher.utter_message(response="utter_faq_answer", faq_id=decision.hits[0].faq_id, municipality=None,
                                 language=language, national=True)
        return answered(asked, decision)
    if decision.outcome is Outcome.CHOICES and national and not _surely_off_topic(tracker):
        dispatcher.utter_message(**choices_payload(decision.hits, None, language))
        return answered(asked, decision)
    dispatcher.utter_message(response="utter_ask_municipality", language=language)
    # The question waits for the municipality, with its topic (the NLU's, or the thread's it continues).
    kept = None if elsewhere is not None else asked
    return [SlotSet("pending_question", kept), SlotSet("last_topic", topic_of(tracker) or Thread.of(tracker).topic)]


async def answer(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    text: str,
    municipality: str,
    language: str,
    other: bool = False,
    reasked: bool = False,
) -> list[dict[str, Any]]:
    """Search the municipality's index and reply with the outcome; returns the slot events.

    ``reasked``: a kept question asked again for a newly chosen municipality (``find``).
    """
    decision, asked = await find(text, municipality, language, tracker, reasked)
    return reply(dispatcher, tracker, decision, asked, municipality, language, other)


def reply(dispatcher: CollectingDispatcher, tracker: Tracker, decision: Decision, asked: str, municipality: str,
          language: str, other: bool = False) -> list[dict[str, Any]]:
    """The answer, the choices, or the way on when nothing was found; returns the slot events."""
    if decision.outcome is Outcome.ANSWER:
        best = decision.hits[0]
        dispatcher.utter_message(**answer_payload(best.faq_id, municipality, language, best.score, other))
        return answered(asked, decision)
    if decision.outcome is Outcome.CHOICES and not _surely_off_topic(tracker):
        dispatcher.utter_message(**choices_payload(decision.hits, municipality, language))
        return answered(asked, decision)
    failed = int(tracker.get_slot("failed_attempts") or 0) + 1
    if failed >= 2:
        dispatcher.utter_message(response="utter_offer_human", municipality=municipality, language=language)
        return [SlotSet("failed_attempts", 0), SlotSet("pending_question", None)]
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    response = "utter_out_of_scope" if intent == "out_of_scope" else "utter_ask_rephrase"
    dispatcher.utter_message(response=response, language=language)
    return [SlotSet("failed_attempts", failed), SlotSet("pending_question", None)]
