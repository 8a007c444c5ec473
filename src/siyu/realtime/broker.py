"""Brokers are the room transport between nodes: sequencing, delivery, history, counters, direct messages.

`MemoryBroker` (the embedded default) serves one process. `RedisBroker` (realtime/redis_broker.py)
lets several processes and machines serve the same rooms. Both implement the same contract, which knows
no business rule:

- `open_room` subscribes this node to the room;
- `publish` delivers a committed, sequenced message (its wire bytes and the typed event it came from) to
  the room's channel on every node. Seqs come from the event log (the room sequencer), not from the
  broker: a node that misses a publication (its sender died before publishing, an outage) takes the
  message from the log, so the broker is only the fast path;
- `direct` delivers an ephemeral, unsequenced message to one user's connections or to the staff of a
  room, on whichever nodes they are (WebRTC signalling, personal notices);
- `seed_counters` / `add_counters` keep named room counters (likes of a session, later PK scores and poll
  tallies): nodes add their local increments and read the room-wide totals;
- `sync_online` trades this node's online count for the room-wide one;
- `history` returns messages after a seq when this node's ring does not have them.
"""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from siyu.realtime.fanout import Priority, RoomChannel


class BrokerUnavailable(ConnectionError):
    """The broker cannot answer now (Redis is away): the node serves its own clients until it is back."""


Reopen = Callable[[], Awaitable[None]]
"""Brings a room back in line with the broker after an outage (Room.reopen: counters, missed messages)."""


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

    @property
    def shared(self) -> bool:
        """Other processes serve the same rooms (they may commit messages this node must catch up on)."""
        return False

    async def open_room(self, room_id: str) -> None:
        """Start receiving the room's messages on this node."""
        return None

    @abstractmethod
    def publish(self, room_id: str, seq: int, data: bytes, prio: Priority, event: Any = None) -> None:
        """Deliver a committed room message (and its typed event) to every node's channel, this one too."""

    @abstractmethod
    def direct(self, room_id: str, target: str, data: bytes) -> None:
        """An ephemeral message to `user:<id>`, `role:<role>` or `staff` of a room, on every node that has
        them."""

    @abstractmethod
    async def seed_counters(self, room_id: str, values: Mapping[str, int]) -> None:
        """Set named counters that do not exist yet (a recount from the event log after a restart)."""

    @abstractmethod
    async def add_counters(self, room_id: str, deltas: Mapping[str, int]) -> dict[str, int]:
        """Add this node's increments; the room-wide totals of the same counters."""

    @abstractmethod
    async def sync_online(self, room_id: str, online: int) -> int:
        """The room-wide online count after reporting this node's."""

    async def announce(self, topic: str, value: str) -> list[str]:
        """Tell the other nodes `value` under `topic` (kept fresh while this node runs); the values the other
        live nodes announced under it. Alone, there is nobody to tell."""
        return []

    async def history(self, room_id: str, after_seq: int, through: int) -> list[bytes] | None:
        """Messages after_seq < seq <= through from the broker's recent history, or None unless it holds
        every one of them."""
        return None


class MemoryBroker(Broker):
    """One process: counters in memory, delivery by a direct call."""

    def __init__(self) -> None:
        super().__init__()
        self._counters: dict[str, dict[str, int]] = {}

    def publish(self, room_id: str, seq: int, data: bytes, prio: Priority, event: Any = None) -> None:
        channel = self._channels.get(room_id)
        if channel is not None:
            channel.deliver(seq, data, prio, event)

    def direct(self, room_id: str, target: str, data: bytes) -> None:
        channel = self._channels.get(room_id)
        if channel is not None:
            channel.direct(target, data)

    async def seed_counters(self, room_id: str, values: Mapping[str, int]) -> None:
        counters = self._counters.setdefault(room_id, {})
        for name, value in values.items():
            counters.setdefault(name, value)

    async def add_counters(self, room_id: str, deltas: Mapping[str, int]) -> dict[str, int]:
        counters = self._counters.setdefault(room_id, {})
        for name, delta in deltas.items():
            counters[name] = counters.get(name, 0) + delta
        return {name: counters[name] for name in deltas}

    async def sync_online(self, room_id: str, online: int) -> int:
        return online
