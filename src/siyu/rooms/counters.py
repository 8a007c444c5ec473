"""Named room counters: local increments traded every tick for the room-wide totals the broker keeps."""

from __future__ import annotations


class Counter:
    """One room counter (e.g. the session's likes); `value`: the room-wide total as this node knows it."""

    __slots__ = ("key", "pending", "per_session", "value")

    def __init__(self, key: str, per_session: bool) -> None:
        self.key = key
        self.per_session = per_session
        self.value = 0
        self.pending = 0

    def add(self, n: int) -> None:
        self.value += n
        self.pending += n


class Counters:
    def __init__(self) -> None:
        self._by_key: dict[str, Counter] = {}

    def get(self, name: str, session_id: str | None, per_session: bool) -> Counter:
        key = f"{name}:{session_id}" if per_session else name
        got = self._by_key.get(key)
        if got is None:
            got = self._by_key[key] = Counter(key, per_session)
        return got

    def values(self) -> dict[str, int]:
        return {k: c.value for k, c in self._by_key.items()}

    def take_pending(self) -> dict[str, int]:
        """Every counter's increments since the last sync (reset to 0)."""
        pending = {k: c.pending for k, c in self._by_key.items()}
        for c in self._by_key.values():
            c.pending = 0
        return pending

    def apply_totals(self, totals: dict[str, int]) -> None:
        for key, total in totals.items():
            c = self._by_key.get(key)
            if c is not None:
                c.value = total + c.pending  # increments since the sync began stay local

    def restore(self, pending: dict[str, int]) -> None:
        for key, n in pending.items():
            c = self._by_key.get(key)
            if c is not None:
                c.pending += n

    def new_session(self) -> None:
        """A live session started or ended: the per-session counters start again."""
        self._by_key = {k: c for k, c in self._by_key.items() if not c.per_session}
