"""Conversation locks across app processes: PostgreSQL advisory locks, all on one connection per process.

A lock is held while a conversation's message is answered — including the Rasa turn, which can
take seconds. Holding a pooled connection per held conversation starves the pool: with 20
conversations answered at once, 15 connections (SQLAlchemy's default pool) were all holding locks
and every turn then waited for a connection to store its message (measured: 1 message a second,
p95 61 s, until the pool's 30 s timeout failed them). PostgreSQL lets one session hold any number
of advisory locks, so one connection per process holds them all, and ``pg_try_advisory_lock``
never blocks it: a lock another process holds is retried after a short, growing pause (rare: nginx
sends one client's messages to one app process). If the connection dies, PostgreSQL releases its
locks; a turn in progress then finishes unguarded, which is what a database outage allows anyway.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text as sql
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

logger = logging.getLogger(__name__)

_TRY = sql("SELECT pg_try_advisory_lock(hashtextextended(:key, 0))")
_RELEASE = sql("SELECT pg_advisory_unlock(hashtextextended(:key, 0))")


class LockTimeout(Exception):
    """Another process held the conversation for longer than a turn can take."""


class AdvisoryLocks:
    """Every conversation lock of this process, held on one dedicated PostgreSQL connection."""

    def __init__(self, engine: AsyncEngine, wait_seconds: float = 60.0) -> None:
        self.engine = engine
        self.wait_seconds = wait_seconds
        self._connection: AsyncConnection | None = None
        self._use = asyncio.Lock()

    async def _run(self, statement: object, key: str) -> bool:
        async with self._use:
            if self._connection is None:
                connection = await self.engine.connect()
                self._connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            try:
                return bool((await self._connection.execute(statement, {"key": key})).scalar())  # type: ignore[arg-type]
            except (SQLAlchemyError, OSError):
                await self._drop()
                raise

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.invalidate()
                await connection.close()
            except (SQLAlchemyError, OSError):
                pass

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        pause = 0.01
        deadline = asyncio.get_running_loop().time() + self.wait_seconds
        while not await self._run(_TRY, key):
            if asyncio.get_running_loop().time() > deadline:
                raise LockTimeout(key)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.2)
        try:
            yield
        finally:
            try:
                await self._run(_RELEASE, key)
            except (SQLAlchemyError, OSError) as exc:  # the session is gone, and its locks with it
                logger.warning("Could not release a conversation lock: %s", type(exc).__name__)

    async def close(self) -> None:
        async with self._use:
            await self._drop()
