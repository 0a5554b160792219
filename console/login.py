"""Console logins that an attacker can neither brute-force nor use to lock a host out.

Three counters (storage.rates), each counted before the password is checked, so that parallel
attempts are all counted (the counting is atomic):

* per address (``login``): one address may try only so often, whatever the account;
* per account *and* address (``login_failure``): five wrong passwords from one address for one
  account, and that address must wait — a host at their own desk is never locked out by someone
  guessing elsewhere, and a right password clears the count;
* per account, all addresses together (``account_failure``): many failures from many addresses do
  not lock the account either; they slow every attempt on it down, doubling from a quarter of a
  second to at most eight, so a distributed guesser gets few tries while the host still gets in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from handoff.hosts import Host, HostStore
from storage.rates import RateLimits

#: Account-wide failures (from any address) after which every attempt on the account is slowed.
SLOW_AFTER = 5
MAX_DELAY = 8.0


@dataclass(frozen=True)
class LoginResult:
    host: Host | None = None
    #: Seconds to wait before this address may try again (refused before the password was checked).
    retry_after: int = 0


def delay_for(failures: int) -> float:
    """Seconds an attempt waits after this many account-wide failures."""
    if failures < SLOW_AFTER:
        return 0.0
    return min(0.25 * 2 ** (failures - SLOW_AFTER), MAX_DELAY)


class LoginGuard:
    def __init__(self, hosts: HostStore, rates: RateLimits,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.hosts = hosts
        self.rates = rates
        self.sleep = sleep

    async def attempt(self, email: str, password: str, address: str) -> LoginResult:
        account = email.strip().lower()
        for rule, keys in (("login", (address,)), ("login_failure", (account, address))):
            verdict = await self.rates.hit(rule, *keys)
            if not verdict.allowed:
                return LoginResult(retry_after=verdict.retry_after)
        await self.sleep(delay_for(await self.rates.count("account_failure", account)))
        host = await self.hosts.authenticate(account, password)
        if host is None:
            await self.rates.hit("account_failure", account)
            return LoginResult()
        await self.rates.clear("login_failure", account, address)
        await self.rates.clear("account_failure", account)
        return LoginResult(host=host)
