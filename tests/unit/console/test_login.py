"""Console logins: guessing is limited per address and per account-and-address, never by locking the
account; parallel attempts all count; many failures slow every attempt on the account down."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from console.login import MAX_DELAY, LoginGuard, delay_for
from handoff.hosts import Host
from handoff.roles import Role
from storage.rates import RateLimits

EMAIL, PASSWORD = "anna@boden.example", "correct horse battery staple"
ANNA = Host(id=1, email=EMAIL, first_name="Anna", municipality="boden", role=Role.HOST)


@dataclass
class Accounts:
    """Anna's account; records every password check (the expensive step an attacker wants)."""

    checked: list[str] = field(default_factory=list)

    async def authenticate(self, email: str, password: str) -> Host | None:
        self.checked.append(password)
        await asyncio.sleep(0)  # let parallel attempts interleave, as a real hash in a thread would
        return ANNA if (email, password) == (EMAIL, PASSWORD) else None


@dataclass
class Waits:
    seconds: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def _guard() -> tuple[LoginGuard, Accounts, Waits]:
    accounts, waits = Accounts(), Waits()
    return LoginGuard(accounts, RateLimits(), sleep=waits), accounts, waits  # type: ignore[arg-type]


def test_five_wrong_passwords_from_one_address_stop_that_address_but_not_the_host_elsewhere() -> None:
    async def main() -> tuple[list, object, object]:
        guard, _, _ = _guard()
        wrong = [await guard.attempt(EMAIL, "guess", "203.0.113.9") for _ in range(5)]
        refused = await guard.attempt(EMAIL, PASSWORD, "203.0.113.9")  # even the right password, from there
        at_desk = await guard.attempt(EMAIL.upper(), PASSWORD, "198.51.100.7")
        return wrong, refused, at_desk

    wrong, refused, at_desk = asyncio.run(main())
    assert all(result.host is None and result.retry_after == 0 for result in wrong)
    assert refused.host is None and refused.retry_after > 60
    assert at_desk.host == ANNA


def test_parallel_attempts_are_all_counted() -> None:
    async def main() -> tuple[list, list]:
        guard, accounts, _ = _guard()
        results = await asyncio.gather(*(guard.attempt(EMAIL, f"guess {i}", "203.0.113.9") for i in range(20)))
        return results, accounts.checked

    results, checked = asyncio.run(main())
    assert len(checked) == 5  # only five passwords were ever checked
    assert sum(1 for result in results if result.retry_after) == 15


def test_failures_from_many_addresses_slow_the_account_down_but_never_lock_it() -> None:
    async def main() -> tuple[list[float], object]:
        guard, _, waits = _guard()
        for i in range(12):
            await guard.attempt(EMAIL, "guess", f"192.0.2.{i}")
        host = await guard.attempt(EMAIL, PASSWORD, "198.51.100.7")
        return waits.seconds, host

    waits, host = asyncio.run(main())
    assert waits[:5] == [0.0] * 5
    assert waits[5:8] == [0.25, 0.5, 1.0] and max(waits) <= MAX_DELAY
    assert host.host == ANNA


def test_a_right_password_clears_the_count_for_that_address() -> None:
    async def main() -> object:
        guard, _, _ = _guard()
        for _ in range(4):
            await guard.attempt(EMAIL, "typo", "198.51.100.7")
        assert (await guard.attempt(EMAIL, PASSWORD, "198.51.100.7")).host == ANNA
        for _ in range(4):
            await guard.attempt(EMAIL, "typo", "198.51.100.7")
        return await guard.attempt(EMAIL, PASSWORD, "198.51.100.7")

    assert asyncio.run(main()).host == ANNA


def test_the_delay_doubles_and_is_capped() -> None:
    assert [delay_for(n) for n in (0, 4, 5, 6, 7)] == [0.0, 0.0, 0.25, 0.5, 1.0]
    assert delay_for(100) == MAX_DELAY
