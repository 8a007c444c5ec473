"""The contributor board (贡献榜) of a live session: who gave the most coins, live, the same on every node.

Every node follows the committed `gift.sent` events of the session (`@follows`, in seq order) into a
`Board`: one standing per user (coins, and the seq of the gift that brought them there), kept sorted by
(coins desc, that seq asc), so a tie goes to whoever reached the total first. The same events in the same
order give every node the same board; `load()` rebuilds it from the log's gift events of the session.

The tick posts the top 10 as the unsequenced `leaderboard` message when it changed (at most once a second),
the room state carries it (`state.leaderboard`) for whoever enters, and each node tells its own connected
givers their rank (`my_rank`) after their total changed and when they enter.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select

from siyu.events import Event, GiftSent
from siyu.realtime import protocol as wire
from siyu.realtime.fanout import Priority
from siyu.realtime.protocol import ServerMessage, UserRef
from siyu.rooms.feature import Feature, follows
from siyu.rooms.room import Member
from siyu.store.tables import events

TOP = 10


@dataclass(slots=True)
class Standing:
    user: UserRef
    coins: int
    reached: int  # the seq of the gift that brought `coins` (ties: the lower seq ranks first)

    @property
    def key(self) -> tuple[int, int, str]:
        return (-self.coins, self.reached, self.user.id)


@dataclass(slots=True, frozen=True)
class Contributor:
    """One line of the board on the wire."""

    rank: int
    user: UserRef
    coins: int


class Board:
    """Standings sorted by (coins desc, reached asc): an update is a bisect and a list move."""

    def __init__(self) -> None:
        self.by_user: dict[str, Standing] = {}
        self.order: list[tuple[int, int, str]] = []

    def __len__(self) -> int:
        return len(self.by_user)

    def add(self, user: UserRef, coins: int, seq: int) -> Standing:
        """`user` gave `coins` in the gift of `seq` (gifts come in seq order)."""
        s = self.by_user.get(user.id)
        if s is None:
            s = self.by_user[user.id] = Standing(user, coins, seq)
        else:
            del self.order[bisect_left(self.order, s.key)]
            s.user, s.coins, s.reached = user, s.coins + coins, seq
        insort(self.order, s.key)
        return s

    def top(self, n: int = TOP) -> list[Contributor]:
        out = []
        for i, (_coins, _seq, user_id) in enumerate(self.order[:n]):
            s = self.by_user[user_id]
            out.append(Contributor(i + 1, s.user, s.coins))
        return out

    def rank(self, user_id: str) -> tuple[int, int] | None:
        """(rank, coins) of a user who gave this session, else None."""
        s = self.by_user.get(user_id)
        return None if s is None else (bisect_left(self.order, s.key) + 1, s.coins)


@dataclass(slots=True, kw_only=True)
class LeaderboardMessage(ServerMessage):
    """The session's top contributors (unsequenced, at most once a second, when they changed)."""

    type: Literal["leaderboard"] = "leaderboard"
    session_id: str | None
    items: list[Contributor]
    contributors: int


@dataclass(slots=True, kw_only=True)
class MyRank(ServerMessage):
    """A giver's own place on the board (personal: after their total changed, and when they enter)."""

    type: Literal["my_rank"] = "my_rank"
    session_id: str | None
    rank: int
    coins: int


def giver(event: Event[GiftSent]) -> UserRef:
    p = event.payload
    return UserRef(event.user_id or "", p.nickname, p.level, p.role)


class Leaderboard(Feature):
    name = "leaderboard"

    def __init__(self, room: Any) -> None:
        super().__init__(room)
        self.board = Board()
        self.through = 0  # gifts up to this seq are on the board (load() read them; a replay skips them)
        self.top: list[Contributor] = []
        self.shown: list[Contributor] | None = None
        self.moved: set[str] = set()  # givers whose total changed since the last tick

    @property
    def session_id(self) -> str | None:
        return self.room.session.id if self.room.session else None

    async def load(self) -> None:
        """The session's gifts from the log, in seq order: the board as every node built it live."""
        session = self.session_id
        if session is None:
            return
        q = (
            select(events.c.user_id, events.c.seq, events.c.payload)
            .where(
                events.c.room_id == self.room.info.id,
                events.c.session_id == session,
                events.c.type == GiftSent.TYPE,
                events.c.seq.is_not(None),
            )  # fmt: skip
            .order_by(events.c.seq)
        )
        async with self.room.service.db.engine.connect() as conn:
            async for user_id, seq, p in await conn.stream(q):
                if user_id is None:
                    continue
                nick, level, role = str(p["nickname"]), int(p.get("level", 0)), str(p.get("role", "viewer"))
                self.board.add(UserRef(user_id, nick, level, role), int(p["coins"]), int(seq))
                self.through = int(seq)
        self.top = self.board.top()
        self.shown = list(self.top)

    def on_session(self, session_id: str | None) -> None:
        """A new session starts with an empty board (seqs go on, so `through` stays)."""
        self.board = Board()
        self.top = []
        self.moved.clear()

    @follows(GiftSent)
    def _gift(self, event: Event[GiftSent]) -> None:
        seq = event.seq
        if seq is None or seq <= self.through or event.user_id is None:
            return  # on the board already (read by load(), replayed now)
        if event.session_id is None or event.session_id != self.session_id:
            return  # a gift outside the live session counts on no board
        self.through = seq
        self.board.add(giver(event), event.payload.coins, seq)
        self.top = self.board.top()
        self.moved.add(event.user_id)

    def state(self) -> dict[str, Any]:
        return {"leaderboard": self.top}

    def tick(self, now_ms: int) -> None:
        if self.top != self.shown:
            self.shown = list(self.top)
            board = LeaderboardMessage(
                session_id=self.session_id, items=self.top, contributors=len(self.board)
            )
            self.room.post(board, Priority.LOW)
        for user_id in self.moved:  # each node tells the givers connected to it (every node saw the gift)
            self.tell(user_id)
        self.moved.clear()

    def tell(self, user_id: str) -> None:
        place = self.board.rank(user_id)
        if place is not None:
            data = wire.encode(MyRank(session_id=self.session_id, rank=place[0], coins=place[1]))
            self.room.channel.to_user(user_id, data)

    def on_enter(self, m: Member, returning: bool) -> None:
        self.tell(m.user_id)
