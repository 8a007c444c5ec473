"""The room's memory of client action ids (`cid`): every frame with a cid gets exactly one ack, and a re-sent
cid is answered with its first result, never posted twice.

Three layers, cheapest first: the acks this node sent or learned (the last 10,000 per room: from its own
commits, from the room stream of every node, and from the event log when the room loads); the actions still
in flight (a re-send waits for the first one's result); and the event log's unique key on (room, user, cid),
which catches what memory cannot (a re-send to another node in the same instant, or after the memory
window): the log answers it with the original seq (EventLog `on_duplicate`).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol

from siyu.realtime import protocol as wire

LIMIT = 10_000


class Sender(Protocol):
    def send(self, data: bytes) -> None: ...


Key = tuple[str, str]


class AckMemory:
    def __init__(self, limit: int = LIMIT) -> None:
        self._limit = limit
        self._known: OrderedDict[Key, bytes] = OrderedDict()
        self._inflight: dict[Key, list[Sender]] = {}

    def answer(self, m: Sender, user_id: str, cid: str) -> bool:
        """Answer a known or in-flight cid; False when it is new."""
        key = (user_id, cid)
        got = self._known.get(key)
        if got is not None:
            m.send(got)
            return True
        waiting = self._inflight.get(key)
        if waiting is not None:
            waiting.append(m)  # answered when the first one settles
            return True
        return False

    def begin(self, key: Key, m: Sender) -> None:
        self._inflight[key] = [m]

    def settle(self, key: Key, ack: bytes, *, keep: bool = True) -> None:
        """The action's result: to the sender and every re-send that waited; kept unless it may be retried
        (a store failure)."""
        for m in self._inflight.pop(key, ()):
            m.send(ack)
        if keep:
            self._keep(key, ack)

    def learn(self, user_id: str, cid: str, seq: int | None) -> None:
        """A cid committed elsewhere (another node, or before a restart): its answer is its seq."""
        key = (user_id, cid)
        if key not in self._known:
            self._keep(key, wire.ack_ok(cid, seq))

    def _keep(self, key: Key, ack: bytes) -> None:
        self._known[key] = ack
        self._known.move_to_end(key)
        while len(self._known) > self._limit:
            self._known.popitem(last=False)
