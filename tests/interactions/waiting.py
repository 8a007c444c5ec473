"""A fake member (tests/rooms/test_runtime.py) whose tests await what it is sent instead of polling."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson

from siyu.auth import Role
from tests.rooms.test_runtime import FakeMember

Match = Callable[[dict[str, Any]], bool]


class Waiting(FakeMember):
    """Records its frames like FakeMember; `await m.next(...)` / `await m.ack(cid)` resolve when they come."""

    def __init__(self, user_id: str, role: Role = Role.VIEWER, nickname: str | None = None) -> None:
        super().__init__(user_id, role, nickname)
        self._waiting: list[tuple[Match, asyncio.Future[dict[str, Any]]]] = []
        self._seen = 0  # messages already offered to waiters

    def send(self, data: bytes) -> None:
        frame = orjson.loads(data)
        self.frames.append(frame)
        for msg in frame["msgs"] if frame.get("type") == "batch" else [frame]:
            for entry in list(self._waiting):
                match, fut = entry
                if not fut.done() and match(msg):
                    fut.set_result(msg)
                    self._waiting.remove(entry)

    async def first(self, match: Match, *, since: int = 0, timeout: float = 10) -> dict[str, Any]:
        """The first message (from the `since`-th on) that `match`es: one already sent, or the next one."""
        for msg in self.messages()[since:]:
            if match(msg):
                return msg
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting.append((match, fut))
        return await asyncio.wait_for(fut, timeout)  # a bound for a failure, not a wait for success

    def mark(self) -> int:
        """Where the messages sent from now on start (for `next(..., since=mark)`)."""
        return len(self.messages())

    async def next(
        self, kind: str, since: int | None = None, timeout: float = 10, **fields: Any
    ) -> dict[str, Any]:
        """The next `kind` message whose fields equal `fields`, sent from now on (or from `since`)."""
        return await self.first(
            lambda m: m.get("type") == kind and all(m.get(k) == v for k, v in fields.items()),
            since=self.mark() if since is None else since,
            timeout=timeout,
        )

    async def ack(self, cid: str, timeout: float = 10) -> dict[str, Any]:
        """The (first) ack of `cid`."""
        return await self.first(lambda m: m.get("type") == "ack" and m.get("cid") == cid, timeout=timeout)
