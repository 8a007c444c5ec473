"""The fan club's wire: its error code, events (`fanclub.joined`, `fanclub.leveled`), the `fanclub_join`
client message and its server messages (docs/protocol.md, "Fan club and levels")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from siyu.events import payload
from siyu.realtime import protocol as wire
from siyu.realtime.protocol import Cid, ClientMessage, RoomMessage, ServerMessage, UserRef


class FanCode:
    GIFT_REQUIRED = "fanclub.gift_required"


TEXT = {FanCode.GIFT_REQUIRED: "送出粉丝团灯牌即可加入粉丝团"}
wire.ERROR_TEXT.update(TEXT)


# --- events ------------------------------------------------------------------------------------------
@payload
@dataclass(frozen=True, slots=True)
class FanJoined:
    TYPE: ClassVar[str] = "fanclub.joined"
    club: str
    via: str  # free | gift
    nickname: str


@payload
@dataclass(frozen=True, slots=True)
class FanLeveled:
    TYPE: ClassVar[str] = "fanclub.leveled"
    club: str
    level: int
    previous: int
    xp: int


# --- messages ----------------------------------------------------------------------------------------
class FanJoinIn(ClientMessage):
    type: Literal["fanclub_join"]
    cid: Cid


@dataclass(slots=True, kw_only=True)
class FanJoinedMessage(RoomMessage):
    """`user` joined the club (a line in the comments, like a follow)."""

    type: Literal["fanclub_joined"] = "fanclub_joined"
    user: UserRef
    club: str
    via: str


@dataclass(slots=True, kw_only=True)
class FanMe(ServerMessage):
    """The viewer's own membership (personal): after joining, after each flush that changed it."""

    type: Literal["fanclub_me"] = "fanclub_me"
    fanclub: dict[str, Any]


@dataclass(slots=True, kw_only=True)
class FanLevel(ServerMessage):
    """The viewer's level went up (personal)."""

    type: Literal["fanclub_level"] = "fanclub_level"
    level: int
    previous: int
    xp: int
    next_xp: int | None
    badge: dict[str, Any]


@dataclass(slots=True, kw_only=True)
class FanTop(ServerMessage):
    """Staff: the club's member count and top members by XP (when they changed)."""

    type: Literal["fanclub_top"] = "fanclub_top"
    name: str
    members: int
    top: list[dict[str, Any]]


def join_answer(seq: int | None, fanclub: dict[str, Any]) -> dict[str, Any]:
    """The `fanclub_join` ack's fields (after `type` and `cid`): the join's `seq` (if this cid made it)."""
    return {"fanclub": fanclub} if seq is None else {"seq": seq, "fanclub": fanclub}
