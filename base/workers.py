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
T = TypeVar("T")


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


def over_cores(function: Callable[[list[T]], R], items: list[T]) -> list[R]:
    """``function`` on consecutive slices of ``items``, one slice per core at once; results in order.

    For batch work outside the event loop (building an index encodes thousands of texts): the
    model sessions use one thread each, so without this a build leaves every core but one idle.
    One item (a query at run time) is computed right here, without a thread.
    """
    cores = min(cpu_count(), len(items))
    if cores <= 1:
        return [function(items)]
    size = -(-len(items) // cores)
    slices = [items[start : start + size] for start in range(0, len(items), size)]
    with ThreadPoolExecutor(max_workers=cores, thread_name_prefix="batch-work") as pool:
        return list(pool.map(function, slices))
