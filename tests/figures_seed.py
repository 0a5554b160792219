"""A small, fully known set of stored conversations for the analytics tests (unit and browser).

Written straight into the tables at fixed moments of one week (Monday to Wednesday; by default
in March 2026), so the figures for that range are exact whatever else a test database holds (the
live tests chat "now"; tests sharing a database seed different weeks).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from storage.schema import conversations, handoffs, messages, ratings
from storage.store import Store

PLACE, OTHER = "haparanda", "kiruna"
FIRST, LAST = dt.date(2026, 3, 2), dt.date(2026, 3, 4)  # Monday to Wednesday


def at(day: int, hour: int, minute: int = 0) -> tuple[int, int, int]:
    """A moment as (day, hour, minute) in UTC: day 1 is the Sunday before the week, 2 its Monday.

    All are between 07:00 and 16:01 UTC, so they fall on the same day and the same side of office
    hours in Stockholm in winter (UTC+1) and summer (UTC+2) alike.
    """
    return day, hour, minute


def moment(monday: dt.date, when: tuple[int, int, int]) -> dt.datetime:
    day, hour, minute = when
    return dt.datetime.combine(monday + dt.timedelta(days=day - 2), dt.time(hour, minute), dt.UTC)


def _bot(response: str, topic: str | None = None) -> dict[str, Any]:
    custom: dict[str, Any] = {"response": response}
    if topic:
        custom["topic"] = topic
    return {"custom": custom}


#: What the people wrote, by (conversation, n-th message): the gap report shows the unanswered
#: ones, so they read as real questions.
QUESTIONS = {
    (0, 1): "Czy w Haparandzie są wolne mieszkania na wynajem?", (0, 2): "Jak zapisać się do kolejki?",
    (1, 0): "When does the school year start?", (1, 1): "Is there a bus to Kemi in the evening?",
    (2, 0): "Чи можна зареєструвати тут іноземне авто?",
    (3, 0): "أريد التحدث مع شخص من البلدية", (4, 0): "Jag behöver hjälp med mitt ärende hos Migrationsverket",
    (5, 0): "Onko Kirunassa töitä insinööreille?",
}
#: (channel, language, municipality, [(when, direction, author, data)], handoff or None)
CONVERSATIONS: list[tuple[str, str, str, list[tuple[tuple[int, int, int], str, str, dict | None]], dict | None]] = [
    ("web", "pl", PLACE, [
        (at(1, 10), "in", "person", None),  # the day before the range: not counted
        (at(2, 9), "in", "person", None), (at(2, 9, 1), "out", "bot", _bot("utter_faq_answer", "housing")),
        (at(2, 9, 5), "in", "person", None), (at(2, 9, 6), "out", "bot", _bot("utter_faq_choices")),
    ], None),
    ("telegram", "en", PLACE, [
        (at(2, 11), "in", "person", None), (at(2, 11, 1), "out", "bot", _bot("utter_faq_answer", "schools")),
        (at(3, 12), "in", "person", None), (at(3, 12, 1), "out", "bot", _bot("utter_ask_rephrase")),
    ], None),
    ("whatsapp", "uk", PLACE, [
        (at(4, 8), "in", "person", None), (at(4, 8, 1), "out", "bot", _bot("utter_out_of_scope")),
    ], {"reason": "failed", "status": "resolved", "ticket": False, "queued_at": at(4, 8, 2),
        "claimed_at": at(4, 8, 14), "closed_at": at(4, 9), "language_match": True}),
    ("web", "ar", PLACE, [(at(4, 7), "in", "person", None)],  # 08:00 in Haparanda: the office day ends 16:00
     {"reason": "asked", "status": "resolved", "ticket": True, "queued_at": at(4, 7, 1),
      "claimed_at": at(4, 14), "closed_at": at(4, 14, 30), "language_match": False}),
    ("web", "sv", PLACE, [(at(4, 16), "in", "person", None)],  # 17:00: due by the close of Thursday, never taken up
     {"reason": "personal", "status": "ticket", "ticket": True, "queued_at": at(4, 16, 1), "claimed_at": None,
      "closed_at": None}),
    ("web", "fi", OTHER, [
        (at(3, 10), "in", "person", None), (at(3, 10, 1), "out", "bot", _bot("utter_faq_answer", "work")),
    ], None),
]

def expected_per_day(monday: dt.date = FIRST) -> list[tuple[str, str, str]]:
    """Conversations and messages per day of PLACE, Monday to Wednesday, counted by hand from the list."""
    counts = [("2", "3"), ("1", "1"), ("3", "3")]
    return [((monday + dt.timedelta(days=n)).isoformat(), *pair) for n, pair in enumerate(counts)]


#: The figures of PLACE for the week's Monday to Wednesday, as a person would count them above.
EXPECTED_SUMMARY = {"conversations": 5, "messages": 7, "handoffs": 3, "median_minutes_to_host": 12.0,
                    "claimed_chats": 1, "tickets": 2, "tickets_in_time": 1, "ratings": 3, "mean_rating": 3.67,
                    "language_claimed": 2, "language_matched": 1, "language_match_share": 0.5}
#: Claimed handoffs of PLACE by the person's language: share, claimed by a host who speaks it, claimed.
EXPECTED_LANGUAGE_MATCH = [("uk", "1.00", "1", "1"), ("ar", "0.00", "0", "1")]
EXPECTED_OUTCOMES = [("answered", "2", "0.25"), ("choices", "1", "0.12"), ("not_answered", "2", "0.25"),
                     ("handed", "3", "0.38")]


#: (language, topic, municipality, score or None for asked and not answered, when)
RATINGS = [("pl", "housing", PLACE, 5, at(2, 9, 10)), ("en", "schools", PLACE, 2, at(3, 12, 5)),
           ("en", None, PLACE, 4, at(4, 9)), ("sv", None, PLACE, None, at(4, 10)), ("fi", "work", OTHER, 3, at(3, 11))]
EXPECTED_SATISFACTION = {"1": "0", "2": "1", "3": "0", "4": "1", "5": "1"}
EXPECTED_SATISFACTION_LANGUAGES = [("en", "3.00", "2"), ("pl", "5.00", "1")]


async def seed(store: Store, monday: dt.date = FIRST) -> str:
    """Write the conversations in the week of ``monday`` (ids unique to this call); returns their ids' prefix."""
    assert monday.weekday() == 0, "the office hours the tickets are judged by depend on the weekday"
    prefix = f"seed-{uuid.uuid4().hex[:8]}"
    async with store.engine.begin() as connection:
        for n, (channel, language, place, rows, handoff) in enumerate(CONVERSATIONS):
            conversation_id = f"{channel}:{prefix}-{n}"
            await connection.execute(conversations.insert().values(
                id=conversation_id, channel=channel, user_ref=f"{prefix}-{n}", municipality=place, language=language,
                created_at=moment(monday, rows[0][0]), updated_at=moment(monday, rows[-1][0]),
                last_inbound_at=moment(monday, rows[-1][0])))
            asked = 0
            for when, direction, author, data in rows:
                said = QUESTIONS.get((n, asked), "…") if direction == "in" else "…"
                asked += direction == "in"
                await connection.execute(messages.insert().values(
                    conversation_id=conversation_id, direction=direction, author=author, data=data,
                    text=said, status="sent" if direction == "out" else "answered", created_at=moment(monday, when)))
            if handoff is not None:
                times = {key: moment(monday, value) if isinstance(value, tuple) else value
                         for key, value in handoff.items()}
                await connection.execute(handoffs.insert().values(
                    conversation_id=conversation_id, municipality=place, channel=channel, language=language,
                    consent=True, created_at=moment(monday, rows[0][0]), contact_method="chat", need="something",
                    **times))
        for language, topic, place, score, when in RATINGS:
            await connection.execute(ratings.insert().values(
                conversation_id=None, municipality=place, language=language, channel="web", topic=topic,
                trigger="goodbye", score=score, asked_at=moment(monday, when),
                rated_at=moment(monday, when) if score else None))
    return prefix


#: Questions the assistant could not answer, (text, language, municipality): one question about
#: pets in three languages and two municipalities, one about skiing in two languages.
UNANSWERED = [
    ("Do landlords here accept cats and dogs?", "en", "gallivare"),
    ("Får man ha katt i en hyresrätt?", "sv", "norsjo"),
    ("Czy w mieszkaniu na wynajem można trzymać psa? Mój numer to 850709-9805", "pl", "gallivare"),
    ("Is there a ski school for adults?", "en", "norsjo"),
    ("Gibt es Skikurse für Erwachsene?", "de", "norsjo"),
]


#: A local answer people got that week (for the view across municipalities).
ANSWERED_LOCALLY = "skelleftea.housing.finding_a_home"


async def seed_gaps(store: Store, monday: dt.date = FIRST) -> None:
    """Each question in its own conversation on the Tuesday, answered with "please rephrase"; and one
    question in Skellefteå answered with its own entry."""
    prefix = f"gap-{uuid.uuid4().hex[:8]}"
    async with store.engine.begin() as connection:
        for n, (question, language, place) in enumerate(UNANSWERED):
            conversation_id = f"web:{prefix}-{n}"
            asked = moment(monday, at(3, 9, n))
            await connection.execute(conversations.insert().values(
                id=conversation_id, channel="web", user_ref=f"{prefix}-{n}", municipality=place, language=language,
                created_at=asked, updated_at=asked, last_inbound_at=asked))
            await connection.execute(messages.insert().values(
                conversation_id=conversation_id, direction="in", author="person", text=question, status="answered",
                created_at=asked))
            await connection.execute(messages.insert().values(
                conversation_id=conversation_id, direction="out", author="bot", text="…",
                data=_bot("utter_ask_rephrase"), status="sent", created_at=asked))
        answered_id, asked = f"web:{prefix}-answered", moment(monday, at(3, 11))
        await connection.execute(conversations.insert().values(
            id=answered_id, channel="web", user_ref=f"{prefix}-answered", municipality="skelleftea", language="en",
            created_at=asked, updated_at=asked, last_inbound_at=asked))
        await connection.execute(messages.insert().values(
            conversation_id=answered_id, direction="in", author="person", text="How do we find a flat?",
            status="answered", created_at=asked))
        await connection.execute(messages.insert().values(
            conversation_id=answered_id, direction="out", author="bot", text="…", status="sent", created_at=asked,
            data={"custom": {"response": "utter_faq_answer", "faq_id": ANSWERED_LOCALLY, "topic": "housing"}}))
