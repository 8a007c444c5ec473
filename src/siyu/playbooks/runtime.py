"""What triggers attach to (Scope) and what they fire (Fire): the engine's side of the trigger contract.

A trigger's `attach(scope, fire)` subscribes to event types (`scope.on`) and to the clock (`scope.every`)
and returns one function that undoes all of it. Live, `scope.on` gets the events this node committed (one
node per event); with `everywhere=True` also the room stream every node follows (what a trigger needs to
know, e.g. that a question was answered elsewhere). In a dry run both are the recorded stream.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from siyu.events import Event
from siyu.playbooks.viewers import ViewerBook

EventHandler = Callable[[Event[Any]], None]
ClockHandler = Callable[[int], None]
Unsubscribe = Callable[[], None]


@dataclass(slots=True)
class Fire:
    """A trigger fired: about `user_id` (None: the room), because of `event` (None: the clock)."""

    trigger: str
    user_id: str | None
    ts: int
    event: Event[Any] | None = None
    vars: dict[str, Any] = field(default_factory=dict)  # what the trigger adds to the template context
    key: str | None = None  # timer triggers: the fire-once key the node must claim before running
    why: str = ""  # a short human reading for the trace ("停留 30 秒")


FireFn = Callable[[Fire], None]


class Scope:
    """One room's event and clock subscriptions, shared by the triggers of its playbooks."""

    def __init__(self, viewers: ViewerBook) -> None:
        self.viewers = viewers
        self._on: dict[str, list[EventHandler]] = {}
        self._everywhere: dict[str, list[EventHandler]] = {}
        self._clock: list[ClockHandler] = []
        self.session_id: str | None = None
        self.session_started_at: int | None = None
        self.planned_ms: int = 240 * 60_000
        self.online: int = 0
        self.likes: int = 0
        self.host_status: str = "live"
        self.pinned: str | None = None
        self.now: int = 0

    @property
    def planned_end(self) -> int | None:
        return None if self.session_started_at is None else self.session_started_at + self.planned_ms

    def on(self, event_type: str, handler: EventHandler, *, everywhere: bool = False) -> Unsubscribe:
        table = self._everywhere if everywhere else self._on
        table.setdefault(event_type, []).append(handler)
        return lambda: _discard(table.get(event_type, []), handler)

    def every(self, handler: ClockHandler) -> Unsubscribe:
        self._clock.append(handler)
        return lambda: _discard(self._clock, handler)

    def committed(self, event: Event[Any]) -> None:
        for handler in tuple(self._on.get(event.type, ())):
            handler(event)

    def seen(self, event: Event[Any]) -> None:
        for handler in tuple(self._everywhere.get(event.type, ())):
            handler(event)

    def advance(self, now: int) -> None:
        self.now = max(self.now, now)
        for handler in tuple(self._clock):
            handler(self.now)


def _discard(items: list[Any], item: Any) -> None:
    if item in items:
        items.remove(item)


def combine(*undo: Unsubscribe) -> Unsubscribe:
    def all_of() -> None:
        for u in undo:
            u()

    return all_of
