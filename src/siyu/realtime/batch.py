"""Fan-out's building blocks: priorities, what a connection must offer, counters, batches and passes.

realtime/fanout.py (RoomChannel) uses them; they are here so each module stays small.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol


class Priority(IntEnum):
    HIGH = 0
    NORMAL = 1
    LOW = 2


class Peer(Protocol):
    """What fan-out needs of a connection.

    `behind` is set while the connection's transport buffer is above its high-water mark (the
    transport's pause_writing callback), so the flush loop reads one attribute per healthy peer and asks
    for the byte count only of the ones that are behind.
    """

    user_id: str
    is_staff: bool
    behind: bool

    def send(self, data: bytes) -> None: ...

    def buffered(self) -> int: ...

    def evict(self) -> None: ...


Observer = Callable[[int, bytes, object | None], None]
"""Called for every released room message, in seq order: (seq, wire bytes, the typed event it carries)."""


@dataclass
class FanoutStats:
    """Counters for /api/metrics and the benchmark (logical messages, not frames, unless named so)."""

    frames: int = 0
    deliveries: int = 0
    bytes_out: int = 0
    batches: int = 0
    sampled_normal: int = 0
    dropped: dict[str, int] = field(default_factory=lambda: {"low": 0, "normal": 0})
    evicted: int = 0
    sync_failures: int = 0  # room ticks that could not trade counts with the broker (an outage)
    filled_from_log: int = 0  # room messages a node took from the event log (a missed publication)
    gaps_skipped: int = 0  # seqs passed over for good (not in the log, or no log to ask)

    def as_dict(self) -> dict[str, object]:
        return {
            "frames": self.frames,
            "deliveries": self.deliveries,
            "bytes_out": self.bytes_out,
            "batches": self.batches,
            "sampled_normal": self.sampled_normal,
            "dropped_low": self.dropped["low"],
            "dropped_normal": self.dropped["normal"],
            "evicted": self.evicted,
            "sync_failures": self.sync_failures,
            "filled_from_log": self.filled_from_log,
            "gaps_skipped": self.gaps_skipped,
        }


def batch_frame(first: int | None, last: int | None, parts: list[bytes]) -> bytes:
    """`{"type":"batch","from":F,"to":T,"msgs":[...]}`: F..T is the seq range the batch accounts for."""
    if first is None or last is None:
        head = b'{"type":"batch",'
    else:
        head = b'{"type":"batch","from":%d,"to":%d,' % (first, last)
    return head + b'"msgs":[' + b",".join(parts) + b"]}"


class Batch:
    """One flush: the pending messages, in seq order, and each variant of them encoded once."""

    _KEEP: dict[str, Callable[[bool, Priority], bool]] = {
        "staff": lambda kept, p: True,
        "full": lambda kept, p: p is not Priority.NORMAL or kept,
        "staff-high-normal": lambda kept, p: p is not Priority.LOW,
        "high-normal": lambda kept, p: p is Priority.HIGH or (p is Priority.NORMAL and kept),
        "high": lambda kept, p: p is Priority.HIGH,
    }

    def __init__(self, pending: list[tuple[int | None, Priority, bytes]], kept: set[int]) -> None:
        self.pending = pending
        self.kept = kept
        seqs = [s for s, _, _ in pending if s is not None]
        self.first: int | None = seqs[0] if seqs else None
        self.last: int | None = seqs[-1] if seqs else None
        self.normal = sum(1 for _, p, _ in pending if p is Priority.NORMAL)
        self.low = sum(1 for _, p, _ in pending if p is Priority.LOW)
        self._frames: dict[str, tuple[bytes, int]] = {}

    def merged(self, later: Batch) -> Batch:
        """This batch followed by a later one, as one (the samples both already drew are kept)."""
        shift = len(self.pending)
        return Batch(self.pending + later.pending, self.kept | {i + shift for i in later.kept})

    def frame(self, name: str) -> tuple[bytes, int]:
        """(frame bytes, message count) of a variant; empty bytes when it has no message."""
        got = self._frames.get(name)
        if got is None:
            keep = self._KEEP[name]
            parts = [d for i, (_, p, d) in enumerate(self.pending) if keep(i in self.kept, p)]
            got = self._frames[name] = (
                batch_frame(self.first, self.last, parts) if parts else b"",
                len(parts),
            )
        return got


@dataclass(slots=True)
class Send:
    """One frame for a list of connections; `batch` is what it was encoded from (for slow consumers)."""

    data: bytes
    n: int
    peers: list[Peer]
    batch: Batch
    variant: str  # "staff" (every comment) or "full" (viewers: sampled)


@dataclass(slots=True)
class Pass:
    """Writing one flush to every connection, a chunk per loop turn; `i`/`start` say how far it got."""

    items: list[Send]
    i: int = 0
    start: int = 0
    live: bool = True

    def remaining(self) -> list[Send]:
        out = []
        for k in range(self.i, len(self.items)):
            s = self.items[k]
            peers = s.peers[self.start :] if k == self.i else s.peers
            if peers:
                out.append(Send(s.data, s.n, peers, s.batch, s.variant))
        return out
