"""action_answer_faq without a municipality: national answers at once, local ones after asking."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import ActionAnswerFaq
from knowledge.content.entries import locally_answered


def ask(text: str, intent: str, language: str = "en", municipality: str | None = None,
        confidence: float = 0.9) -> tuple[list[dict], dict]:
    latest = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": [], "metadata": {}}
    tracker = Tracker("web:regional", {"language": language, "municipality": municipality}, latest,
                      [{"event": "user", "text": text, "parse_data": latest}], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAnswerFaq().run(dispatcher, tracker, {}))
    return dispatcher.messages, {event["name"]: event["value"] for event in events}


def test_a_national_question_is_answered_at_once_without_asking_for_a_municipality() -> None:
    messages, slots = ask("Do I need a personal identity number to open a bank account?", "registration")
    [answer] = messages
    assert answer["response"] == "utter_faq_answer" and answer["national"] is True
    assert answer["faq_id"] == "shared.registration.bank_account" and answer["municipality"] is None
    assert slots["pending_question"] is None


def test_a_question_municipalities_answer_locally_asks_which_one_and_keeps_the_question() -> None:
    assert "shared.schools.preschool_fees" in locally_answered()
    messages, slots = ask("How much does preschool cost for my children?", "schools")
    assert [m["response"] for m in messages] == ["utter_ask_municipality"]
    assert slots["pending_question"] == "How much does preschool cost for my children?"


def test_a_place_the_region_does_not_serve_is_named_honestly_before_the_national_answer() -> None:
    messages, _ = ask("Jag funderar på Vimmerby. Vad är ett personnummer?", "registration", "sv")
    assert messages[0]["response"] == "utter_not_served"
    assert (messages[0]["place"], messages[0]["county"]) == ("Vimmerby", "Kalmar län")
    national = messages[1]  # the national facts: the answer, or a close call between national entries
    offered = [national["faq_id"]] if national["response"] == "utter_faq_answer" else national["faq_ids"]
    assert national["response"] in {"utter_faq_answer", "utter_faq_choices"} and national["municipality"] is None
    assert "shared.registration.personnummer" in offered or offered == ["shared.registration.personnummer_uses"]


def test_a_close_call_between_national_entries_is_offered_without_asking_for_a_municipality() -> None:
    messages, slots = ask("Vad är ett personnummer?", "registration", "sv")
    [choices] = messages
    assert choices["response"] == "utter_faq_choices" and choices["municipality"] is None
    assert "shared.registration.personnummer" in choices["faq_ids"]
    assert not set(choices["faq_ids"]) & locally_answered() and slots["pending_question"] is None


def test_nonsense_the_nlu_is_sure_is_off_topic_gets_no_choices() -> None:
    messages, slots = ask("qwxz vlorp zzkt?", "out_of_scope", municipality="skelleftea", confidence=0.96)
    assert [m["response"] for m in messages] == ["utter_out_of_scope"]
    assert slots["failed_attempts"] == 1  # counted: a second one offers a relocation host
