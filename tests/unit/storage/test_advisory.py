"""Conversation locks across processes (storage/advisory.py) on the machine's PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from storage.store import Store


@pytest.fixture
def stores(postgres_url: str):
    """Two stores on one database: two app processes, as far as PostgreSQL can tell."""
    first, second = Store(postgres_url), Store(postgres_url)
    asyncio.run(first.create_schema())
    yield first, second
    asyncio.run(first.close())
    asyncio.run(second.close())


def test_a_conversation_held_by_one_process_waits_in_the_other(stores) -> None:
    first, second = stores
    order: list[str] = []

    async def scenario() -> None:
        held = asyncio.Event()

        async def one() -> None:
            async with first.exclusive("web:a"):
                held.set()
                order.append("first in")
                await asyncio.sleep(0.3)
                order.append("first out")

        async def two() -> None:
            await held.wait()
            async with second.exclusive("web:a"):
                order.append("second in")
            async with second.exclusive("web:b"):  # another conversation is free at once
                order.append("other")

        await asyncio.gather(one(), two())

    asyncio.run(scenario())
    assert order == ["first in", "first out", "second in", "other"]


def test_many_held_conversations_leave_the_pool_free_for_their_messages(stores) -> None:
    """Forty conversations answered at once each still store their message (the pool holds 15)."""
    store, _ = stores

    async def answer(n: int) -> int | None:
        async with store.exclusive(f"web:many-{n}"):
            stored = await store.record_inbound(f"web:many-{n}", "web", f"u{n}", "boden", "hej", external_id=None)
            await asyncio.sleep(0.2)  # the Rasa turn
            return stored

    async def scenario() -> list[int | None]:
        return await asyncio.wait_for(asyncio.gather(*(answer(n) for n in range(40))), timeout=25)

    stored = asyncio.run(scenario())
    assert all(isinstance(message_id, int) for message_id in stored)
