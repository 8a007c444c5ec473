"""Who may enter a lucky bag: the 口令 match, watch time, the follow, and the fan-club extension point."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from siyu.events import now_ms
from siyu.rooms.features.reactions import Reactions
from siyu.zh import normalize

from .store import BagStore

if TYPE_CHECKING:
    from siyu.rooms.room import Member, Room

FanClubCheck = Callable[[str], "bool | Awaitable[bool]"]
"""`(user_id) -> bool` (or awaitable bool): is this user a member of the room's fan club?"""


@runtime_checkable
class FanClubMembers(Protocol):
    """What a room feature offers to answer the `fanclub` entry condition (the fan-club feature, when it
    exists): `is_member(user_id)`, returning a bool or an awaitable bool."""

    def is_member(self, user_id: str) -> bool | Awaitable[bool]: ...


def fold(text: str) -> str:
    """A 口令 as compared: NFKC (full-width = half-width), whitespace collapsed and trimmed, case folded."""
    return normalize(text).casefold()


def union_ms(spans: list[tuple[int, int]]) -> int:
    """How long the (start, end) spans cover together (two tabs open at once count once)."""
    total, reach = 0, None
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if reach is None or start > reach:
            total += end - start
            reach = end
        elif end > reach:
            total += end - reach
            reach = end
    return total


class Conditions:
    """The checks of a room's bags; `fan_club` may be set by a feature (else one offering `is_member`)."""

    def __init__(self, room: Room, store: BagStore) -> None:
        self.room = room
        self.store = store
        self.fan_club: FanClubCheck | None = None

    async def watched_ms(self, m: Member, now: int) -> int:
        """The viewer's time in this room this live session: their completed visits (`viewer.left` events,
        each `dwell_ms` up to when it was logged) and this connection since it joined, clipped to the
        session's start, overlaps counted once. Other connections still open are not known here."""
        session = self.room.session
        if session is None:
            return 0
        start = session.started_at
        visits = await self.store.visits(self.room.info.id, m.user_id, session.id)
        spans = [(max(left - dwell, start), left) for left, dwell in visits]
        spans.append((max(m.joined_at_ms, start), now))
        return union_ms(spans)

    async def followed(self, user_id: str) -> bool:
        """A follow of this user in this live session: the room's followers (every node follows the stream),
        else the log (a follow committed on another node a moment ago)."""
        reactions = self.room.find(Reactions)
        if reactions is not None and user_id in reactions.followed:
            return True
        session = self.room.session
        if session is None:
            return False
        return await self.store.followed(self.room.info.id, user_id, session.id)

    def fan_club_check(self) -> FanClubCheck | None:
        if self.fan_club is not None:
            return self.fan_club
        for feature in self.room.features.values():
            if isinstance(feature, FanClubMembers):
                return feature.is_member
        return None

    async def in_fan_club(self, user_id: str) -> bool:
        """Asked of the fan-club extension point; with none registered nobody meets the condition."""
        check = self.fan_club_check()
        if check is None:
            return False
        got: Any = check(user_id)
        if inspect.isawaitable(got):
            got = await got
        return bool(got)

    async def refusal(self, m: Member, entry: dict[str, Any]) -> dict[str, Any] | None:
        """None when the viewer meets the bag's `entry` condition, else the refusal's `message` and details
        (`need`: what is missing). A 口令 bag takes an explicit join as well as the comment."""
        kind = entry["kind"]
        if kind == "watch":
            need = int(entry["minutes"]) * 60_000
            watched = await self.watched_ms(m, now_ms())
            if watched < need:
                left = -(-(need - watched) // 60_000)
                return {"message": f"再看{left}分钟就能参与", "need": "watch", "minutes": entry["minutes"],
                        "watched_s": watched // 1000}  # fmt: skip
        elif kind == "follow" and not await self.followed(m.user_id):
            return {"message": "关注主播后才能参与", "need": "follow"}
        elif kind == "fanclub" and not await self.in_fan_club(m.user_id):
            return {"message": "加入粉丝团后才能参与", "need": "fanclub"}
        return None
