"""The replies that lead to a host or a meeting: the municipality is asked for first, 112 never waits."""

from __future__ import annotations

import asyncio

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.human import ActionOfferHuman, ActionOfferMeeting


def _responses(action: Action, intent: str, slots: dict) -> list[tuple[str, str | None, str | None]]:
    latest = {"text": "…", "intent": {"name": intent, "confidence": 0.9}, "entities": [], "metadata": {}}
    tracker = Tracker("u1", slots, latest, [{"event": "user", "text": "…", "parse_data": latest}], False, None, {},
                      "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker, {}))
    return [(m["response"], m.get("municipality"), m.get("language")) for m in dispatcher.messages]


def test_a_meeting_is_offered_for_the_conversations_municipality_in_its_language() -> None:
    assert _responses(ActionOfferMeeting(), "book_meeting", {"language": "pl", "municipality": "kiruna"}) == [
        ("utter_book_meeting", "kiruna", "pl")]


def test_without_a_municipality_the_person_is_asked_for_one_before_a_meeting_or_a_host() -> None:
    for action, intent in ((ActionOfferMeeting(), "book_meeting"), (ActionOfferHuman(), "ask_human")):
        assert _responses(action, intent, {"language": "uk", "municipality": None}) == [
            ("utter_ask_municipality", None, "uk")]


def test_an_emergency_without_a_municipality_gets_112_first() -> None:
    assert [r for r, _, _ in _responses(ActionOfferHuman(), "emergency", {"language": "sv"})] == [
        "utter_emergency", "utter_ask_municipality"]
