"""What people asked and how it went, counted from the stored conversations for any date range.

The municipalities' own goal is to learn what prospective newcomers need. Every figure here is
computed on demand from the records the product keeps anyway (conversations, messages with the
metadata of each reply, handoffs), so a figure is true for whatever range is asked and nothing
has to be kept in step. Only counts leave this module: no text, contact detail or conversation
id, so the figures can be shown to editors and exported without personal data.

Days are calendar days in the region's time zone (Europe/Stockholm for every municipality today).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select

import municipalities
from base.definitions import LANGUAGES
from base.messages import Author
from storage.schema import conversations, handoffs, messages, ratings
from storage.store import Store, aware

ZONE = ZoneInfo("Europe/Stockholm")

#: How a reply to a question went, by the response it was rendered from.
OUTCOMES = {
    "utter_faq_answer": "answered",
    "utter_faq_choices": "choices",
    "utter_ask_rephrase": "not_answered",
    "utter_out_of_scope": "not_answered",
    "utter_default": "not_answered",
    "utter_offer_human": "not_answered",
}
#: The order the outcome shares are shown in; "handed" counts handoffs the person confirmed.
OUTCOME_ORDER = ("answered", "choices", "not_answered", "handed")


@dataclass(frozen=True)
class Period:
    """Whole days, first and last included, in the region's time zone."""

    first: dt.date
    last: dt.date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError("the period ends before it starts")

    @property
    def start(self) -> dt.datetime:
        """In UTC, like every stored moment: SQLite keeps a datetime's clock time and drops its zone, so a
        Stockholm midnight compared there would leave out the first hour (two in summer) of the day."""
        return dt.datetime.combine(self.first, dt.time(), ZONE).astimezone(dt.UTC)

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), ZONE).astimezone(dt.UTC)

    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def day_of(moment: dt.datetime) -> dt.date:
    return aware(moment).astimezone(ZONE).date()


@dataclass(frozen=True)
class Series:
    """One table of figures: a label column and one or more count columns; a chart draws the first."""

    name: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)


@dataclass(frozen=True)
class Figures:
    period: Period
    scope: tuple[str, ...] | None  # the municipalities counted; None for the whole region
    series: dict[str, Series]
    summary: dict[str, float | int | None]


def _counted(counter: Counter[str], name: str, column: str, order: Collection[str] = ()) -> Series:
    keys = list(order) + sorted(k for k in counter if k not in order)
    return Series(name, ("label", column), [(key, str(counter.get(key, 0))) for key in keys])


async def figures(store: Store, period: Period, scope: Collection[str] | None) -> Figures:
    """The figures of the municipalities in ``scope`` (None: the whole region) for the period."""
    places = None if scope is None else tuple(sorted(scope))
    joined = messages.join(conversations, messages.c.conversation_id == conversations.c.id)
    message_query = (select(messages.c.conversation_id, messages.c.direction, messages.c.author, messages.c.data,
                            messages.c.created_at, conversations.c.channel, conversations.c.language)
                     .select_from(joined)
                     .where(messages.c.created_at >= period.start, messages.c.created_at < period.end))
    handoff_query = select(handoffs).where(handoffs.c.created_at >= period.start, handoffs.c.created_at < period.end)
    if places is not None:
        message_query = message_query.where(conversations.c.municipality.in_(places))
        handoff_query = handoff_query.where(handoffs.c.municipality.in_(places))
    rating_query = select(ratings.c.score, ratings.c.language, ratings.c.topic, ratings.c.municipality).where(
        ratings.c.asked_at >= period.start, ratings.c.asked_at < period.end, ratings.c.score.is_not(None))
    if places is not None:
        rating_query = rating_query.where(ratings.c.municipality.in_(places))
    async with store.engine.connect() as connection:
        rows = (await connection.execute(message_query)).all()
        handed = (await connection.execute(handoff_query)).mappings().all()
        rated = (await connection.execute(rating_query)).all()

    per_day_conversations: dict[dt.date, set[str]] = {day: set() for day in period.days()}
    per_day_messages: Counter[dt.date] = Counter()
    topics: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    for row in rows:
        if row.direction == "in":
            day = day_of(row.created_at)
            per_day_conversations.setdefault(day, set()).add(row.conversation_id)
            per_day_messages[day] += 1
            continue
        custom = (row.data or {}).get("custom") or {}
        outcome = OUTCOMES.get(str(custom.get("response")))
        if outcome is not None and row.author == Author.BOT:
            outcomes[outcome] += 1
        if custom.get("response") == "utter_faq_answer" and custom.get("topic"):
            topics[str(custom["topic"])] += 1
    active = {row.conversation_id: row for row in rows if row.direction == "in"}
    languages = Counter(row.language or "unknown" for row in active.values())
    channels = Counter(row.channel for row in active.values())

    confirmed = [h for h in handed if h["consent"]]
    outcomes["handed"] = len(confirmed)
    reasons = Counter(h["reason"] for h in confirmed)
    statuses = Counter(h["status"] for h in confirmed)
    waits = [(aware(h["claimed_at"]) - aware(h["queued_at"])).total_seconds() / 60
             for h in confirmed if h["claimed_at"] and h["queued_at"] and not h["ticket"]]
    tickets = [h for h in confirmed if h["ticket"]]
    in_time = sum(1 for h in tickets if _answered_in_time(h))
    # Claimed since hosts declare their languages (revision 0007); older claims are unknown, not "no".
    claimed = [h for h in confirmed if h["claimed_at"] is not None and h["language_match"] is not None]
    matched = sum(1 for h in claimed if h["language_match"])

    per_day = Series("per_day", ("day", "conversations", "messages"),
                     [(day.isoformat(), str(len(per_day_conversations[day])), str(per_day_messages[day]))
                      for day in period.days()])
    total_outcomes = sum(outcomes[k] for k in OUTCOME_ORDER)
    shares = Series("outcomes", ("outcome", "count", "share"),
                    [(k, str(outcomes[k]), f"{outcomes[k] / total_outcomes:.2f}" if total_outcomes else "0.00")
                     for k in OUTCOME_ORDER])
    return Figures(
        period=period, scope=places,
        series={
            "per_day": per_day,
            "languages": _counted(languages, "languages", "conversations"),
            "channels": _counted(channels, "channels", "conversations"),
            "topics": _counted(topics, "topics", "answers"),
            "outcomes": shares,
            "handoff_reasons": _counted(reasons, "handoff_reasons", "handoffs"),
            "handoff_outcomes": _counted(statuses, "handoff_outcomes", "handoffs"),
            "satisfaction": _counted(Counter(str(r.score) for r in rated), "satisfaction", "ratings",
                                     order=[str(n) for n in range(1, 6)]),
            "satisfaction_languages": _averaged(rated, "language", "satisfaction_languages"),
            "satisfaction_topics": _averaged(rated, "topic", "satisfaction_topics"),
            "satisfaction_municipalities": _averaged(rated, "municipality", "satisfaction_municipalities"),
            "language_match": _matched(claimed),
        },
        summary={
            "conversations": len(active),
            "messages": sum(per_day_messages.values()),
            "handoffs": len(confirmed),
            "median_minutes_to_host": round(statistics.median(waits), 1) if waits else None,
            "claimed_chats": len(waits),
            "tickets": len(tickets),
            "tickets_in_time": in_time,
            "ratings": len(rated),
            "mean_rating": round(statistics.fmean(r.score for r in rated), 2) if rated else None,
            "language_claimed": len(claimed),
            "language_matched": matched,
            "language_match_share": round(matched / len(claimed), 2) if claimed else None,
        },
    )


def _averaged(rated: Collection, key: str, name: str) -> Series:
    """The mean rating (1-5) and the number of ratings per language, topic or municipality."""
    groups: dict[str, list[int]] = {}
    for row in rated:
        groups.setdefault(getattr(row, key) or "unknown", []).append(row.score)
    return Series(name, ("label", "mean", "ratings"),
                  [(label, f"{statistics.fmean(scores):.2f}", str(len(scores)))
                   for label, scores in sorted(groups.items())])


def _matched(claimed: Collection) -> Series:
    """Per person's language: the share of claimed handoffs whose host speaks it, how many, of how many."""
    groups: dict[str, list[bool]] = {}
    for handoff in claimed:
        groups.setdefault(handoff["language"], []).append(bool(handoff["language_match"]))
    order = [language for language in LANGUAGES if language in groups] + sorted(set(groups) - set(LANGUAGES))
    return Series("language_match", ("label", "share", "matched", "claimed"),
                  [(language, f"{sum(groups[language]) / len(groups[language]):.2f}", str(sum(groups[language])),
                    str(len(groups[language]))) for language in order])


def _answered_in_time(handoff: dict) -> bool:
    """A ticket was answered in time when a host took it up by the close of the first office day."""
    place = municipalities.load_all().get(handoff["municipality"])
    done = handoff["claimed_at"] or handoff["closed_at"]
    if place is None or done is None or handoff["queued_at"] is None:
        return False
    due = place.office_hours.answer_due(aware(handoff["queued_at"]))
    return due is not None and aware(done) <= due
