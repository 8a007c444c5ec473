"""Room fan-out: one encoded buffer written to every connection, a per-room seq, a history ring."""

from __future__ import annotations

import secrets
from collections import deque
from typing import Protocol


class Peer(Protocol):
    """What fan-out needs of a connection."""

    @property
    def is_staff(self) -> bool: ...

    def send(self, data: bytes) -> None: ...


class RoomChannel:
    """Delivery side of one room.

    Room messages carry a per-room monotonically increasing `seq` and are kept in a bounded ring so a
    reconnecting client can fetch the gap. `epoch` names this ring: it changes when the history is
    lost (a restart), so a client holding another epoch gets a resync instead of a wrong gap.
    """

    def __init__(self, *, start_seq: int, history_size: int) -> None:
        self.peers: set[Peer] = set()
        self.staff: set[Peer] = set()
        self.epoch = secrets.token_hex(4)
        self._seq = start_seq
        self.published_seq = start_seq
        self._history: deque[tuple[int, bytes]] = deque(maxlen=history_size)

    @property
    def last_seq(self) -> int:
        return self._seq

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def add(self, peer: Peer) -> None:
        self.peers.add(peer)
        if peer.is_staff:
            self.staff.add(peer)

    def discard(self, peer: Peer) -> None:
        self.peers.discard(peer)
        self.staff.discard(peer)

    def publish(self, seq: int, data: bytes) -> None:
        """A room message: remember it for resume, then write the same bytes to every peer."""
        self._history.append((seq, data))
        self.published_seq = seq
        self.broadcast(data)

    def broadcast(self, data: bytes) -> None:
        """An ephemeral message (banners, state): not kept for resume."""
        for peer in self.peers:
            peer.send(data)

    def to_staff(self, data: bytes) -> None:
        for peer in self.staff:
            peer.send(data)

    def since(self, last_seq: int, epoch: str | None) -> list[bytes] | None:
        """Messages after `last_seq`, or None when the gap is no longer (or never was) in the ring."""
        if epoch is not None and epoch != self.epoch:
            return None
        if last_seq >= self.published_seq:
            return []
        if not self._history or self._history[0][0] > last_seq + 1:
            return None
        return [data for seq, data in self._history if seq > last_seq]
