"""What a node knows of its room's calls, from the call events (every node applies the same stream)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from siyu.realtime.protocol import UserRef

from .model import CallAccepted, Callee, CallEnded, CallReady, CallRequested

LIVE = ("ringing", "connected")


@dataclass(slots=True)
class Live:
    call_id: str
    kind: str
    caller: str
    callee: str
    status: str
    ring_until: int
    refs: dict[str, UserRef]
    badge: dict[str, Any] | None = None
    accepted_at: int | None = None
    busy: bool = False  # this node is moving it (a timer's compare-and-set in flight)
    reported: bool = field(default=False)

    def parties(self) -> tuple[str, str]:
        return (self.caller, self.callee)

    def other(self, user_id: str) -> str:
        return self.callee if user_id == self.caller else self.caller

    def locked(self) -> tuple[str, ...]:
        """Whom the lock holds: both parties of a 1v1 call; the mic's guest only (a host has several)."""
        return (self.caller, self.callee) if self.kind == "call" else (self.caller,)


def ref_of(user_id: str, fields: list[Any]) -> UserRef:
    nick, level, role = (list(fields) + [user_id, 0, "viewer"][len(fields):])[:3]
    return UserRef(user_id, str(nick), int(level), str(role))


class CallBook:
    def __init__(self) -> None:
        self.calls: dict[str, Live] = {}
        self.by_user: dict[str, str] = {}  # user -> the call that locks them
        self.ready: dict[str, UserRef] = {}  # staff taking 1v1 calls
        self.ready_at: dict[str, int] = {}  # when each went ready (the event's ts)
        self.ended: OrderedDict[str, Live | None] = OrderedDict()  # recently ended calls

    def callees(self) -> list[Callee]:
        return [Callee(user=ref, role=ref.role, busy=uid in self.by_user) for uid, ref in self.ready.items()]

    def of(self, user_id: str) -> list[Live]:
        """The live calls a user is a party of (a host may have several mic guests)."""
        return [c for c in self.calls.values() if user_id in c.parties()]

    def party_call(self, call_id: str, user_id: str) -> Live | None:
        c = self.calls.get(call_id)
        return c if c is not None and user_id in c.parties() and c.status in LIVE else None

    def apply(self, user_id: str | None, p: Any, ts: int = 0) -> Live | None:
        """Apply one call event (idempotent; `ts` its time); the call it concerns."""
        if isinstance(p, CallReady):
            if user_id is not None:
                if p.ready:
                    self.ready[user_id] = UserRef(user_id, p.nickname, p.level, p.role)
                    self.ready_at[user_id] = ts
                else:
                    self.ready.pop(user_id, None)
                    self.ready_at.pop(user_id, None)
            return None
        if isinstance(p, CallRequested):
            if p.call_id in self.ended:
                return None
            c = self.calls.get(p.call_id)
            if c is None:
                refs = {p.caller: ref_of(p.caller, p.caller_ref), p.callee: ref_of(p.callee, p.callee_ref)}
                c = Live(p.call_id, p.kind, p.caller, p.callee, "ringing", p.ring_until, refs, p.badge)
                self.calls[p.call_id] = c
                for u in c.locked():
                    self.by_user[u] = c.call_id
            return c
        if isinstance(p, CallAccepted):
            c = self.calls.get(p.call_id)
            if c is not None:
                c.status, c.accepted_at = "connected", p.accepted_at
            return c
        if isinstance(p, CallEnded):
            c = self.calls.pop(p.call_id, None) or self.ended.get(p.call_id)
            self.ended[p.call_id] = c
            while len(self.ended) > 1000:
                self.ended.popitem(last=False)
            for u in (p.caller, p.callee):
                if self.by_user.get(u) == p.call_id:
                    del self.by_user[u]
            if c is not None:
                c.status = "ended"
            return c
        return None
