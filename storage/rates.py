"""Rate limits: how often one conversation, one client address or one municipality may do something.

Counters live in this process's memory by default and on Redis when ``REDIS_URL`` is set, so that
limits hold across app processes. On Redis the `limits` library does the counting (a moving window;
its ``hit`` tests and counts in one atomic step, so parallel requests are all counted). In memory
the same moving window is a deque of hit times per key, pruned when the key is used: `limits`'
asyncio memory storage sweeps every key through a worker thread after each hit (measured: ~1 ms
of CPU per hit whatever the number of keys, three hits per message, 12 % of the app's busy time
under load), and its synchronous one sweeps every key in a timer thread (0.5 ms a hit at 3,000
keys, growing with them). Which limits exist and their values are one ``RateRules``, set by
``RATE_LIMITS`` (README, "Security").
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, fields, replace

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateRules:
    """Each rule in the `limits` notation ("20/minute", "5 per 15 minutes")."""

    #: Messages one conversation may send to the assistant (a person does not type faster).
    message: str = "20/minute"
    #: How often one conversation is told to slow down (further messages are kept, unanswered).
    notice: str = "1/minute"
    #: Messages into the assistant (HTTP API, web chat) from one client address.
    chat: str = "120/minute"
    #: Any HTTP request from one client address (platform webhooks and Rasa's calls excepted).
    request: str = "600/minute"
    #: New handoffs one conversation may start, and one municipality may receive (hosts' time).
    handoff: str = "3/hour"
    municipality_handoff: str = "60/hour"
    #: E-mails to one municipality's hosts.
    municipality_mail: str = "60/hour"
    #: Console logins from one address, and failed ones per account and address.
    login: str = "30/15 minutes"
    login_failure: str = "5/15 minutes"
    #: Only counted (console.login slows attempts down with it, never refuses).
    account_failure: str = "10000/15 minutes"

    @classmethod
    def from_spec(cls, spec: str) -> RateRules:
        """``"message=10/minute,chat=30/minute"``: the rules named, the defaults for the rest."""
        known = {f.name for f in fields(cls)}
        values = {}
        for part in filter(None, (item.strip() for item in spec.split(","))):
            name, _, rule = part.partition("=")
            if name.strip() not in known:
                raise ValueError(f"RATE_LIMITS: unknown rule {name.strip()!r}; known: {', '.join(sorted(known))}")
            parse(rule.strip())  # refuse a malformed rule at start, not at the first request
            values[name.strip()] = rule.strip()
        return replace(cls(), **values)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    #: Seconds until the oldest counted hit leaves the window (0 when allowed).
    retry_after: int = 0


class MemoryWindows:
    """Moving windows in this process: each key's hit times (monotonic), oldest first.

    A key's expired hits are dropped when the key is used; keys nobody used for a whole window
    are dropped once a minute. Used from the event loop only, so no lock is needed.
    """

    SWEEP_SECONDS = 60.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._hits: dict[str, tuple[float, deque[float]]] = {}
        self._swept = clock()

    def _current(self, key: str, seconds: float, moment: float) -> deque[float]:
        hits = self._hits.setdefault(key, (seconds, deque()))[1]
        while hits and hits[0] <= moment - seconds:
            hits.popleft()
        return hits

    def _sweep(self, moment: float) -> None:
        if moment - self._swept < self.SWEEP_SECONDS:
            return
        self._swept = moment
        for key, (seconds, hits) in list(self._hits.items()):
            if not hits or hits[-1] <= moment - seconds:
                del self._hits[key]

    def hit(self, key: str, item: RateLimitItem) -> Verdict:
        moment = self._clock()
        self._sweep(moment)
        seconds = item.get_expiry()
        hits = self._current(key, seconds, moment)
        if len(hits) >= item.amount:
            return Verdict(False, max(1, math.ceil(hits[0] + seconds - moment)))
        hits.append(moment)
        return Verdict(True)

    def count(self, key: str, item: RateLimitItem) -> int:
        return len(self._current(key, item.get_expiry(), self._clock()))

    def clear(self, key: str) -> None:
        self._hits.pop(key, None)


class RateLimits:
    def __init__(self, rules: RateRules | None = None, storage_uri: str = "memory://") -> None:
        self.rules = rules or RateRules()
        self._items: dict[str, RateLimitItem] = {f.name: parse(getattr(self.rules, f.name)) for f in fields(RateRules)}
        if storage_uri == "memory://":
            self._memory: MemoryWindows | None = MemoryWindows()
        else:
            self._memory = None
            uri = "async+" + storage_uri if storage_uri.startswith(("redis://", "rediss://")) else storage_uri
            self._limiter = MovingWindowRateLimiter(storage_from_string(uri))

    async def hit(self, rule: str, *keys: str) -> Verdict:
        """Count one more for these keys under the rule; not allowed once the window is full.

        When the counters cannot be reached (Redis restarting) the request is allowed: a limit
        protects the service, and refusing everyone would be the outage it protects against.
        """
        item = self._items[rule]
        if self._memory is not None:
            return self._memory.hit(_key(rule, keys), item)
        try:
            if await self._limiter.hit(item, rule, *keys):
                return Verdict(True)
            stats = await self._limiter.get_window_stats(item, rule, *keys)
        except Exception as exc:
            logger.warning("Rate limits unavailable (%s); allowing %s", type(exc).__name__, rule)
            return Verdict(True)
        return Verdict(False, max(1, math.ceil(stats.reset_time - time.time())))

    async def count(self, rule: str, *keys: str) -> int:
        """How many hits the window holds now (without counting one); 0 when the counters are away."""
        item = self._items[rule]
        if self._memory is not None:
            return self._memory.count(_key(rule, keys), item)
        try:
            stats = await self._limiter.get_window_stats(item, rule, *keys)
        except Exception:
            return 0
        return item.amount - stats.remaining

    async def clear(self, rule: str, *keys: str) -> None:
        if self._memory is not None:
            self._memory.clear(_key(rule, keys))
            return
        try:
            await self._limiter.clear(self._items[rule], rule, *keys)
        except Exception as exc:
            logger.warning("Rate limits unavailable (%s); %s not cleared", type(exc).__name__, rule)


def _key(rule: str, keys: tuple[str, ...]) -> str:
    return "\x1f".join((rule, *keys))  # a separator no identifier contains
