"""Rasa's tracker store, as far as this product needs it: deleting what a person wrote.

Rasa keeps every event of a conversation (the person's texts included) in its own tracker store,
SQLite by default and PostgreSQL at scale. Deletion — a person's request, or the retention period
— must reach it too. Rasa's SQL tracker store keeps one ``events`` table keyed by ``sender_id``
(our conversation id); we delete those rows with SQLAlchemy in a worker thread, so the same code
serves both databases and never blocks the event loop.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine


def sqlite_file(url: str) -> Path | None:
    """The file of a ``sqlite:///path`` URL (relative to the working directory); None for other databases."""
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


class TrackerEvents:
    def __init__(self, url: str) -> None:
        #: A SQLAlchemy URL: ``sqlite:///var/rasa-tracker.sqlite`` or ``postgresql+psycopg://…/rasa``.
        self.url = url
        self._engine: Engine | None = None

    def _delete(self, conversation_ids: list[str]) -> int:
        file = sqlite_file(self.url)
        if file is not None and not file.is_file():
            return 0  # Rasa has not written anything yet
        if self._engine is None:
            self._engine = create_engine(self.url, pool_pre_ping=True)
        with self._engine.begin() as connection:
            if not inspect(connection).has_table("events"):
                return 0
            deleted = 0
            for conversation_id in conversation_ids:
                result = connection.execute(text("DELETE FROM events WHERE sender_id = :sender"),
                                            {"sender": conversation_id})
                deleted += result.rowcount or 0
            return deleted

    async def forget(self, conversation_ids: list[str]) -> int:
        """Delete these conversations' events; how many events were deleted."""
        if not conversation_ids:
            return 0
        return await asyncio.to_thread(self._delete, conversation_ids)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
