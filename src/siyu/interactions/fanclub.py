"""The fan club (粉丝团) as a room feature (issue 12): join, XP, levels and badges, the idle pause.

A club belongs to the shop (its rooms share it): one `fan_members` row per shop and user (fanclub_store.py),
the rules in fanclub_rules.py. `fanclub_join` (free, if the shop allows it) or a gift of the club's join gift
(粉丝团灯牌) makes the row, then the sequenced `fanclub_joined` line (event `fanclub.joined`). XP comes from
committed events on the node that committed them (`@committed`: each comment, like frame and gift counts
once across nodes), from the watch minutes of the viewers connected here, and from `award()` (the orders
feature's purchases); it is flushed once a second, one UPDATE per member with the caps in SQL. The record's
level replaces the token's claim before the welcome (`admit`), the welcome carries the viewer's membership
(`me.fanclub`), comments carry the badge, and a level up is logged (`fanclub.leveled`) and told to the
viewer (`fanclub_level`).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from typing import Any

from siyu.events import CommentPosted, Event, GiftSent, LikeSent, now_ms
from siyu.realtime import protocol as wire
from siyu.realtime.fanout import Priority
from siyu.realtime.protocol import ErrorCode, UserRef
from siyu.rooms import answers
from siyu.rooms.feature import Feature, committed, follows, handles
from siyu.rooms.features.chat import Chat
from siyu.rooms.room import Member, member_ref

from .fanclub_rules import (
    MAX_AWARD,
    MINUTE_MS,
    SOURCES,
    ClubConfig,
    FanRecord,
    day_of,
    me,
    minute_of,
    next_xp,
)
from .fanclub_store import Awarded, FanStore
from .fanclub_wire import (
    TEXT,
    FanCode,
    FanJoined,
    FanJoinedMessage,
    FanJoinIn,
    FanLevel,
    FanLeveled,
    FanMe,
    FanTop,
    join_answer,
)

log = logging.getLogger(__name__)

ADMIT_S = 0.5  # the longest a welcome waits for a viewer's record (then the token's level; the record after)
TOP_EVERY_MS = 2_000  # the staff's top members are read again at most this often (when they may have changed)


class FanClub(Feature):
    name = "fanclub"

    def __init__(self, room: Any) -> None:
        super().__init__(room)
        self.store = FanStore(room.service.db)
        self.clock: Callable[[], int] = now_ms  # days, minutes and the idle pause (tests inject a clock)
        self.club = ClubConfig.of({}, room.info.host_name, room.info.shop_name)
        self.records: dict[str, FanRecord | None] = {}  # viewers connected here: membership (None: none)
        room.provided["fanclub.member"] = self.lit_member
        self.online: dict[str, list[Member]] = {}  # everyone connected here, by user
        self.pending: dict[str, dict[str, int]] = {}  # units per user and source, until the next flush
        self.members = room.counter("fanclub:members", per_session=False)
        self.top: list[dict[str, Any]] = []
        self._minute = minute_of(self.clock())  # the minute watch time was last counted at
        self._watched = self._minute - 1  # the minute the pending watch units are for (once per member)
        self._flushing = False
        self._top_at = 0
        self._top_dirty = False
        self._staff_here = 0  # staff connected here (the top members are read again only for them)
        chat = room.find(Chat)
        if chat is not None:
            chat.badges.append(self.badge)

    @property
    def shop_id(self) -> str:
        return str(self.room.info.shop_id)

    def today(self) -> int:
        return day_of(self.clock())

    async def load(self) -> None:
        info = self.room.info
        self.club = ClubConfig.of(await self.store.shop_data(self.shop_id), info.host_name, info.shop_name)
        await self.room.seed(self.members, await self.store.count(self.shop_id))
        await self._read_top()

    # --- who is who ------------------------------------------------------------------------------

    async def admit(self, m: Member) -> None:
        """Before the welcome: a viewer with a record shows its level, not the token's claim."""
        if m.is_staff:
            return
        try:
            rec = await asyncio.wait_for(self.store.get(self.shop_id, m.user_id), ADMIT_S)
        except Exception as exc:  # slow or down: the token's level now, the record once read (on_enter)
            log.warning("room %s: no fan record of %s to welcome (%r)", self.room.info.id, m.user_id, exc)
            return
        self.records[m.user_id] = rec
        if rec is not None:
            m.level = rec.level

    def personal(self, m: Member) -> dict[str, Any]:
        if m.is_staff or m.user_id not in self.records:
            return {}
        return {"fanclub": me(self.club, self.records[m.user_id], self.today())}

    def on_enter(self, m: Member, returning: bool) -> None:
        self.online.setdefault(m.user_id, []).append(m)
        if m.is_staff:
            self._staff_here += 1
            self._top_dirty = True  # their snapshot may be old: the current top follows (fanclub_top)
        if not m.is_staff and m.user_id not in self.records:  # not admitted (or its read failed): read now
            self.room.spawn(self._refresh(m.user_id))

    def on_leave(self, m: Member) -> None:
        conns = self.online.get(m.user_id)
        if conns is not None and m in conns:
            conns.remove(m)
            self._staff_here -= int(m.is_staff)
            if not conns:
                del self.online[m.user_id]
                self.records.pop(m.user_id, None)

    async def _refresh(self, user_id: str) -> None:
        try:
            rec = await self.store.get(self.shop_id, user_id)
        except Exception:
            log.exception("room %s: reading the fan record of %s failed", self.room.info.id, user_id)
            return
        self._learn(user_id, rec)

    def _learn(self, user_id: str, rec: FanRecord | None) -> None:
        """The database's word on a viewer connected here: their connections show its level; they see it."""
        conns = self.online.get(user_id)
        if not conns or all(c.is_staff for c in conns):
            return
        self.records[user_id] = rec
        for c in conns:
            if rec is not None:
                c.level = rec.level
        self.room.to_user(user_id, FanMe(fanclub=me(self.club, rec, self.today())))

    def badge(self, m: Member) -> dict[str, Any] | None:
        """The badge a member's comment carries: lit, since the comment itself re-lights a paused one."""
        rec = self.records.get(m.user_id)
        return None if rec is None else {"name": self.club.name, "level": rec.level, "active": True}

    async def is_member(self, user_id: str) -> bool:
        """The lucky bags' 粉丝团 entry condition (found by this name): an active member."""
        return await self.is_active_member(user_id)

    def lit_member(self, user_id: str) -> bool:
        """`fanclub.member`: a viewer connected here whose badge is lit (this node's record, no database)."""
        rec = self.records.get(user_id)
        return rec is not None and rec.active(self.today())

    async def is_active_member(self, user_id: str) -> bool:
        """A member whose badge is lit (the 粉丝团 coupon condition), as the database says now."""
        rec = await self.store.get(self.shop_id, user_id)
        return rec is not None and rec.active(self.today())

    def state(self) -> dict[str, Any]:
        return {"fanclub": {**self.club.wire(), "members": self.members.value}}

    def staff_snapshot(self) -> dict[str, Any]:
        return {"fanclub": {"name": self.club.name, "members": self.members.value, "top": self.top}}

    # --- join ------------------------------------------------------------------------------------

    @handles(FanJoinIn)
    def join(self, m: Member, msg: FanJoinIn) -> None:
        if m.is_staff:
            m.send(wire.reject(msg.cid, ErrorCode.FORBIDDEN_ROLE, "主播和工作人员不能加入粉丝团"))
            return
        if self.room.answer_known(m, msg.cid):
            return
        rec = self.records.get(m.user_id)
        if rec is None and not self.club.free_join:
            m.send(wire.reject(msg.cid, FanCode.GIFT_REQUIRED, TEXT[FanCode.GIFT_REQUIRED]))
            return
        answers.answer(self.room, m, msg.cid, lambda: self._join_free(m, msg.cid, rec))

    async def _join_free(self, m: Member, cid: str, rec: FanRecord | None) -> dict[str, Any]:
        """The ack's fields: the seq of the line that announced the join (see `_join`), the membership."""
        seq = None
        if rec is None:  # (a member already gets the membership, without a write)
            rec, seq = await self._join(m.user_id, m.nickname, m, "free", cid=cid)
        return join_answer(seq, me(self.club, rec, self.today()))

    async def _join(
        self, user_id: str, nickname: str, m: Member | None, via: str, *, cid: str | None = None,
        parent: str | None = None,
    ) -> tuple[FanRecord, int | None]:  # fmt: skip
        """The membership (the row first, then its event and the room line); the seq of the line that
        announced it (None: a member already, unless this cid made the join)."""
        room = self.room
        rec, made = await self.store.join(self.shop_id, user_id, nickname, via, self.clock())
        seq: int | None = None
        if made:
            ref = member_ref(m) if m is not None else room.user_ref(user_id)
            you = UserRef(ref.id, ref.nick, rec.level, ref.role)
            line = FanJoinedMessage(user=you, club=self.club.name, via=via)
            event = room.event_for(m, FanJoined(self.club.name, via, nickname), parent=parent)
            event.user_id, event.cid = user_id, cid
            try:
                await room.record(None, None, event, line, Priority.NORMAL, after=self._counted)
            except Exception:  # not logged, so nobody saw it: the membership goes again
                await self.store.unjoin(self.shop_id, user_id, rec.joined_at)
                raise
            seq, self._top_dirty = event.seq, True
        elif cid is not None:
            seq = await self.store.seq_of(room.info.id, user_id, cid)
        self._learn(user_id, rec)
        return rec, seq

    def _counted(self, _seq: int | None) -> None:
        self.members.add(1)  # on the node that committed the join; the broker sums the nodes

    async def _join_by_gift(self, event: Event[GiftSent]) -> None:
        assert event.user_id is not None
        user_id, p = event.user_id, event.payload
        conns = self.online.get(user_id)
        try:
            await self._join(user_id, p.nickname, conns[0] if conns else None, "gift", parent=event.id)
        except Exception:
            log.exception("room %s: joining the fan club by a gift failed", self.room.info.id)
        self.award(user_id, "gift", p.coins)  # after the row exists

    @follows(FanJoined)
    def _joined(self, event: Event[FanJoined]) -> None:
        self._top_dirty = True
        user_id = event.user_id
        if user_id is not None and user_id in self.online and self.records.get(user_id) is None:
            self.room.spawn(self._refresh(user_id))  # joined on another node: read the record

    # --- XP ------------------------------------------------------------------------------------

    def award(self, user_id: str, source: str, amount: int | float) -> None:
        """Count `amount` units of `source` for the user at the next flush (within a second): watch
        minutes, comments, likes, gift coins, or purchase yuan (the orders feature calls this for
        `order.placed` on the node that committed it, so each order counts once). A float is rounded down;
        a negative, NaN, bool or more than MAX_AWARD is a ValueError. Non-members gain nothing: the flush
        asks the database who is a member (a join on another node counts at once)."""
        if source not in SOURCES:
            raise ValueError(f"unknown XP source {source!r}")
        if isinstance(amount, float) and math.isfinite(amount):
            amount = math.floor(amount)  # e.g. yuan with fen: whole units count
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= MAX_AWARD:
            raise ValueError(f"an award is a number 0..{MAX_AWARD}, not {amount!r}")
        if amount == 0:
            return
        units = self.pending.setdefault(user_id, {})
        units[source] = min(MAX_AWARD, units.get(source, 0) + amount)

    @committed(CommentPosted)
    def _commented(self, event: Event[CommentPosted]) -> None:
        if event.user_id is not None and event.payload.role == "viewer":
            self.award(event.user_id, "comment", 1)

    @committed(LikeSent)
    def _liked(self, event: Event[LikeSent]) -> None:
        if event.user_id is not None and not self._staff(event.user_id):
            self.award(event.user_id, "like", event.payload.count)

    @committed(GiftSent)
    def _gifted(self, event: Event[GiftSent]) -> None:
        user_id = event.user_id
        if user_id is None or self._staff(user_id):
            return
        if event.payload.gift_id == self.club.join_gift and self.records.get(user_id) is None:
            self.room.spawn(self._join_by_gift(event))  # joins the sender, then counts the coins
            return
        self.award(user_id, "gift", event.payload.coins)

    def _staff(self, user_id: str) -> bool:
        return any(c.is_staff for c in self.online.get(user_id, ()))

    def tick(self, now_ms: int) -> None:
        self.step(self.clock())

    def step(self, now: int) -> None:
        """Watch minutes (at each new minute: one for each member here who watched the whole minute that
        ended), the flush of the pending XP, and the staff's top members when they may have changed."""
        minute = minute_of(now)
        if minute > self._minute:
            self._minute, self._watched = minute, minute - 1
            start = self._watched * MINUTE_MS
            for user_id, conns in self.online.items():
                if self.records.get(user_id) is not None and min(c.joined_at_ms for c in conns) <= start:
                    self.award(user_id, "watch", 1)
            for user_id in [u for u in self.records if u not in self.online]:
                del self.records[user_id]  # admitted, but the entry failed
        if self.pending and not self._flushing:
            self._flushing = True
            self.room.spawn(self._flush())
        every = TOP_EVERY_MS if self._top_dirty else 30 * TOP_EVERY_MS
        if self._staff_here and now - self._top_at >= every:
            self._top_at, self._top_dirty = now, False
            self.room.spawn(self._read_top(tell=True))

    async def _flush(self) -> None:
        batch, self.pending = self.pending, {}
        now = self.clock()
        try:
            done = await self.store.award(self.shop_id, batch, now, self._watched)
        except Exception as exc:  # nothing was added: back in the queue for the next tick
            log.warning("room %s: adding fan XP failed (%r)", self.room.info.id, exc)
            for user_id, units in batch.items():
                mine = self.pending.setdefault(user_id, {})
                for source, n in units.items():
                    mine[source] = min(MAX_AWARD, mine.get(source, 0) + n)
            return
        finally:
            self._flushing = False
        for awarded in done:
            self._awarded(awarded, day_of(now))
        self._top_dirty = self._top_dirty or bool(done)

    def _awarded(self, a: Awarded, today: int) -> None:
        rec = a.record
        if a.level_from is not None:
            leveled = self.room.event_for(None, FanLeveled(self.club.name, rec.level, a.level_from, rec.xp))
            leveled.user_id = rec.user_id
            self.room.log(leveled)
            self.room.to_user(rec.user_id, FanLevel(
                level=rec.level, previous=a.level_from, xp=rec.xp, next_xp=next_xp(rec.level),
                badge=rec.badge(self.club.name, today),
            ))  # fmt: skip
        self._learn(rec.user_id, rec)

    async def _read_top(self, tell: bool = False) -> None:
        try:
            top = [r.top(self.today()) for r in await self.store.top(self.shop_id)]
        except Exception as exc:
            log.warning("room %s: reading the top fans failed (%r)", self.room.info.id, exc)
            return
        if top != self.top:
            self.top = top
            if tell:
                self.room.to_staff(FanTop(name=self.club.name, members=self.members.value, top=top))
