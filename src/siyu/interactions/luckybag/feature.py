"""The `LuckyBags` room feature: start (staff), entries (a join, or the 口令 as a comment), the countdown, one
draw per bag across nodes, prizes to the winners (docs/architecture.md, "Lucky bags")."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import OrderedDict
from typing import Any

from siyu.events import CommentHidden, CommentPosted, Event, now_ms
from siyu.realtime import protocol as wire
from siyu.realtime.fanout import Priority
from siyu.realtime.protocol import ErrorCode
from siyu.rooms import answers
from siyu.rooms.feature import Feature, committed, follows, handles
from siyu.rooms.room import Member

from .award import coupon_text, prize_of
from .bag import Bag, bag_id_for, entry_of
from .conditions import Conditions, fold
from .draw import seed_hash
from .drawing import Draws
from .model import (
    DRAW_GRACE_MS,
    TEXT,
    BagClosed,
    BagDrawn,
    BagEntered,
    BagStarted,
    BagView,
    LuckyBagClosed,
    LuckyBagCode,
    LuckyBagCount,
    LuckyBagDrawIn,
    LuckyBagJoinIn,
    LuckyBagMine,
    LuckyBagStartIn,
    Prize,
    card_of,
)
from .store import BagRow, BagStore, entry_key

log = logging.getLogger(__name__)
RECENT_RESULT_MS = 10 * 60_000  # a viewer (re)entering this soon after a draw is told whether they won


class LuckyBags(Feature):
    name = "luckybags"

    def __init__(self, room: Any) -> None:
        super().__init__(room)
        self.store = BagStore(room.service.db)
        self.conditions = Conditions(room, self.store)
        self.draws = Draws(room, self.store)
        self.open: dict[str, Bag] = {}
        self.drawn: OrderedDict[str, tuple[BagDrawn, int]] = OrderedDict()  # recent results, when drawn
        self._starting: tuple[tuple[str, str | None], asyncio.Task[None]] | None = None

    # --- what this node knows ----------------------------------------------------------------------

    def _track(self, p: BagStarted, starter: str) -> Bag | None:
        if p.bag_id in self.drawn:
            return None
        bag = self.open.get(p.bag_id)
        if bag is None:
            counter = self.room.counter(f"luckybag:{p.bag_id}", per_session=False)
            phrase = fold(p.entry["phrase"]) if p.entry.get("phrase") else None
            bag = self.open[p.bag_id] = Bag(p, starter, counter, p.until, phrase)
        return bag

    def _seen_draw(self, p: BagDrawn, at: int) -> None:
        self.drawn[p.bag_id] = (p, at)
        while len(self.drawn) > 20:
            self.drawn.popitem(last=False)
        self.open.pop(p.bag_id, None)

    async def load(self) -> None:
        """The open bag(s) and their entry counts from the table and the log; prizes not yet recorded."""
        now = now_ms()
        for row in reversed(await self.store.pending(self.room.info.id)):
            started, closed, drawn = await self.store.bag_events(row)
            if drawn is not None:
                self._seen_draw(drawn, row.drawn_at or now)
                self.room.spawn(self.draws.award(row, drawn))
            elif started is None:  # a start whose event never committed: nobody saw it
                if row.opens_at < now - 60_000:
                    await self.store.awarded(row.id, now)
            else:
                bag = self._track(started, row.starter)
                if bag is not None:
                    bag.until = min(bag.until, closed.at) if closed is not None else bag.until
                    names = await self.store.entrants(row.room_id, row.id, row.opens_at, row.until)
                    bag.entrants = set(names)
                    await self.room.seed(bag.counter, len(names))

    def _view(self, bag: Bag, now: int) -> BagView:
        c = card_of(bag.started)
        return BagView(bag_id=c.bag_id, prize=c.prize, winners=c.winners, until=bag.until, entry=c.entry,
                       seed_hash=c.seed_hash, closed=bag.drawing or bag.until <= now)  # fmt: skip

    def state(self) -> dict[str, Any]:
        """The newest open bag (its count comes with `luckybag_count`), or null."""
        bags = list(self.open.values())
        return {"luckybag": self._view(bags[-1], now_ms()) if bags else None}

    def staff_snapshot(self) -> dict[str, Any]:
        """The open bag with its count, and the prizes the console can offer (shop coupons, room products)."""
        bags = list(self.open.values())
        bag = (
            None if not bags else {"view": self._view(bags[-1], now_ms()), "entries": bags[-1].counter.value}
        )
        catalog = self.room.catalog
        coupons = [] if catalog is None else catalog.coupons
        products = (prize_of(self.room, "product", pid) for pid in self.room.products)
        return {
            "luckybag": bag,
            "luckybag_prizes": {
                "coupons": [{"id": c.id, "name": c.name, "text": coupon_text(c)} for c in coupons],
                "products": [p.plain() for p in products if p is not None],
            },
        }  # fmt: skip

    def tick(self, now_ms: int) -> None:
        """Entries counts when they changed; the draw once entries ended and the grace passed."""
        for bag in list(self.open.values()):
            if bag.drawing:
                continue
            if now_ms >= bag.until + DRAW_GRACE_MS:
                bag.drawing = True
                self.room.spawn(self._draw(bag))
                continue
            if bag.counter.value != bag.shown:
                bag.shown = bag.counter.value
                self.room.post(LuckyBagCount(bag_id=bag.bag_id, entries=bag.shown), Priority.NORMAL)

    def on_enter(self, m: Member, returning: bool) -> None:
        """The viewer's own part: whether they entered the open bag, or entered / won a recent draw."""
        if m.is_staff:
            return
        now = now_ms()
        for bag in self.open.values():
            self.room.spawn(self._tell_mine(m, bag.bag_id, None))
        for p, seen in self.drawn.values():
            if now - seen < RECENT_RESULT_MS:
                self.room.spawn(self._tell_mine(m, p.bag_id, any(w["id"] == m.user_id for w in p.winners)))

    async def _tell_mine(self, m: Member, bag_id: str, won: bool | None) -> None:
        bag = self.open.get(bag_id)
        try:
            joined = (bag is not None and m.user_id in bag.entrants) or await self.store.entered(
                self.room.info.id, m.user_id, bag_id
            )
        except Exception:
            log.exception("room %s: reading an entry failed", self.room.info.id)
            return
        m.send(wire.encode(LuckyBagMine(bag_id=bag_id, joined=joined or bool(won), won=won)))

    @follows(BagStarted)
    def _started(self, event: Event[BagStarted]) -> None:
        self._track(event.payload, event.user_id or "")

    @follows(BagClosed)
    def _closed(self, event: Event[BagClosed]) -> None:
        bag = self.open.get(event.payload.bag_id)
        if bag is not None:
            bag.until = min(bag.until, event.payload.at)

    @follows(BagDrawn)
    def _drawn(self, event: Event[BagDrawn]) -> None:
        self._seen_draw(event.payload, event.ts)  # a replayed old draw is not "recent"

    # --- start -------------------------------------------------------------------------------------

    @handles(LuckyBagStartIn)
    def start(self, m: Member, msg: LuckyBagStartIn) -> None:
        if not m.is_staff:
            m.send(wire.reject(msg.cid, ErrorCode.FORBIDDEN_ROLE, "只有主播、场控或运营可以发福袋"))
            return
        if msg.cid is not None and self.room.answer_known(m, msg.cid):
            return
        key = (m.user_id, msg.cid)
        if self._starting is not None and msg.cid is not None and self._starting[0] == key:
            self.room.spawn(self._answer_after(m, msg.cid, self._starting[1]))  # a re-send while starting
            return
        if self.open or self._starting is not None:
            m.send(wire.reject(msg.cid, LuckyBagCode.ALREADY_OPEN, TEXT[LuckyBagCode.ALREADY_OPEN]))
            return
        p = msg.prize
        prize = prize_of(self.room, p.kind, p.coupon_id if p.kind == "coupon" else p.product_id)
        if prize is None:
            m.send(wire.reject(msg.cid, LuckyBagCode.PRIZE, TEXT[LuckyBagCode.PRIZE]))
            return
        entry = entry_of(msg.entry)
        if entry["phrase"] is not None and not fold(entry["phrase"]):
            m.send(wire.reject(msg.cid, ErrorCode.BAD_MESSAGE, "口令不能为空"))
            return
        task = asyncio.ensure_future(self._start(m, msg, prize, entry))
        self._starting = (key, task)
        task.add_done_callback(lambda _t: setattr(self, "_starting", None))

    async def _answer_after(self, m: Member, cid: str, first: asyncio.Task[None]) -> None:
        await asyncio.wait([first])
        if not self.room.answer_known(m, cid):  # the first failed before it was recorded
            m.send(wire.reject(cid, ErrorCode.STORE_UNAVAILABLE, "暂时无法保存，请重试"))

    async def _start(self, m: Member, msg: LuckyBagStartIn, prize: Prize, entry: dict[str, Any]) -> None:
        room, now, seed = self.room, now_ms(), secrets.token_bytes(32)
        row = BagRow(bag_id_for(room.info.id, m.user_id, msg.cid), room.info.id, m.user_id, seed.hex(),
                     seed_hash(seed), msg.winners, now, now + msg.seconds * 1000)  # fmt: skip
        try:
            row = await self.store.create(row)  # the seed is stored before its hash is published
        except Exception:
            log.exception("room %s: storing a lucky bag failed", room.info.id)
            m.send(wire.reject(msg.cid, ErrorCode.STORE_UNAVAILABLE, "暂时无法保存，请重试"))
            return
        started = BagStarted(
            row.id, prize.plain(), entry, row.winners, row.opens_at, row.until, row.seed_hash, m.nickname
        )
        bag = self._track(started, m.user_id) if row.drawn_at is None else None  # refuse a 2nd start at once
        fut = room.record(m, msg.cid, room.event_for(m, started), card_of(started), Priority.HIGH)

        def failed(f: asyncio.Future[None]) -> None:
            if (
                (f.cancelled() or f.exception() is not None)
                and bag is not None
                and self.open.get(row.id) is bag
            ):
                del self.open[row.id]

        fut.add_done_callback(failed)

    # --- entries -----------------------------------------------------------------------------------

    def _refusal(self, m: Member, cid: str | None, bag_id: str, now: int) -> Bag | None:
        bag = self.open.get(bag_id)
        if bag is None:
            code = LuckyBagCode.CLOSED if bag_id in self.drawn else LuckyBagCode.UNKNOWN
        elif bag.drawing or bag.until <= now:
            code = LuckyBagCode.CLOSED
        else:
            return bag
        m.send(wire.reject(cid, code, TEXT[code]))
        return None

    @handles(LuckyBagJoinIn)
    def join(self, m: Member, msg: LuckyBagJoinIn) -> None:
        if self.room.answer_known(m, msg.cid):
            return
        bag = self._refusal(m, msg.cid, msg.bag_id, now_ms())
        if bag is None:
            return
        if m.is_staff:
            m.send(wire.reject(msg.cid, LuckyBagCode.STAFF, TEXT[LuckyBagCode.STAFF]))
            return
        answers.answer(self.room, m, msg.cid, lambda: self._join(m, bag))

    async def _join(self, m: Member, bag: Bag) -> dict[str, Any]:
        if m.user_id not in bag.entrants:  # (entered before: the same answer)
            refused = await self.conditions.refusal(m, bag.started.entry)
            if refused is not None:
                raise answers.Refused(LuckyBagCode.CONDITION, refused.pop("message"), **refused)
            await self._enter(m, m.user_id, m.nickname, bag, "join")
        return {"luckybag": {"bag_id": bag.bag_id, "joined": True}}

    async def _enter(self, m: Member | None, user_id: str, nickname: str, bag: Bag, via: str) -> None:
        """Record the entry once per user and bag (the log's once-key, whichever node is first)."""

        def count(_seq: int | None) -> None:
            bag.counter.add(1)  # on the node that committed it; the broker sums the nodes
            bag.entrants.add(user_id)

        event = self.room.event_for(m, BagEntered(bag.bag_id, nickname, via))
        event.user_id = user_id
        await self.room.record(m, None, event, None, Priority.NORMAL, after=count, once=entry_key(bag.bag_id))
        bag.entrants.add(user_id)  # committed now, or the log held it already

    @committed(CommentPosted)
    def _comment(self, event: Event[CommentPosted]) -> None:
        """A viewer's comment equal to an open bag's 口令 enters them (on the node that committed it)."""
        if event.user_id is not None and event.payload.role == "viewer":
            self._phrase(event.user_id, event.payload.text, event.payload.nickname)

    @committed(CommentHidden)
    def _hidden(self, event: Event[CommentHidden]) -> None:
        """A crowd sending the same 口令 is what moderation folds as a flood (or one viewer's repeat): the
        comment stays hidden from the room, and still enters its author. Other hidden comments do not."""
        if event.user_id is not None and event.payload.reason in ("flood", "repeat_spam"):
            self._phrase(event.user_id, event.payload.text, self.room.user_ref(event.user_id).nick)

    def _phrase(self, user_id: str, text: str, nickname: str) -> None:
        if not self.open:
            return
        folded, now = fold(text), now_ms()
        for bag in list(self.open.values()):
            if bag.phrase == folded and not bag.drawing and now < bag.until and user_id not in bag.entrants:
                self.room.spawn(self._phrase_entry(user_id, nickname, bag))

    async def _phrase_entry(self, user_id: str, nickname: str, bag: Bag) -> None:
        try:
            await self._enter(None, user_id, nickname, bag, "phrase")
        except Exception:
            log.exception("room %s: a 口令 entry failed", self.room.info.id)
            return
        self.room.to_user(user_id, LuckyBagMine(bag_id=bag.bag_id, joined=True))

    # --- the draw ----------------------------------------------------------------------------------

    @handles(LuckyBagDrawIn)
    def draw_now(self, m: Member, msg: LuckyBagDrawIn) -> None:
        """Staff: entries end now; the draw follows after the grace (like at the end of the countdown)."""
        if not m.is_staff:
            m.send(wire.reject(msg.cid, ErrorCode.FORBIDDEN_ROLE, "只有主播、场控或运营可以开奖"))
            return
        if msg.cid is not None and self.room.answer_known(m, msg.cid):
            return
        now = now_ms()
        bag = self._refusal(m, msg.cid, msg.bag_id, now)
        if bag is None:
            return
        bag.until = now  # this node stops entries at once; the others when they see `luckybag_closed`
        event = self.room.event_for(m, BagClosed(bag.bag_id, now, m.nickname))
        event.user_id = bag.starter
        message = LuckyBagClosed(bag_id=bag.bag_id, at=now)
        self.room.record(m, msg.cid, event, message, Priority.HIGH, once=f"luckybag-close:{bag.bag_id}")

    async def _draw(self, bag: Bag) -> None:
        try:
            if not await self.draws.draw(bag.started, bag.starter):
                self.open.pop(bag.bag_id, None)
        except Exception:
            log.exception("room %s: drawing lucky bag %s failed", self.room.info.id, bag.bag_id)
            bag.drawing = False  # the next tick tries again

    async def audit(self, bag_id: str) -> dict[str, Any] | None:
        """The bag's audit document (`Draws.audit`), or None when this room has no such bag."""
        return await self.draws.audit(bag_id)
