"""The in-memory moving window: what a person over a limit is told, and that it forgets."""

from __future__ import annotations

import asyncio

from limits import parse

from storage.rates import MemoryWindows, RateLimits, RateRules


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_full_window_refuses_until_its_oldest_hit_leaves_it() -> None:
    clock = Clock()
    windows, rule = MemoryWindows(clock), parse("3/minute")
    verdicts = []
    for _ in range(3):
        verdicts.append(windows.hit("message/web:a", rule).allowed)
        clock.now += 10
    refused = windows.hit("message/web:a", rule)
    assert verdicts == [True, True, True]
    assert not refused.allowed and refused.retry_after == 30  # the first hit (t=0) leaves at t=60; now t=30
    assert windows.hit("message/web:b", rule).allowed  # another conversation has its own window
    clock.now += 30
    assert windows.hit("message/web:a", rule).allowed
    assert windows.count("message/web:a", rule) == 3  # the refused hit was not counted


def test_cleared_and_idle_keys_are_forgotten() -> None:
    clock = Clock()
    windows, rule = MemoryWindows(clock), parse("1/minute")
    windows.hit("login/10.0.0.1", rule)
    windows.clear("login/10.0.0.1")
    assert windows.hit("login/10.0.0.1", rule).allowed
    for n in range(100):
        windows.hit(f"message/web:{n}", rule)
    clock.now += MemoryWindows.SWEEP_SECONDS + 1
    windows.hit("message/web:new", rule)
    assert list(windows._hits) == ["message/web:new"]  # a whole window idle: no memory kept for it


def test_rate_limits_count_each_rule_and_key_apart() -> None:
    async def run() -> tuple[list[bool], int, int]:
        limits = RateLimits(RateRules.from_spec("message=2/minute,chat=5/minute"))
        allowed = [(await limits.hit("message", "web:a")).allowed for _ in range(3)]
        await limits.hit("chat", "web:a")
        return allowed, await limits.count("message", "web:a"), await limits.count("chat", "web:a")

    assert asyncio.run(run()) == ([True, True, False], 2, 1)
