"""Per-user ingress rate limits, on the `limits` library (moving window).

In memory by default. With Redis (`redis_url`), the per-user rules are checked in Redis so that they hold
across every node serving the room; if Redis cannot answer, the node's own in-memory limiter decides
(the room keeps working, a user could then get up to one budget per node).
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter as AsyncMovingWindow
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after_ms: int = 0


def _refusal(reset_at: float) -> Verdict:
    return Verdict(False, max(1, int((reset_at - time.time()) * 1000)))


class RateLimits:
    """Named limits ("comment", "like", "frame") checked per key (room:user or connection)."""

    def __init__(self, rules: dict[str, str], redis_url: str | None = None) -> None:
        self._storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._rules: dict[str, RateLimitItem] = {name: parse(rule) for name, rule in rules.items()}
        self._global: AsyncMovingWindow | None = None
        self._redis: RedisStorage | None = None
        if redis_url:
            uri = "async+" + redis_url if not redis_url.startswith("async+") else redis_url
            self._redis = RedisStorage(uri, implementation="redispy", socket_timeout=1.0)
            self._global = AsyncMovingWindow(self._redis)

    async def close(self) -> None:
        """Close the Redis connections of the global rules (a stopped node leaves none open)."""
        client = getattr(getattr(self._redis, "bridge", None), "storage", None)
        if client is not None:
            with contextlib.suppress(Exception):
                await client.aclose()

    @property
    def is_global(self) -> bool:
        return self._global is not None

    def hit(self, rule: str, key: str, cost: int = 1) -> Verdict:
        """Spend `cost` if it fits (the per-connection frame rate and flood strikes)."""
        item = self._rules[rule]
        if self._limiter.hit(item, rule, key, cost=cost):
            return Verdict(True)
        return self._refused(item, rule, key)

    def _refused(self, item: RateLimitItem, rule: str, key: str) -> Verdict:
        reset_at, _remaining = self._limiter.get_window_stats(item, rule, key)
        return _refusal(reset_at)

    # --- check first, spend on acceptance (per-user action rules) ----------------------------------

    def check(self, rule: str, key: str, cost: int = 1) -> Verdict:
        """Would `cost` fit in the rule's window now? Spends nothing (an action is charged only when it is
        accepted: `spend`)."""
        item = self._rules[rule]
        if self._limiter.test(item, rule, key, cost=cost):
            return Verdict(True)
        return self._refused(item, rule, key)

    def spend(self, rule: str, key: str, cost: int = 1) -> None:
        self._limiter.hit(self._rules[rule], rule, key, cost=cost)

    async def check_global(self, rule: str, key: str, cost: int = 1) -> Verdict:
        """`check` across all nodes (Redis); this node's own limiter if Redis does not answer."""
        if self._global is None:
            return self.check(rule, key, cost)
        item = self._rules[rule]
        try:
            if await self._global.test(item, rule, key, cost=cost):
                return Verdict(True)
            reset_at, _remaining = await self._global.get_window_stats(item, rule, key)
            return _refusal(reset_at)
        except Exception as exc:  # any storage failure: fall back, never block the room
            log.warning("global rate limit unavailable (%s); using this node's", exc)
            return self.check(rule, key, cost)

    async def spend_global(self, rule: str, key: str, cost: int = 1) -> None:
        self.spend(rule, key, cost)  # this node's window too: it decides while Redis is away
        if self._global is not None:
            try:
                await self._global.hit(self._rules[rule], rule, key, cost=cost)
            except Exception as exc:
                log.warning("global rate limit unavailable (%s); spent on this node only", exc)

