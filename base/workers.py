"""One bounded pool of threads for CPU work (model passes, FAQ search), sized to the machine's cores.

The event loop must never run a model: while it computes, no other person's message, socket or
webhook is served. asyncio's default executor would let six threads compete for two cores (and
every library's own pool besides); this pool runs at most one call per core at once and queues
the rest, which on a busy machine gives shorter waits than oversubscribing. The model sessions
themselves use one thread each (``knowledge.model.encoder``), so the pool's size is the machine's
whole CPU budget for models.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache, partial
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def cpu_count() -> int:
    """Cores this process may use (its affinity, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=cpu_count(), thread_name_prefix="cpu-work")


async def off_loop(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run CPU-bound ``function`` in the pool and wait for it without blocking the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_pool(), partial(function, *args, **kwargs))
