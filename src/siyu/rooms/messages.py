"""The room core's typed server messages (features define their own next to their handlers).

Every message is a dataclass; `realtime.protocol.encode` serialises it (field names are the wire keys).
docs/protocol.md describes each one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from siyu.realtime.protocol import RoomMessage, ServerMessage, UserRef


@dataclass(slots=True, kw_only=True)
class RoomRef:
    id: str
    title: str
    host: str


@dataclass(slots=True, kw_only=True)
class Welcome(ServerMessage):
    """The first frame a member gets: who they are, the greeting, the room state and where the stream is."""

    type: Literal["welcome"] = "welcome"
    protocol: int
    ts: int
    room: RoomRef
    you: UserRef
    text: str
    returning: bool
    visits: int
    badge: str | None
    seq: int
    epoch: str
    state: dict[str, Any]
    me: dict[str, Any] = field(default_factory=dict)  # the member's own state, by feature (e.g. fanclub)


@dataclass(slots=True, kw_only=True)
class State(ServerMessage):
    """Room state (online, likes, pinned, live, …): each feature contributes its keys."""

    type: Literal["state"] = "state"
    ts: int | None = None
    values: dict[str, Any] = field(default_factory=dict)

    def wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "state", **self.values}
        if self.ts is not None:
            out["ts"] = self.ts
        return out


@dataclass(slots=True, kw_only=True)
class StaffSnapshot(ServerMessage):
    """The host console's snapshot on entry (questions, groups, host status …: each feature's part)."""

    type: Literal["questions"] = "questions"
    values: dict[str, Any] = field(default_factory=dict)

    def wire(self) -> dict[str, Any]:
        return {"type": "questions", **self.values}


@dataclass(slots=True, kw_only=True)
class Resync(ServerMessage):
    type: Literal["resync"] = "resync"
    seq: int
    epoch: str
    state: dict[str, Any]


@dataclass(slots=True, kw_only=True)
class Resumed(ServerMessage):
    type: Literal["resumed"] = "resumed"
    from_: int
    to: int
    count: int

    def wire(self) -> dict[str, Any]:
        return {"type": "resumed", "from": self.from_, "to": self.to, "count": self.count}


@dataclass(slots=True, kw_only=True)
class Enter(ServerMessage):
    """Aggregated entry banner (low priority, once per tick)."""

    type: Literal["enter"] = "enter"
    ts: int
    users: list[UserRef]
    count: int


@dataclass(slots=True, kw_only=True)
class PresenceFlow(ServerMessage):
    """Who entered and left since the last tick (staff only)."""

    type: Literal["presence"] = "presence"
    ts: int
    entered: list[UserRef]
    left: list[UserRef]
    entered_count: int
    left_count: int
    online: int


@dataclass(slots=True, kw_only=True)
class Live(RoomMessage):
    """A live session started (`live` true, with its title) or ended."""

    type: Literal["live"] = "live"
    live: bool
    session_id: str
    title: str | None = None


@dataclass(slots=True, kw_only=True)
class AssistantSays(RoomMessage):
    """The assistant speaking to the whole room (a companion line, an answer many viewers asked for)."""

    type: Literal["assistant"] = "assistant"
    to: Literal["room"] = "room"
    text: str
    intent: str
    key: str | None = None
    product_id: str | None = None
    asked: int | None = None
    question: str | None = None


@dataclass(slots=True, kw_only=True)
class Notice(ServerMessage):
    """A note for the staff (or one viewer) from a playbook or the system: shown as a toast."""

    type: Literal["notice"] = "notice"
    text: str
    level: Literal["info", "warn"] = "info"
    ts: int
