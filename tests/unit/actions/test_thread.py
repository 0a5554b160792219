"""Follow-ups read in the context of the last question ("is it expensive?" after a preschool question)."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionChooseMunicipality
from actions.faq import ActionAnswerFaq
from actions.thread import FRAGMENT_WORDS, Thread, in_context_wins
from knowledge.search.decision import Decision, Hit, Outcome


def run(action, text: str, intent: str, slots: dict, confidence: float = 0.95) -> tuple[list[dict], dict]:
    latest = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": [], "metadata": {}}
    tracker = Tracker("web:thread", slots, latest, [{"event": "user", "text": text, "parse_data": latest}],
                      False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, {event["name"]: event["value"] for event in events}


def entries(message: dict) -> list[str]:
    return [message["faq_id"]] if message["response"] == "utter_faq_answer" else message.get("faq_ids", [])


def test_a_short_message_may_continue_the_last_question_a_long_one_or_the_same_one_does_not() -> None:
    thread = Thread("How do I get a preschool place in Boden?", "schools")
    assert thread.could_continue("Is it expensive?")
    assert not thread.could_continue(" ".join(["word"] * (FRAGMENT_WORDS + 1)))
    assert not thread.could_continue("how do I get a preschool place in boden")  # asked again: not a follow-up
    assert not Thread().could_continue("Is it expensive?")
    assert thread.joined("Is it expensive?") == "How do I get a preschool place in Boden? Is it expensive?"


def test_a_fragment_is_answered_about_the_subject_of_the_question_before_it() -> None:
    first = "How do I get a preschool place for our daughter?"
    messages, slots = run(ActionAnswerFaq(), first, "schools", {"language": "en", "municipality": "boden"})
    assert any("preschool" in faq_id for faq_id in entries(messages[0]))
    # The trained NLU is sure this fragment is about the cost of living: that does not decide it.
    messages, slots = run(ActionAnswerFaq(), "Is it expensive?", "cost_of_living",
                          {"language": "en", "municipality": "boden", **slots}, confidence=1.0)
    [reply] = messages
    assert entries(reply)[0] == "shared.schools.preschool_fees"
    assert slots["last_question"] == f"{first} Is it expensive?" and slots["last_topic"] == "schools"
    assert slots["last_answer"] == "shared.schools.preschool_fees"


def test_a_short_question_on_another_subject_is_a_new_question() -> None:
    _, slots = run(ActionAnswerFaq(), "How does the housing queue work?", "housing",
                   {"language": "en", "municipality": "lulea"})
    messages, slots = run(ActionAnswerFaq(), "Is SFI free of charge?", "language_courses",
                          {"language": "en", "municipality": "lulea", **slots})
    [reply] = messages
    assert all(".language_courses." in faq_id for faq_id in entries(reply)[:1])
    assert slots["last_question"] == "Is SFI free of charge?" and slots["last_topic"] == "language_courses"


def test_a_kept_follow_up_is_asked_in_full_for_the_next_municipality() -> None:
    boden = {"language": "en", "municipality": "boden"}
    _, slots = run(ActionAnswerFaq(), "What does preschool cost?", "schools", boden)
    _, slots = run(ActionAnswerFaq(), "And for a 3-year-old?", "nlu_fallback",
                   {"language": "en", "municipality": "boden", **slots}, confidence=0.3)
    assert slots["last_question"] == "What does preschool cost? And for a 3-year-old?"
    messages, _ = run(ActionChooseMunicipality(), "and in Skellefteå?", "choose_municipality",
                      {"language": "en", "municipality": "skelleftea", **slots})
    confirmed, reply = messages
    assert confirmed["response"] == "utter_municipality_set" and reply["municipality"] == "skelleftea"
    assert entries(reply)[0] in {"skelleftea.schools.preschool_fees", "skelleftea.schools.preschool_fee_rules",
                                 "skelleftea.schools.allman_forskola"}  # fees, and free hours from age 3


def test_a_follow_up_about_another_municipality_reads_the_last_question_as_asked_there() -> None:
    thread = Thread("How much does preschool cost in Boden?", "schools", "shared.schools.preschool_fees")
    assert thread.about("lulea").question == "How much does preschool cost in Luleå?"
    assert thread.about("shared") == thread  # the region's own FAQ names no place to rename
    assert Thread().about("lulea") == Thread()


def test_gibberish_the_nlu_took_for_a_topic_is_asked_to_be_rephrased_not_answered_with_buttons() -> None:
    boden = {"language": "en", "municipality": "boden"}
    messages, slots = run(ActionAnswerFaq(), "xqzv blorf wuggle?", "schools", boden)
    assert [m["response"] for m in messages] == ["utter_ask_rephrase"] and slots["failed_attempts"] == 1


def test_an_emergency_the_nlu_took_for_a_topic_gets_112_and_a_host() -> None:
    messages, _ = run(ActionAnswerFaq(), "My husband collapsed in the kitchen and he is not breathing!", "schools",
                      {"language": "en", "municipality": "lulea"}, confidence=0.998)
    assert [m["response"] for m in messages] == ["utter_emergency"] and messages[0]["municipality"] == "lulea"


def _decision(outcome: Outcome, confidence: float) -> Decision:
    hits = [] if outcome is Outcome.NONE else [Hit("x", "schools", 0.5, 0.8, 0.1, 0.1, None)]
    return Decision(outcome, hits, confidence)


def test_the_reading_in_context_is_taken_when_it_finds_something_and_the_judge_trusts_it_more() -> None:
    assert in_context_wins(_decision(Outcome.NONE, 0.03), _decision(Outcome.CHOICES, 0.12))  # "is it expensive?"
    assert not in_context_wins(_decision(Outcome.CHOICES, 0.38), _decision(Outcome.CHOICES, 0.06))  # "is SFI free?"
    assert not in_context_wins(_decision(Outcome.NONE, 0.01), _decision(Outcome.NONE, 0.02))  # nothing either way
