"""Webhook work that runs after the HTTP answer, kept so that shutdown can wait for it.

Telegram and Meta retry a webhook that is not answered quickly; both adapters therefore answer
200 at once and handle the message in a task. The tasks are kept (asyncio holds only weak
references) and awaited on close, so a message being handled is finished before the app exits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for every task still running; their failures were logged where they happened."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def cancel(self) -> None:
        for task in self._tasks:
            task.cancel()
