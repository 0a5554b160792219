"""The conversation database as the commands open it: schema created, engine closed afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from app.settings import Settings
from storage.store import Store


@asynccontextmanager
async def opened(config: Settings) -> AsyncIterator[Store]:
    store = Store(config.database)
    await store.create_schema()
    try:
        yield store
    finally:
        await store.close()
