"""Per-user ingress rate limits, on the `limits` library (moving window, in-memory storage)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after_ms: int = 0


class RateLimits:
    """Named limits ("comment", "like", "frame") checked per key (room:user or connection)."""

    def __init__(self, rules: dict[str, str]) -> None:
        self._storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._rules: dict[str, RateLimitItem] = {name: parse(rule) for name, rule in rules.items()}

    def hit(self, rule: str, key: str, cost: int = 1) -> Verdict:
        item = self._rules[rule]
        if self._limiter.hit(item, rule, key, cost=cost):
            return Verdict(True)
        reset_at, _remaining = self._limiter.get_window_stats(item, rule, key)
        return Verdict(False, max(1, int((reset_at - time.time()) * 1000)))
