"""Conversation records: every conversation and every message in and out, in SQLite or PostgreSQL.

The gateway writes a person's message here *before* it asks Rasa, so nothing they wrote is lost
when Rasa is down, and a platform's retried webhook (same message id) is recognised and answered
once. SQLAlchemy's async engine gives one code path for both databases: ``sqlite+aiosqlite:///…``
by default, ``postgresql+psycopg://…`` by configuration (DATABASE_URL).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from base.clock import now
from base.messages import Author, BotMessage, Delivery
from storage.advisory import AdvisoryLocks
from storage.migrate import upgrade
from storage.schema import button_payloads, conversations, messages


def aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives datetimes back without their zone; they were all written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Conversation:
    id: str
    channel: str
    user_ref: str
    municipality: str | None
    language: str | None
    last_inbound_at: dt.datetime | None


@dataclass(frozen=True)
class StoredMessage:
    id: int
    conversation_id: str
    direction: str
    author: str
    text: str | None
    data: dict[str, Any] | None
    status: str
    created_at: dt.datetime
    external_id: str | None = None

    @property
    def message(self) -> BotMessage:
        """An outgoing message as it was sent (text, buttons, metadata)."""
        return BotMessage.from_wire({**(self.data or {}), "text": self.text})


def _stored(row: Any) -> StoredMessage:
    return StoredMessage(id=row["id"], conversation_id=row["conversation_id"], direction=row["direction"],
                         author=row["author"], text=row["text"], data=row["data"], status=row["status"],
                         created_at=row["created_at"], external_id=row["external_id"])


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


class Store:
    """Async access to the conversation records."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(url, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _enable_sqlite_foreign_keys)
        self._locks = AdvisoryLocks(self.engine) if self.engine.dialect.name == "postgresql" else None

    async def create_schema(self) -> None:
        """Bring the schema up to date through the migrations (never dropping what is stored)."""
        await asyncio.to_thread(upgrade, self.url)

    async def close(self) -> None:
        if self._locks is not None:
            await self._locks.close()
        await self.engine.dispose()

    @asynccontextmanager
    async def exclusive(self, conversation_id: str) -> AsyncIterator[None]:
        """Hold the conversation across app processes (PostgreSQL advisory lock; SQLite: one process)."""
        if self._locks is None:
            yield
            return
        async with self._locks.hold(conversation_id):
            yield

    async def conversation(self, conversation_id: str) -> Conversation | None:
        async with self.engine.connect() as connection:
            row = (await connection.execute(
                select(conversations).where(conversations.c.id == conversation_id))).mappings().first()
        if row is None:
            return None
        return Conversation(id=row["id"], channel=row["channel"], user_ref=row["user_ref"],
                            municipality=row["municipality"], language=row["language"],
                            last_inbound_at=row["last_inbound_at"])

    async def record_inbound(self, conversation_id: str, channel: str, user_ref: str, municipality: str | None,
                             text: str, external_id: str | None, data: dict[str, Any] | None = None) -> int | None:
        """Store a person's message; its id, to be answered.

        A platform's retried delivery (same message id) is not stored twice: None when the first one
        has been answered, and the first one's id when it is still waiting for its answer (the
        process that took it may have died; whoever answers first answers it once).
        """
        stamp = now()
        values: dict[str, Any] = {"updated_at": stamp, "last_inbound_at": stamp}
        if municipality:
            values["municipality"] = municipality
        try:
            # One transaction, one commit (one disk sync): a repeated delivery rolls it back whole,
            # and its conversation exists already.
            async with self.engine.begin() as connection:
                updated = await connection.execute(update(conversations).where(conversations.c.id == conversation_id)
                                                   .values(**values))
                if not updated.rowcount:
                    await connection.execute(conversations.insert().values(
                        id=conversation_id, channel=channel, user_ref=user_ref, created_at=stamp, **values))
                result = await connection.execute(messages.insert().values(
                    conversation_id=conversation_id, direction="in", author=Author.PERSON, text=text, data=data,
                    external_id=external_id, status=Delivery.RECEIVED, created_at=stamp))
                return int(result.inserted_primary_key[0])
        except IntegrityError:
            async with self.engine.connect() as connection:
                row = (await connection.execute(select(messages.c.id, messages.c.status).where(
                    messages.c.conversation_id == conversation_id, messages.c.external_id == external_id))).first()
            return int(row[0]) if row is not None and row[1] == Delivery.RECEIVED else None

    async def pending(self, conversation_id: str) -> list[StoredMessage]:
        """The person's messages not answered yet, oldest first."""
        query = (select(messages).where(messages.c.conversation_id == conversation_id, messages.c.direction == "in",
                                        messages.c.status == Delivery.RECEIVED).order_by(messages.c.id))
        async with self.engine.connect() as connection:
            return [_stored(row) for row in (await connection.execute(query)).mappings().all()]

    async def stalled(self, before: dt.datetime, limit: int = 100) -> list[str]:
        """Conversations with a message stored before this moment and still unanswered (its process died)."""
        query = (select(messages.c.conversation_id).where(
            messages.c.direction == "in", messages.c.status == Delivery.RECEIVED, messages.c.created_at < before)
            .group_by(messages.c.conversation_id).limit(limit))
        async with self.engine.connect() as connection:
            return [row[0] for row in (await connection.execute(query)).all()]

    async def record_outbound(self, conversation_id: str, author: Author, bot_messages: list[BotMessage],
                              answered: int | None, status: Delivery) -> None:
        """Store what was sent back and mark the person's message answered (or not)."""
        stamp = now()
        language = next((m.meta.language for m in reversed(bot_messages) if m.meta.language), None)
        municipality = next((m.meta.municipality for m in reversed(bot_messages) if m.meta.municipality), None)
        rows = [{"conversation_id": conversation_id, "direction": "out", "author": author, "text": m.text,
                 "data": {key: value for key, value in m.to_wire().items() if key != "text"} or None,
                 "status": Delivery.SENT, "created_at": stamp} for m in bot_messages]
        async with self.engine.begin() as connection:
            if rows:  # one statement for all of them, stored in the order they are sent
                await connection.execute(messages.insert(), rows)
            if answered is not None:
                await connection.execute(update(messages).where(messages.c.id == answered).values(status=status))
            values: dict[str, Any] = {"updated_at": stamp}
            if language:
                values["language"] = language
            if municipality:
                values["municipality"] = municipality
            await connection.execute(update(conversations).where(conversations.c.id == conversation_id)
                                     .values(**values))

    async def transcript(self, conversation_id: str, limit: int = 200) -> list[StoredMessage]:
        """The latest messages of a conversation, oldest first."""
        query = (select(messages).where(messages.c.conversation_id == conversation_id)
                 .order_by(messages.c.id.desc()).limit(limit))
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [_stored(row) for row in reversed(rows)]

    async def last_sent(self, conversation_id: str) -> StoredMessage | None:
        """The latest message sent to the person, if any."""
        query = (select(messages).where(messages.c.conversation_id == conversation_id, messages.c.direction == "out")
                 .order_by(messages.c.id.desc()).limit(1))
        async with self.engine.connect() as connection:
            row = (await connection.execute(query)).mappings().first()
        return None if row is None else _stored(row)

    async def count_messages(self, conversation_id: str) -> int:
        async with self.engine.connect() as connection:
            return int((await connection.execute(
                select(func.count()).select_from(messages)
                .where(messages.c.conversation_id == conversation_id))).scalar_one())

    async def remember_payload(self, token: str, payload: str) -> None:
        try:
            async with self.engine.begin() as connection:
                known = (await connection.execute(
                    select(button_payloads.c.token).where(button_payloads.c.token == token))).first()
                if not known:
                    await connection.execute(button_payloads.insert().values(token=token, payload=payload,
                                                                             created_at=now()))
        except IntegrityError:
            pass  # the same button, stored at the same moment by another message

    async def payload(self, token: str) -> str | None:
        async with self.engine.connect() as connection:
            row = (await connection.execute(
                select(button_payloads.c.payload).where(button_payloads.c.token == token))).first()
        return None if row is None else str(row[0])
