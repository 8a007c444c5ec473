"""PK battles (连麦PK, issue 14): error codes, events, client and server messages.

The names are the contract of docs/protocol.md section 11 (pages and the demo speak them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import Field

from siyu.events import payload
from siyu.realtime import protocol as wire
from siyu.realtime.protocol import Cid, ClientMessage, RoomMessage, ServerMessage, UserRef

MIN_SECONDS, MAX_SECONDS, DEFAULT_SECONDS = 60, 900, 300
MAX_PUNISH_S, DEFAULT_PUNISH_S = 300, 60
INVITE_TTL_MS = 30_000  # an invite not answered in 30 s expires
FINAL_MS = 30_000  # the last 30 s of the battle: the final phase (pk_score goes at high priority)
END_GRACE_MS = 1_000  # the end is decided 1 s after ends_at: gifts sent before it are committed by then
REPAIR_MS = 5_000  # a transition the table has but this room's log lacks is recorded after 5 s
TOP = 3  # supporters shown per side


class PkCode:
    SELF = "pk.self"
    UNKNOWN_ROOM = "pk.unknown_room"
    NOT_LIVE = "pk.not_live"
    BUSY = "pk.busy"
    NOT_HOST = "pk.not_host"
    UNKNOWN = "pk.unknown"
    EXPIRED = "pk.expired"


TEXT = {
    PkCode.SELF: "不能和自己的直播间PK",
    PkCode.UNKNOWN_ROOM: "没有这个直播间",
    PkCode.NOT_LIVE: "直播间未开播",
    PkCode.BUSY: "对方或本直播间正在PK中",
    PkCode.NOT_HOST: "只有主播可以发起或应答PK",
    PkCode.UNKNOWN: "没有这场PK",
    PkCode.EXPIRED: "PK邀请已过期",
}
wire.ERROR_TEXT.update(TEXT)


# --- events (logged in both rooms) -------------------------------------------------------------------
@payload
@dataclass(frozen=True, slots=True)
class PkInvited:
    TYPE: ClassVar[str] = "pk.invited"
    pk_id: str
    room_a: str
    room_b: str
    seconds: int
    punish_s: int
    expires_at: int
    by: str


@payload
@dataclass(frozen=True, slots=True)
class PkDeclined:
    """The invite ended without a battle: `reason` declined | expired | cancelled."""

    TYPE: ClassVar[str] = "pk.declined"
    pk_id: str
    reason: str


@payload
@dataclass(frozen=True, slots=True)
class PkStarted:
    TYPE: ClassVar[str] = "pk.started"
    pk_id: str
    room_a: str
    room_b: str
    started_at: int
    ends_at: int
    punish_s: int


@payload
@dataclass(frozen=True, slots=True)
class PkEnded:
    """The result, recounted from the log: `scores` {room: coins}, `top` {room: [[user_id, nickname, coins,
    level], ...]} (3 per side), `winner` a room id or "draw", `reason` time | stopped."""

    TYPE: ClassVar[str] = "pk.ended"
    pk_id: str
    scores: dict[str, int]
    winner: str
    top: dict[str, list[list[Any]]]
    reason: str
    punish_until: int


@payload
@dataclass(frozen=True, slots=True)
class PkClosed:
    """The punishment phase is over (`by`: the host's nickname, or None for the timer)."""

    TYPE: ClassVar[str] = "pk.closed"
    pk_id: str
    by: str | None


# --- client messages (host only) ----------------------------------------------------------------------
PkId = Field(min_length=1, max_length=64)


class PkInviteIn(ClientMessage):
    type: Literal["pk_invite"]
    room_id: str = Field(min_length=1, max_length=64)
    seconds: int = Field(DEFAULT_SECONDS, ge=MIN_SECONDS, le=MAX_SECONDS)
    punish_s: int = Field(DEFAULT_PUNISH_S, ge=0, le=MAX_PUNISH_S)
    cid: Cid | None = None


class PkAnswerIn(ClientMessage):
    type: Literal["pk_answer"]
    pk_id: str = PkId
    accept: bool
    cid: Cid | None = None


class PkCancelIn(ClientMessage):
    type: Literal["pk_cancel"]
    pk_id: str = PkId
    cid: Cid | None = None


class PkEndIn(ClientMessage):
    type: Literal["pk_end"]
    pk_id: str = PkId
    cid: Cid | None = None


# --- server messages ------------------------------------------------------------------------------------
@dataclass(slots=True, frozen=True)
class RoomSide:
    room_id: str
    title: str


@dataclass(slots=True, kw_only=True)
class PkInviteMessage(ServerMessage):
    """To the staff of both rooms, on every node: an invite and what became of it."""

    type: Literal["pk_invite"] = "pk_invite"
    pk_id: str
    status: str  # pending | accepted | declined | expired | cancelled
    to: RoomSide
    seconds: int
    expires_at: int
    from_: RoomSide = field(default_factory=lambda: RoomSide("", ""))

    def wire(self) -> dict[str, Any]:
        return {"type": self.type, "pk_id": self.pk_id, "status": self.status,
                "from": {"room_id": self.from_.room_id, "title": self.from_.title},
                "to": {"room_id": self.to.room_id, "title": self.to.title},
                "seconds": self.seconds, "expires_at": self.expires_at}  # fmt: skip


@dataclass(slots=True, frozen=True)
class Supporter:
    user: UserRef
    coins: int


@dataclass(slots=True, frozen=True)
class Side:
    room_id: str
    title: str
    score: int
    top: list[Supporter]


@dataclass(slots=True, kw_only=True)
class PkMessage(RoomMessage):
    """The battle's phase in this room (sequenced, and `state.pk`); this room's side first."""

    type: Literal["pk"] = "pk"
    pk_id: str
    phase: str  # live | punish | closed
    started_at: int
    ends_at: int
    final_at: int
    punish_until: int | None
    sides: list[Side]
    winner: str | None
    reason: str | None


@dataclass(slots=True, kw_only=True)
class PkScore(ServerMessage):
    """The scoreboard (unsequenced, at most once a second per room, only when it changed)."""

    type: Literal["pk_score"] = "pk_score"
    pk_id: str
    scores: list[int]
    final: bool
    top: list[list[Supporter]]


def pk_user(pk_id: str) -> str:
    """The user id the battle's own events are logged under (their once-keys are unique per room)."""
    return f"pk:{pk_id}"
