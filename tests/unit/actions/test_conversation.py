"""action_choose_municipality: "and in Luleå?" answers the last question there."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionChooseMunicipality
from actions.faq import ActionAnswerFaq


def run(action, text: str, intent: str, slots: dict) -> tuple[list[dict], dict]:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.95}, "entities": [], "metadata": {}}
    tracker = Tracker("web:follow-up", slots, latest, [{"event": "user", "text": text, "parse_data": latest}],
                      False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, {event["name"]: event["value"] for event in events}


def test_an_answered_question_is_remembered_and_asked_again_for_the_next_municipality() -> None:
    question = "How much does it cost to rent an apartment?"
    messages, slots = run(ActionAnswerFaq(), question, "housing", {"language": "en", "municipality": "boden"})
    assert {m["municipality"] for m in messages} == {"boden"} and slots["last_question"] == question

    # the gateway's slot check has already switched the conversation to Luleå when the action runs
    messages, slots = run(ActionChooseMunicipality(), "And what about Luleå?", "choose_municipality",
                          {"language": "en", "municipality": "lulea", "last_question": question})
    confirmed, reply = messages
    assert confirmed["response"] == "utter_municipality_set" and confirmed["municipality"] == "lulea"
    assert reply["response"] in {"utter_faq_answer", "utter_faq_choices"} and reply["municipality"] == "lulea"
    ids = [reply["faq_id"]] if reply["response"] == "utter_faq_answer" else reply["faq_ids"]
    assert any(faq_id.startswith(("lulea.housing", "shared.housing")) for faq_id in ids)
    assert slots["last_question"] == question


def test_a_question_that_found_nothing_is_not_asked_again() -> None:
    _, slots = run(ActionAnswerFaq(), "qwxz vlorp zzkt?", "out_of_scope", {"language": "en", "municipality": "boden"})
    assert "last_question" not in slots
    messages, _ = run(ActionChooseMunicipality(), "What about Kiruna?", "choose_municipality",
                      {"language": "en", "municipality": "kiruna"})
    assert [m["response"] for m in messages] == ["utter_municipality_set"]


def test_a_question_the_nlu_took_for_a_choice_of_place_is_answered_itself() -> None:
    messages, slots = run(ActionChooseMunicipality(), "How much does it cost to rent an apartment in Boden?",
                          "choose_municipality", {"language": "en", "municipality": "boden"})
    confirmed, reply = messages
    assert confirmed["response"] == "utter_municipality_set"
    assert reply["response"] == "utter_faq_answer" and reply["faq_id"].startswith(("boden.housing", "shared.housing"))
    assert slots["last_question"] == "How much does it cost to rent an apartment in Boden?"


def test_a_place_alone_is_confirmed_and_nothing_else_is_said() -> None:
    messages, slots = run(ActionChooseMunicipality(), "Kiruna", "choose_municipality",
                          {"language": "en", "municipality": "kiruna"})
    assert [m["response"] for m in messages] == ["utter_municipality_set"] and not slots
