"""A side's score, derived from the log: the coins of the `gift.sent` events of THAT room with a seq above
the room's `pk.started` event of the battle and a `ts` before `ends_at`.

`Tally` is what a node counts live from the room stream (idempotent: only seqs above `through`);
`recount` is the same figure read from the log (on load, and for the result), so both always agree.
Supporters rank by coins desc, then by the seq of their latest gift asc (who got there first), then id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from siyu.events import GiftSent
from siyu.interactions.pk.model import TOP, PkStarted, Supporter, pk_user
from siyu.realtime.protocol import UserRef
from siyu.store.tables import events


@dataclass(slots=True)
class Standing:
    user: UserRef
    coins: int
    reached: int


@dataclass(slots=True)
class Tally:
    """One side's score as counted from its room's gifts (seq > `started_seq`, ts < `ends_at`)."""

    started_seq: int
    ends_at: int
    through: int = 0
    score: int = 0
    by_user: dict[str, Standing] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.through = max(self.through, self.started_seq)

    def add(self, seq: int, ts: int, user: UserRef, coins: int) -> bool:
        """Count one gift (in seq order); False when it is not in the window or counted already."""
        if seq <= self.through or ts >= self.ends_at:
            return False
        self.through = seq
        self.score += coins
        s = self.by_user.get(user.id)
        if s is None:
            self.by_user[user.id] = Standing(user, coins, seq)
        else:
            s.user, s.coins, s.reached = user, s.coins + coins, seq
        return True

    def top(self, n: int = TOP) -> list[Supporter]:
        ranked = sorted(self.by_user.values(), key=lambda s: (-s.coins, s.reached, s.user.id))
        return [Supporter(s.user, s.coins) for s in ranked[:n]]

    def top_rows(self) -> list[list[Any]]:
        """The top as the `pk.ended` event keeps it: [user_id, nickname, coins, level]."""
        return [[t.user.id, t.user.nick, t.coins, t.user.lvl] for t in self.top()]


def gift_user(user_id: str, body: dict[str, Any]) -> UserRef:
    nick, role = str(body.get("nickname", "")), str(body.get("role", "viewer"))
    return UserRef(user_id, nick, int(body.get("level", 0)), role)


async def started_seq(conn: AsyncConnection, room_id: str, pk_id: str) -> int | None:
    """The seq of the battle's `pk.started` event in this room's log (None: not recorded there yet)."""
    q = select(events.c.seq).where(
        events.c.room_id == room_id, events.c.user_id == pk_user(pk_id), events.c.type == PkStarted.TYPE
    )
    got = await conn.scalar(q)
    return None if got is None else int(got)


async def recount(conn: AsyncConnection, room_id: str, pk_id: str, ends_at: int) -> Tally | None:
    """The side's score from the log; None when the room's log has no `pk.started` of the battle yet."""
    start = await started_seq(conn, room_id, pk_id)
    if start is None:
        return None
    tally = Tally(start, ends_at)
    q = (
        select(events.c.seq, events.c.ts, events.c.user_id, events.c.payload)
        .where(
            events.c.room_id == room_id, events.c.type == GiftSent.TYPE, events.c.seq > start,
            events.c.ts < ends_at, events.c.user_id.is_not(None),
        )  # fmt: skip
        .order_by(events.c.seq)
    )
    for seq, ts, user_id, body in (await conn.execute(q)).all():
        tally.add(int(seq), int(ts), gift_user(str(user_id), body), int(body["coins"]))
    return tally
