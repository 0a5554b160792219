"""Actions that steer the conversation: municipality and language (the way to a host: actions/human.py)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

import municipalities
from actions.context import entity_value, latest_text
from actions.faq import answer, find, reply
from assistant.language import normalise_code, requested_language
from base.definitions import MAX_MESSAGE_CHARS
from knowledge.search.decision import Outcome


class ActionChooseMunicipality(Action):
    """Confirms the municipality action_validate_slot_mappings picked, or asks with buttons.

    The conversation then belongs to the chosen municipality. The question that was waiting for it
    is answered there; otherwise the message itself, when it is a question of its own that the
    index answers more surely ("how is the job market in Kiruna?", which the NLU may take for a
    choice of place), or else the last question asked ("how do we find an apartment?" … "and in
    Luleå?"), with the place it named renamed to the chosen one.
    """

    def name(self) -> str:
        return "action_choose_municipality"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        language = tracker.get_slot("language") or "en"
        municipality = tracker.get_slot("municipality")
        text = latest_text(tracker)
        named = entity_value(tracker, "municipality") or next(iter(municipalities.mentioned_in(text)), None)
        if municipality not in municipalities.load_all() or named is None:
            dispatcher.utter_message(response="utter_ask_municipality", language=language)
            return []
        dispatcher.utter_message(response="utter_municipality_set", municipality=municipality, language=language)
        pending, last = tracker.get_slot("pending_question"), tracker.get_slot("last_question")
        if pending:
            return await answer(dispatcher, tracker, renamed(pending, municipality), municipality, language,
                                reasked=True)
        own, asked = await find(text, municipality, language, tracker, alone=True)
        if last:
            again, last_asked = await find(renamed(last, municipality), municipality, language, tracker, reasked=True)
            if not (own.outcome is Outcome.ANSWER and own.confidence > again.confidence):
                return reply(dispatcher, tracker, again, last_asked, municipality, language)
        if own.outcome is not Outcome.ANSWER:
            return []  # a place, not a question: it is confirmed, and the person asks next
        return reply(dispatcher, tracker, own, asked, municipality, language)


def renamed(question: str, municipality: str) -> str:
    return municipalities.renamed(question[:MAX_MESSAGE_CHARS], municipality)


class ActionChangeLanguage(Action):
    """Confirms the new reply language in that language, or asks which one with buttons."""

    def name(self) -> str:
        return "action_change_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        language = tracker.get_slot("language") or "en"
        text = latest_text(tracker)
        named = normalise_code(entity_value(tracker, "language")) or requested_language(text)
        if named is None:
            dispatcher.utter_message(response="utter_ask_language", language=language)
        else:
            dispatcher.utter_message(response="utter_language_set", language=language)
        return []
