"""CPU work runs beside the event loop, never on it, and no more of it at once than there are cores."""

from __future__ import annotations

import asyncio
import threading
import time

from base import workers


def test_work_runs_in_the_pool_while_the_loop_keeps_serving() -> None:
    seen: dict[str, object] = {}

    def busy() -> str:
        seen["thread"] = threading.current_thread().name
        time.sleep(0.2)
        return "done"

    async def main() -> tuple[str, int]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticker = asyncio.create_task(tick())
        result = await workers.off_loop(busy)
        ticker.cancel()
        return result, ticks

    result, ticks = asyncio.run(main())
    assert result == "done" and str(seen["thread"]).startswith("cpu-work")
    assert ticks >= 5  # the loop went on while the work ran


def test_no_more_calls_run_at_once_than_the_process_has_cores() -> None:
    running = peak = 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1

    async def main() -> None:
        await asyncio.gather(*[workers.off_loop(work) for _ in range(4 * workers.cpu_count())])

    asyncio.run(main())
    assert peak == workers.cpu_count()


def test_a_batch_is_split_over_the_cores_and_comes_back_in_order(monkeypatch) -> None:
    monkeypatch.setattr(workers, "cpu_count", lambda: 3)
    threads: set[str] = set()

    def squares(part: list[int]) -> list[int]:
        threads.add(threading.current_thread().name)
        time.sleep(0.05)  # long enough that the slices overlap
        return [n * n for n in part]

    parts = workers.over_cores(squares, list(range(10)))
    assert [n for part in parts for n in part] == [n * n for n in range(10)]
    assert len(parts) == 3 and len(threads) == 3


def test_one_item_is_computed_in_the_calling_thread() -> None:
    caller = threading.current_thread().name
    assert workers.over_cores(lambda part: [threading.current_thread().name for _ in part], ["q"]) == [[caller]]
