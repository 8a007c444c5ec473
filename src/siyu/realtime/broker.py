"""Brokers carry sequenced room messages to every node that serves the room, and keep room-wide state.

`MemoryBroker` (the embedded default) serves one process. `RedisBroker` (realtime/redis_broker.py)
lets several processes and machines serve the same rooms. Both implement the same contract:

- `open_room` makes sure the room's sequence is at least `floor` (the highest seq in the event log) and
  returns the room's history epoch;
- `reserve(room, n)` hands out n consecutive sequence numbers (called by the event log writer, once per
  batch and room);
- `publish` delivers a committed, sequenced message to the room's channel on every node;
- `sync_room` trades this node's online count and like increments for the room-wide figures;
- `history` returns messages after a seq when this node's ring does not have them.
"""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

from siyu.realtime.fanout import Priority, RoomChannel

Reopen = Callable[[], Awaitable[None]]
"""Brings a room back in line with the broker after an outage (LiveRoom.reopen)."""


class Broker(ABC):
    def __init__(self) -> None:
        self.node_id = secrets.token_hex(4)
        self._channels: dict[str, RoomChannel] = {}
        self._reopens: dict[str, Reopen] = {}

    def attach(self, room_id: str, channel: RoomChannel, reopen: Reopen | None = None) -> None:
        self._channels[room_id] = channel
        if reopen is not None:
            self._reopens[room_id] = reopen

    def detach(self, room_id: str) -> None:
        self._channels.pop(room_id, None)
        self._reopens.pop(room_id, None)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    @property
    def healthy(self) -> bool:
        return True

    @abstractmethod
    async def open_room(
        self, room_id: str, floor: int, session_id: str | None, likes: int
    ) -> tuple[str, int]:
        """Ensure the room's seq >= floor and seed the session's likes; return (epoch, current seq)."""

    @abstractmethod
    async def reserve(self, room_id: str, n: int) -> int:
        """The first of n fresh consecutive seqs."""

    @abstractmethod
    def publish(self, room_id: str, seq: int, data: bytes, prio: Priority) -> None:
        """Deliver a committed room message to every node's channel (this one included)."""

    @abstractmethod
    async def sync_room(
        self, room_id: str, session_id: str | None, online: int, likes_delta: int
    ) -> tuple[int, int]:
        """(room-wide online, room-wide likes of the session) after adding this node's figures."""

    async def history(self, room_id: str, after_seq: int, epoch: str | None) -> list[bytes] | None:
        return None


class MemoryBroker(Broker):
    """One process: sequences in memory, delivery by a direct call."""

    def __init__(self) -> None:
        super().__init__()
        self._seqs: dict[str, int] = {}
        self._epochs: dict[str, str] = {}
        self._likes: dict[tuple[str, str | None], int] = {}

    async def open_room(
        self, room_id: str, floor: int, session_id: str | None, likes: int
    ) -> tuple[str, int]:
        self._seqs[room_id] = max(self._seqs.get(room_id, 0), floor)
        self._likes.setdefault((room_id, session_id), likes)
        epoch = self._epochs.setdefault(room_id, secrets.token_hex(4))
        return epoch, self._seqs[room_id]

    async def reserve(self, room_id: str, n: int) -> int:
        first = self._seqs.get(room_id, 0) + 1
        self._seqs[room_id] = first + n - 1
        return first

    def publish(self, room_id: str, seq: int, data: bytes, prio: Priority) -> None:
        channel = self._channels.get(room_id)
        if channel is not None:
            channel.deliver(seq, data, prio)

    async def sync_room(
        self, room_id: str, session_id: str | None, online: int, likes_delta: int
    ) -> tuple[int, int]:
        key = (room_id, session_id)
        self._likes[key] = self._likes.get(key, 0) + likes_delta
        return online, self._likes[key]
