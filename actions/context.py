"""After every user message, decide the conversation's language and municipality.

This is Rasa's ``action_validate_slot_mappings`` hook: Rasa runs it after slot extraction and
before any policy predicts, so every response of the turn is rendered in the right language, and
(unlike a custom slot-mapping action) the bot messages it returns are sent. On the first message
of a session it sends the welcome: that it is an automated assistant, for which municipality, and
that a human host is available.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

import municipalities
from assistant.language import choose_language, normalise_code, requested_language
from assistant.vocabulary import gibberish
from base.definitions import MAX_MESSAGE_CHARS
from base.messages import RasaMetadata

#: Below this NLU confidence a short message does not switch the conversation's language.
UNSURE = 0.8


def first_user_message_of_session(tracker: Tracker) -> bool:
    user_turns = 0
    for event in reversed(tracker.events):
        if event.get("event") == "session_started":
            break
        if event.get("event") == "user":
            user_turns += 1
    return user_turns <= 1


def latest_text(tracker: Tracker) -> str:
    """The person's latest message, capped like every path into the product (whatever reached Rasa)."""
    text = tracker.latest_message.get("text")
    return text[:MAX_MESSAGE_CHARS] if isinstance(text, str) else ""


def entity_value(tracker: Tracker, name: str) -> str | None:
    value = next(tracker.get_latest_entity_values(name), None)
    return value if isinstance(value, str) else None


def message_metadata(tracker: Tracker) -> RasaMetadata:
    """What the gateway said about the message (its channel's municipality, the client's language)."""
    return RasaMetadata.from_wire(tracker.latest_message.get("metadata"))


def decide_municipality(tracker: Tracker, known: dict[str, municipalities.Municipality]) -> str | None:
    """A button or an explicit choice switches; the channel's municipality only starts a conversation."""
    current = tracker.get_slot("municipality")
    chosen = entity_value(tracker, "municipality")
    if chosen in known:
        return chosen
    text = latest_text(tracker)
    mentioned = municipalities.mentioned_in(text, known)
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if mentioned and (intent == "choose_municipality" or current not in known):
        return mentioned[0]
    if current in known:
        return current
    from_channel = message_metadata(tracker).municipality
    return from_channel if from_channel in known else None


def decide_language(tracker: Tracker) -> str:
    text = latest_text(tracker)
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    requested = normalise_code(entity_value(tracker, "language"))
    if requested is None and intent == "change_language":
        requested = requested_language(text)
    current = tracker.get_slot("language")
    confidence = float((tracker.latest_message.get("intent") or {}).get("confidence") or 0.0)
    short = len(text) < 40
    not_understood = (intent == "nlu_fallback" or (short and (intent == "out_of_scope" or confidence < UNSURE))
                      or gibberish(text))
    if requested is None and not_understood and current:
        # Gibberish can look confidently German to langdetect ("xqzv blorf wuggle?": de, 0.99999)
        # and confidently like a topic to the NLU (schools, 0.98); a message of unknown words, or
        # a short one the NLU did not understand or was unsure about, is not enough evidence to
        # switch the conversation's language (assistant/vocabulary.py).
        return current
    return choose_language(
        text,
        current=current,
        hint=message_metadata(tracker).language,
        requested=requested,
    )


class ActionTrackContext(Action):
    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        known = municipalities.load_all()
        language = decide_language(tracker)
        municipality = decide_municipality(tracker, known)
        if first_user_message_of_session(tracker):
            response = "utter_welcome" if municipality else "utter_welcome_no_municipality"
            dispatcher.utter_message(response=response, language=language, municipality=municipality)
        events = []
        if language != tracker.get_slot("language"):
            events.append(SlotSet("language", language))
        if municipality != tracker.get_slot("municipality"):
            events.append(SlotSet("municipality", municipality))
        return events
