"""The gap report: which questions count as not answered well, and grouping them across languages
with the real e5 model (SQLite and PostgreSQL for the records)."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import uuid

from insight.figures import Period
from insight.gaps import Asked, gaps, group
from storage.schema import conversations, messages
from storage.store import Store

MONDAY = dt.date(2026, 3, 2)
PERIOD = Period(MONDAY, MONDAY + dt.timedelta(days=6))


def _at(day: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(MONDAY + dt.timedelta(days=day), dt.time(10, minute), dt.UTC)


def test_one_question_in_several_languages_is_one_group_and_different_questions_are_not() -> None:
    questions = [
        ("Do landlords here accept cats and dogs?", "en", "boden", 0),
        ("Får man ha katt i en hyresrätt?", "sv", "lulea", 1),
        ("Czy w mieszkaniu na wynajem można trzymać psa?", "pl", "kiruna", 5),
        ("Kann ich mit meinem Hund eine Mietwohnung bekommen?", "de", "boden", 6),
        ("Is there a ski school for adults?", "en", "kiruna", 2),
        ("Gibt es Skikurse für Erwachsene?", "de", "kiruna", 3),
        ("What time do the shops close on Sundays?", "en", "boden", 4),
    ]
    asked = [Asked(text, lang, place, _at(day), "not_answered") for text, lang, place, day in questions]
    found = group(asked, PERIOD)
    assert [gap.count for gap in found] == [4, 2, 1]
    pets, skiing, _ = found
    assert pets.municipalities == ("boden", "kiruna", "lulea")
    assert dict(pets.languages) == {"en": 1, "sv": 1, "pl": 1, "de": 1}
    assert (pets.earlier, pets.later, pets.trend) == (2, 2, "flat") and skiing.trend == "down"
    assert pets.examples[0].text == "Kann ich mit meinem Hund eine Mietwohnung bekommen?"  # the latest first
    assert group([], PERIOD) == []
    cleaned = group(asked[:1], PERIOD, clean=lambda said: said.replace("cats", "[hidden]"))
    assert cleaned[0].examples[0].text == "Do landlords here accept [hidden] and dogs?"  # cleaned before shown


def test_only_questions_not_answered_well_are_reported_each_once(database_url: str) -> None:
    monday = MONDAY - dt.timedelta(weeks=random.randrange(1, 5000))  # a week no other test used
    period = Period(monday, monday + dt.timedelta(days=6))
    prefix = uuid.uuid4().hex[:8]

    def reply(response: str) -> dict:
        return {"custom": {"response": response}}

    talk = [  # (person's text, replies' responses)
        ("Where do I register my boat?", ["utter_ask_rephrase", "utter_offer_human"]),  # counted once
        ("How do I find a flat in Boden?", ["utter_faq_answer"]),  # answered: not a gap
        ("Which school is best for my son?", ["utter_faq_choices"]),
        ("I need help with my residence permit", ["handoff_ask_method"]),
        ("/rate_4", ["satisfaction_ask_comment"]),  # a button, not a question
        ("ok", ["utter_out_of_scope"]),  # too short to be a question
    ]

    async def run() -> list:
        store = Store(database_url)
        await store.create_schema()
        try:
            async with store.engine.begin() as connection:
                conversation_id = f"web:{prefix}"
                start = dt.datetime.combine(monday, dt.time(9), dt.UTC)
                await connection.execute(conversations.insert().values(
                    id=conversation_id, channel="web", user_ref=prefix, municipality="boden", language="en",
                    created_at=start, updated_at=start))
                for minute, (text, responses) in enumerate(talk, start=1):
                    await connection.execute(messages.insert().values(
                        conversation_id=conversation_id, direction="in", author="person", text=text,
                        status="answered", created_at=start + dt.timedelta(minutes=minute)))
                    for response in responses:
                        await connection.execute(messages.insert().values(
                            conversation_id=conversation_id, direction="out", author="bot", text="…",
                            data=reply(response), status="sent", created_at=start + dt.timedelta(minutes=minute)))
            return await gaps(store, period, ["boden"])
        finally:
            await store.close()

    found = asyncio.run(run())
    reported = sorted((example.text, example.why) for gap in found for example in gap.examples)
    assert reported == [("I need help with my residence permit", "handed"),
                        ("Where do I register my boat?", "not_answered"),
                        ("Which school is best for my son?", "choices")]
