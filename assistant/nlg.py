"""Every bot response rendered from the per-language catalogs (served to Rasa as its NLG endpoint).

Rasa posts {"response", "arguments", "tracker", "channel"}; the answer is one message
{"text", "buttons", "custom"}. The language comes from the action's ``language`` argument
(set in the same turn, before the slot event is applied) or else the tracker's slot.
"""

from __future__ import annotations

import json
from typing import Any

import municipalities
from base.catalog import autonyms, text
from base.definitions import FALLBACK_LANGUAGE, LANGUAGES
from base.messages import DELETE_CANCEL, DELETE_CONFIRM, BotMessage, Button, HandoffReason, Meta
from knowledge.content.entries import FaqEntry, entry_by_id

#: Responses that offer a human host, and why (the handoff records the reason).
HANDOFF_REASONS = {"utter_human_contact": HandoffReason.ASKED, "utter_offer_human": HandoffReason.FAILED,
                   "utter_personal_case": HandoffReason.PERSONAL, "utter_emergency": HandoffReason.EMERGENCY}


def _language(arguments: dict[str, Any], slots: dict[str, Any]) -> str:
    language = arguments.get("language") or slots.get("language")
    return language if language in LANGUAGES else FALLBACK_LANGUAGE


def _municipality(arguments: dict[str, Any], slots: dict[str, Any]) -> municipalities.Municipality | None:
    return municipalities.load_all().get(arguments.get("municipality") or slots.get("municipality") or "")


def contact_lines(place: municipalities.Municipality, language: str) -> list[str]:
    """How to reach the municipality's relocation service, as published in its sources."""
    contact = place.host_contact
    lines = [text(language, "utter_human_contact", service=contact.service)]
    if contact.phone:
        lines.append(text(language, "contact_phone", phone=contact.phone))
    if contact.email:
        lines.append(text(language, "contact_email", email=contact.email))
    if contact.web:
        lines.append(text(language, "contact_web", web=str(contact.web)))
    return lines


def _question_for(entry: FaqEntry, language: str) -> str:
    return entry.questions[language][0]


def _faq_answer(arguments: dict[str, Any], language: str, place: municipalities.Municipality | None) -> BotMessage:
    entry = entry_by_id(str(arguments.get("faq_id")))
    if entry is None:
        return BotMessage(text=text(language, "utter_default"))
    parts = []
    if arguments.get("national"):
        parts.append(text(language, "faq_national"))
    if arguments.get("other_municipality") and place is not None:
        parts.append(text(language, "faq_other_municipality", municipality_name=place.name))
    parts.append(entry.answer[language].strip())
    if entry.time_sensitive:
        parts.append(text(language, "faq_time_sensitive"))
    sources = [str(url) for url in entry.sources]
    parts.append(text(language, "faq_source", sources=" ".join(sources)))
    meta = Meta(response="utter_faq_answer", faq_id=entry.id, topic=entry.topic,
                municipality=place.id if place else None, language=language,
                score=arguments.get("score"), sources=sources, time_sensitive=entry.time_sensitive,
                verified=entry.verified.isoformat())
    return BotMessage(text="\n\n".join(parts), meta=meta)


def _faq_choices(arguments: dict[str, Any], language: str, place: municipalities.Municipality | None) -> BotMessage:
    buttons = []
    for faq_id in arguments.get("faq_ids") or []:
        entry = entry_by_id(str(faq_id))
        if entry is not None:
            # The payload is the question itself: the FAQ action answers a known phrasing directly,
            # and channels that echo a button's text (WhatsApp lists) work the same way.
            question = _question_for(entry, language)
            buttons.append(Button(question, question))
    meta = Meta(response="utter_faq_choices", choices=list(arguments.get("faq_ids") or []),
                scores=list(arguments.get("scores") or []), municipality=place.id if place else None,
                language=language)
    return BotMessage(text=text(language, "utter_faq_choices"), buttons=tuple(buttons), meta=meta)


def _handoff_offer(response: str, language: str, place: municipalities.Municipality | None) -> BotMessage:
    lines = contact_lines(place, language) if place else []
    if response != "utter_human_contact":
        lines.insert(0, text(language, response, municipality_name=place.name if place else ""))
    meta = Meta(language=language, response=response, handoff_offered=place is not None,
                handoff_reason=HANDOFF_REASONS[response], municipality=place.id if place else None)
    return BotMessage(text="\n\n".join(lines), meta=meta)


def render(response: str, arguments: dict[str, Any], tracker: dict[str, Any]) -> BotMessage:
    """One bot message for a response name, in the conversation's language."""
    slots = tracker.get("slots") or {}
    language = _language(arguments, slots)
    place = _municipality(arguments, slots)
    all_places = municipalities.load_all()
    plain = Meta(language=language, response=response)

    if response == "utter_faq_answer":
        return _faq_answer(arguments, language, place)
    if response == "utter_faq_choices":
        return _faq_choices(arguments, language, place)
    if response in HANDOFF_REASONS:
        return _handoff_offer(response, language, place)
    if response == "utter_book_meeting":  # the gateway adds the free times (handoff.meetings)
        meta = Meta(language=language, response=response, municipality=place.id if place else None)
        return BotMessage(text=text(language, response, municipality_name=place.name if place else ""), meta=meta)
    if response == "utter_confirm_delete":
        buttons = (Button(text(language, "delete_yes"), DELETE_CONFIRM),
                   Button(text(language, "delete_no"), DELETE_CANCEL))
        return BotMessage(text=text(language, response), buttons=buttons, meta=plain)
    if response == "utter_ask_municipality":
        buttons = tuple(Button(m.name, "/choose_municipality" + json.dumps({"municipality": m.id}))
                        for m in all_places.values())
        return BotMessage(text=text(language, response), buttons=buttons, meta=plain)
    if response == "utter_not_served":
        lines = [text(language, response, place=str(arguments.get("place") or ""),
                      municipality_list=", ".join(m.name for m in all_places.values()))]
        if arguments.get("county"):
            lines.append(text(language, "not_served_county", place=str(arguments.get("place")),
                              county=str(arguments["county"])))
        return BotMessage(text=" ".join(lines), meta=plain)
    if response == "utter_ask_language":
        buttons = tuple(Button(label, "/change_language" + json.dumps({"language": code}))
                        for code, label in autonyms().items())
        return BotMessage(text=text(language, response), buttons=buttons, meta=plain)
    values = {
        "municipality_name": place.name if place else "",
        "municipality_list": ", ".join(m.name for m in all_places.values()),
    }
    return BotMessage(text=text(language, response, **values), meta=plain)
