"""Asking a person, once, how the conversation went: a 1-5 rating and an optional comment.

The question comes when a conversation reaches an end — the person says goodbye, a host hands
the conversation back or resolves it — never while a host is awaited or chatting (the gateway
asks only outside those), and never twice in a row: not again until the person has had another
answer since the last time. It is not asked after inactivity: on WhatsApp a message the person
did not ask for needs a paid template outside the 24-hour window, and on the web the person has
usually left; an unasked rating is better than a message nobody reads.

Flow: the question with buttons 1-5 (a typed digit counts) -> "anything to add?" with a "no
thanks" button -> the next message is the comment, unless it is a question (it ends with "?"),
which then goes to the assistant as usual. The rating is stored with the conversation's
municipality, language, channel and last topic, which the analytics count.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select, update

from base.catalog import text
from base.clock import now
from base.messages import Author, BotMessage, Button, Meta
from storage.schema import ratings
from storage.store import Conversation, Store, aware

PAYLOAD = "/rate_"
SKIP = f"{PAYLOAD}skip"
SCORES = range(1, 6)
ASK, ASK_COMMENT, THANKS = "satisfaction_ask", "satisfaction_ask_comment", "satisfaction_thanks"
#: What counts as a new exchange since the last question: an answer from the FAQ or a host's word.
NEW_EXCHANGE = frozenset({"utter_faq_answer", "utter_faq_choices"})
MAX_COMMENT = 2000


class Trigger(StrEnum):
    GOODBYE = "goodbye"
    HANDED_BACK = "handed_back"
    RESOLVED = "resolved"


#: The replies that end a conversation, and so are followed by the question.
ENDINGS = {"utter_goodbye": Trigger.GOODBYE, "handoff_returned": Trigger.HANDED_BACK,
           "handoff_resolved": Trigger.RESOLVED}


@dataclass(frozen=True)
class Pending:
    id: int
    score: int | None


def question(language: str) -> BotMessage:
    buttons = tuple(Button(title=str(score), payload=f"{PAYLOAD}{score}") for score in SCORES)
    return BotMessage(text=text(language, ASK), buttons=buttons, meta=Meta(language=language, response=ASK))


class Satisfaction:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def ask(self, conversation: Conversation, replies: list[BotMessage]) -> BotMessage | None:
        """The question to send after these replies, if they end the conversation and it may be asked."""
        trigger = next((ENDINGS[r.meta.response] for r in replies if r.meta.response in ENDINGS), None)
        if trigger is None:
            return None
        language = next((r.meta.language for r in reversed(replies) if r.meta.language), None) \
            or conversation.language or "en"
        transcript = await self.store.transcript(conversation.id, limit=200)
        async with self.store.engine.connect() as connection:
            last = (await connection.execute(
                select(ratings.c.asked_at).where(ratings.c.conversation_id == conversation.id)
                .order_by(ratings.c.id.desc()).limit(1))).first()
        exchanges = [m for m in transcript if m.direction == "out" and (
            m.message.meta.response in NEW_EXCHANGE or m.author == Author.HOST)]
        if not exchanges:
            return None  # nothing was answered: there is nothing to rate
        if last is not None and not any(aware(m.created_at) > aware(last[0]) for m in exchanges):
            return None  # asked already, and nothing new was answered since
        topic = next((m.message.meta.topic for m in reversed(transcript) if m.message.meta.topic), None)
        async with self.store.engine.begin() as connection:
            await connection.execute(ratings.insert().values(
                conversation_id=conversation.id, municipality=conversation.municipality, language=language,
                channel=conversation.channel, topic=topic, trigger=trigger, asked_at=now()))
        return question(language)

    async def _pending(self, conversation_id: str) -> Pending | None:
        """The conversation's last rating if it still waits for a score or a comment."""
        async with self.store.engine.connect() as connection:
            row = (await connection.execute(
                select(ratings.c.id, ratings.c.score, ratings.c.comment)
                .where(ratings.c.conversation_id == conversation_id).order_by(ratings.c.id.desc()).limit(1))).first()
        if row is None or row.comment is not None:
            return None
        return Pending(row.id, row.score)

    async def receive(self, conversation: Conversation, said: str, last_response: str | None,
                      language: str) -> list[BotMessage] | None:
        """The replies when this message answers the question (or gives the comment); None otherwise."""
        if last_response not in (ASK, ASK_COMMENT):
            return None
        pending = await self._pending(conversation.id)
        if pending is None:
            return None
        words = said.strip()
        if last_response == ASK:
            score = _score(words)
            if score is None:
                return None  # not a rating: the person went on talking, the question lapses
            async with self.store.engine.begin() as connection:
                await connection.execute(update(ratings).where(ratings.c.id == pending.id)
                                         .values(score=score, rated_at=now()))
            skip = Button(title=text(language, "satisfaction_no_comment"), payload=SKIP)
            return [BotMessage(text=text(language, ASK_COMMENT), buttons=(skip,),
                               meta=Meta(language=language, response=ASK_COMMENT))]
        if words != SKIP and (words.endswith("?") or words.startswith("/")):
            return None  # a question, or another button: the assistant answers it
        if words != SKIP:
            async with self.store.engine.begin() as connection:
                await connection.execute(update(ratings).where(ratings.c.id == pending.id)
                                         .values(comment=words[:MAX_COMMENT]))
        return [BotMessage(text=text(language, THANKS), meta=Meta(language=language, response=THANKS))]


def _score(words: str) -> int | None:
    """A pressed button's payload, or a typed digit 1-5 on its own."""
    raw = words.removeprefix(PAYLOAD) if words.startswith(PAYLOAD) else words.strip(" .!*")
    return int(raw) if raw.isdigit() and int(raw) in SCORES else None
