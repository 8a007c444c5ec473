"""The host's status (live / busy / away): while not live, the assistant keeps the room company."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from siyu.auth import Role
from siyu.events import Event, HostStatusChanged
from siyu.realtime import protocol as wire
from siyu.realtime.protocol import Cid, ClientMessage, ErrorCode, RoomMessage
from siyu.rooms.feature import Feature, follows, handles
from siyu.rooms.room import Member

HostStatusValue = Literal["live", "busy", "away"]


class HostStatusIn(ClientMessage):
    type: Literal["host_status"]
    status: HostStatusValue
    cid: Cid | None = None


@dataclass(slots=True, kw_only=True)
class HostStatusMessage(RoomMessage):
    type: Literal["host_status"] = "host_status"
    status: str


class HostStatus(Feature):
    name = "host"

    def __init__(self, room: Any) -> None:
        super().__init__(room)
        self.status = "live"

    def state(self) -> dict[str, Any]:
        return {"host_status": self.status}

    def staff_snapshot(self) -> dict[str, Any]:
        return {"host_status": self.status}

    @handles(HostStatusIn)  # staff only: bounded by the frame rate (docs/protocol.md section 7)
    def set_status(self, m: Member, msg: HostStatusIn) -> None:
        if m.role not in (Role.HOST, Role.OPERATOR):
            m.send(wire.reject(msg.cid, ErrorCode.FORBIDDEN_ROLE, "只有主播可以切换状态"))
            return
        event = self.room.event_for(m, HostStatusChanged(msg.status))
        self.room.record(m, msg.cid, event, HostStatusMessage(status=msg.status))

    @follows(HostStatusChanged)
    def _changed(self, event: Event[HostStatusChanged]) -> None:
        self.status = event.payload.status
