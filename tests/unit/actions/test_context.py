"""action_validate_slot_mappings's decisions, on trackers as Rasa sends them."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import municipalities
from actions.context import ActionTrackContext, decide_municipality, first_user_message_of_session


def tracker(text: str, intent: str = "housing", slots: dict | None = None, metadata: dict | None = None,
            entities: list | None = None, earlier_user_turns: int = 0) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or [],
              "metadata": metadata or {}}
    events = [{"event": "session_started"}] + [{"event": "user", "text": "x"}] * earlier_user_turns
    events.append({"event": "user", "text": text, "parse_data": latest})
    return Tracker("u1", slots or {}, latest, events, False, None, {}, "action_listen")


def run(t: Tracker) -> tuple[list, list]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionTrackContext().run(dispatcher, t, {}))
    return events, dispatcher.messages


def test_first_message_gets_a_welcome_for_the_channels_municipality_in_its_language() -> None:
    events, messages = run(tracker("Jak znaleźć mieszkanie w Boden?", metadata={"municipality": "lulea"}))
    assert {"event": "slot", "name": "language", "value": "pl", "timestamp": None} in events
    # the text names Boden and the conversation had no municipality yet: Boden it is
    assert {"event": "slot", "name": "municipality", "value": "boden", "timestamp": None} in events
    assert messages[0]["response"] == "utter_welcome"
    assert messages[0]["language"] == "pl" and messages[0]["municipality"] == "boden"


def test_no_welcome_after_the_first_message() -> None:
    _, messages = run(tracker("Och förskolan?", slots={"language": "sv", "municipality": "boden"},
                              earlier_user_turns=2))
    assert messages == []


def test_welcome_without_municipality_lists_them_all() -> None:
    _, messages = run(tracker("Hello, I am thinking of moving to northern Sweden", intent="greet"))
    assert messages[0]["response"] == "utter_welcome_no_municipality"


def test_a_named_municipality_switches_only_on_an_explicit_choice() -> None:
    known = municipalities.load_all()
    slots = {"municipality": "boden", "language": "en"}
    question = tracker("How is the housing queue in Luleå?", slots=slots, earlier_user_turns=1)
    assert decide_municipality(question, known) == "boden"
    choice = tracker("What about Luleå?", intent="choose_municipality", slots=slots, earlier_user_turns=1)
    assert decide_municipality(choice, known) == "lulea"
    button = tracker('/choose_municipality{"municipality":"jokkmokk"}', intent="choose_municipality", slots=slots,
                     entities=[{"entity": "municipality", "value": "jokkmokk"}], earlier_user_turns=1)
    assert decide_municipality(button, known) == "jokkmokk"


def test_channel_municipality_does_not_override_the_persons_switch() -> None:
    known = municipalities.load_all()
    later = tracker("And schools?", slots={"municipality": "lulea"}, metadata={"municipality": "boden"},
                    earlier_user_turns=3)
    assert decide_municipality(later, known) == "lulea"


def test_language_request_and_payload_switch_language() -> None:
    events, _ = run(tracker("Can you answer in German?", intent="change_language",
                            slots={"language": "en", "municipality": "boden"}, earlier_user_turns=1))
    assert {"event": "slot", "name": "language", "value": "de", "timestamp": None} in events
    events, _ = run(tracker('/change_language{"language":"uk"}', intent="change_language",
                            entities=[{"entity": "language", "value": "uk"}],
                            slots={"language": "en", "municipality": "boden"}, earlier_user_turns=1))
    assert {"event": "slot", "name": "language", "value": "uk", "timestamp": None} in events


def test_mentioning_a_language_in_a_topic_question_does_not_switch() -> None:
    events, _ = run(tracker("I speak Polish, where can I learn Swedish for free?", intent="language_courses",
                            slots={"language": "en", "municipality": "boden"}, earlier_user_turns=1))
    assert not [e for e in events if e["name"] == "language"]


def test_session_counting() -> None:
    assert first_user_message_of_session(tracker("hi"))
    assert not first_user_message_of_session(tracker("hi", earlier_user_turns=1))


def test_a_message_the_nlu_did_not_understand_keeps_the_language() -> None:
    events, _ = run(tracker("xqzv blorf wuggle?", intent="nlu_fallback",
                            slots={"language": "en", "municipality": "boden"}, earlier_user_turns=1))
    assert not [e for e in events if e["name"] == "language"]


def test_short_gibberish_the_nlu_is_unsure_about_keeps_the_conversations_language() -> None:
    unsure = tracker("xqzv blorf wuggle?", intent="schools", slots={"language": "en"}, earlier_user_turns=1)
    unsure.latest_message["intent"]["confidence"] = 0.71  # what a trained model really gave it
    events, _ = run(unsure)
    assert not any(event["name"] == "language" for event in events)  # langdetect says German, 0.99999
    sure = tracker("Jak znaleźć mieszkanie w Boden?", intent="housing", slots={"language": "en"},
                   earlier_user_turns=1)
    events, _ = run(sure)
    assert {"event": "slot", "name": "language", "value": "pl", "timestamp": None} in events


def test_gibberish_the_nlu_is_sure_about_keeps_the_language_too() -> None:
    sure = tracker("xqzv blorf wuggle?", intent="schools", slots={"language": "en"}, earlier_user_turns=1)
    sure.latest_message["intent"]["confidence"] = 0.98  # what a later training gave the same mash
    events, _ = run(sure)
    assert not any(event["name"] == "language" for event in events)
