"""A room's view of its battle (`Battle`) and the messages made from it: the sequenced `pk`, the
unsequenced `pk_score` (at most once a second per room, only when it changed) and the staff `pk_invite`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from siyu.events import now_ms
from siyu.interactions.pk.model import (
    FINAL_MS,
    PkEnded,
    PkInviteMessage,
    PkMessage,
    PkScore,
    RoomSide,
    Side,
    Supporter,
)
from siyu.interactions.pk.score import Tally
from siyu.interactions.pk.store import INVITED, LIVE, PUNISH, Row
from siyu.realtime.fanout import Priority
from siyu.realtime.protocol import UserRef

if TYPE_CHECKING:
    from siyu.interactions.pk.feature import Pk


@dataclass(slots=True)
class Battle:
    """The battle holding this room, as this node knows it (the table is the authority)."""

    row: Row
    titles: dict[str, str] = field(default_factory=dict)
    tally: Tally | None = None  # this room's side (None until this room's `pk.started` is known)
    ended: PkEnded | None = None
    partner: Pk | None = None  # the partner room's feature on this node (room.other)
    linking: bool = False  # looking the partner room up (one lookup at a time)
    trying_until: int = 0  # a transition this node tries is in flight (or backs off) until then
    shown: Any = None
    last_post: int = 0
    timer: asyncio.TimerHandle | None = None

    @property
    def pk_id(self) -> str:
        return self.row.pk_id

    @property
    def status(self) -> str:
        return self.row.status


def invite_message(row: Row, titles: dict[str, str], status: str) -> PkInviteMessage:
    return PkInviteMessage(
        pk_id=row.pk_id, status=status, from_=RoomSide(row.room_a, titles.get(row.room_a, "")),
        to=RoomSide(row.room_b, titles.get(row.room_b, "")), seconds=row.seconds, expires_at=row.expires_at,
    )  # fmt: skip


def ended_top(ended: PkEnded, room_id: str) -> list[Supporter]:
    rows = ended.top.get(room_id, [])
    return [Supporter(UserRef(str(u), str(n), int(lvl), "viewer"), int(c)) for u, n, c, lvl in rows]


def side(b: Battle, room_id: str, score: int, top: list[Supporter]) -> Side:
    return Side(room_id, b.titles.get(room_id, ""), score, top)


Score = tuple[int, list[Supporter]]
NONE: Score = (0, [])


def sides(b: Battle, room_id: str, mine: Score, theirs: Score) -> list[Side]:
    other = b.row.partner(room_id)
    if b.ended is not None:  # the result, as recounted from the log
        mine = (b.ended.scores.get(room_id, 0), ended_top(b.ended, room_id))
        theirs = (b.ended.scores.get(other, 0), ended_top(b.ended, other))
    return [side(b, room_id, *mine), side(b, other, *theirs)]


def pk_message(b: Battle, room_id: str, phase: str, mine: Score = NONE, theirs: Score = NONE) -> PkMessage:
    r = b.row
    ends = r.ends_at or 0
    return PkMessage(
        pk_id=r.pk_id, phase=phase, started_at=r.started_at or 0, ends_at=ends, final_at=ends - FINAL_MS,
        punish_until=b.ended.punish_until if b.ended else None, sides=sides(b, room_id, mine, theirs),
        winner=b.ended.winner if b.ended else None, reason=b.ended.reason if b.ended else None,
    )  # fmt: skip


class Scoreboard:
    """The `pk_score` of one room: posted when the scores or tops changed, at most once a second."""

    def __init__(self, pk: Pk) -> None:
        self.pk = pk

    def changed(self) -> None:
        b = self.pk.battle
        if b is None or b.status != LIVE or b.timer is not None:
            return
        delay = max(0, b.last_post + 1000 - now_ms())
        if delay == 0:
            self.post()
        else:
            b.timer = asyncio.get_running_loop().call_later(delay / 1000, self.post)

    def post(self) -> None:
        b = self.pk.battle
        if b is None:
            return
        b.timer = None
        if b.status != LIVE:
            return
        (mine, my_top), (theirs, their_top) = self.pk.own_side(), self.pk.their_side()
        now = now_ms()
        final = now >= (b.row.ends_at or 0) - FINAL_MS
        shown = (mine, theirs, final, my_top, their_top)
        if shown == b.shown:
            return
        b.shown, b.last_post = shown, now
        msg = PkScore(pk_id=b.pk_id, scores=[mine, theirs], final=final, top=[my_top, their_top])
        self.pk.room.post(msg, Priority.HIGH if final else Priority.NORMAL)


def is_held(status: str) -> bool:
    """A room in a battle of this status is held (pk_rooms)."""
    return status in (INVITED, LIVE, PUNISH)
