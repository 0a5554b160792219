"""The way to a human host: asked for, a personal case, or an emergency (which gets 112 first)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

import municipalities

#: The reply that offers a host, by the intent that asked for one.
RESPONSES = {"emergency": "utter_emergency", "personal_case": "utter_personal_case",
             "book_meeting": "utter_book_meeting"}


def offer_human(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str | None) -> list[dict[str, Any]]:
    """Offer a host for this reason (an intent name); 112 at once for an emergency, whatever else is unknown.

    The reply carries ``handoff_offered``; the gateway then runs the handoff intake.
    """
    language = tracker.get_slot("language") or "en"
    municipality = tracker.get_slot("municipality")
    if municipality not in municipalities.load_all():
        if reason == "emergency":
            dispatcher.utter_message(response="utter_emergency", language=language)
        dispatcher.utter_message(response="utter_ask_municipality", language=language)
        return []
    response = RESPONSES.get(reason or "", "utter_human_contact")
    dispatcher.utter_message(response=response, municipality=municipality, language=language)
    return []


class ActionOfferHuman(Action):
    def name(self) -> str:
        return "action_offer_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return offer_human(dispatcher, tracker, (tracker.latest_message.get("intent") or {}).get("name"))


class ActionOfferMeeting(Action):
    """A person asks to book a meeting with a host: the reply names the municipality, and the
    gateway (``handoff.meetings``) follows it with the free times as buttons. Without a municipality
    the person is asked for one first, as for a host."""

    def name(self) -> str:
        return "action_offer_meeting"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return offer_human(dispatcher, tracker, "book_meeting")
