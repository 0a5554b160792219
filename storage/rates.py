"""Rate limits: how often one conversation, one client address or one municipality may do something.

Counters live in this process's memory by default and on Redis when ``REDIS_URL`` is set, so that
limits hold across app processes. The `limits` library does the counting (a moving window; its
``hit`` tests and counts in one atomic step, so parallel requests are all counted). Which limits
exist and their values are one ``RateRules``, set by ``RATE_LIMITS`` (README, "Security").
"""

from __future__ import annotations

import logging
import math
import time
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


class RateLimits:
    def __init__(self, rules: RateRules | None = None, storage_uri: str = "memory://") -> None:
        self.rules = rules or RateRules()
        self._items: dict[str, RateLimitItem] = {f.name: parse(getattr(self.rules, f.name)) for f in fields(RateRules)}
        uri = "async+" + storage_uri if storage_uri.startswith(("redis://", "rediss://")) else storage_uri
        self._storage = storage_from_string(uri if uri != "memory://" else "async+memory://")
        self._limiter = MovingWindowRateLimiter(self._storage)

    async def hit(self, rule: str, *keys: str) -> Verdict:
        """Count one more for these keys under the rule; not allowed once the window is full.

        When the counters cannot be reached (Redis restarting) the request is allowed: a limit
        protects the service, and refusing everyone would be the outage it protects against.
        """
        item = self._items[rule]
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
        try:
            stats = await self._limiter.get_window_stats(item, rule, *keys)
        except Exception:
            return 0
        return item.amount - stats.remaining

    async def clear(self, rule: str, *keys: str) -> None:
        try:
            await self._limiter.clear(self._items[rule], rule, *keys)
        except Exception as exc:
            logger.warning("Rate limits unavailable (%s); %s not cleared", type(exc).__name__, rule)
