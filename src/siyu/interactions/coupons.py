"""Coupons as a room feature (issue 12): the staff push a drop, viewers claim, the database decides.

`coupon_push` (staff) makes a drop: a `coupon_batches` row, then the `coupon.pushed` event, which is the
sequenced `coupon_card` for the room or, with `to_user`, a personal card sent to that viewer only. `claim`
runs off the hot path (`room.spawn`) as one transaction in `store.CouponStore.claim`; the ack (with the
`grant`, or a coupon.* error code) comes after the commit. While a drop is live the tick posts
`coupon_left` when its count changed (at most once a second), from the room counter `coupon:<batch>`.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import Field
from sqlalchemy.exc import IntegrityError

from siyu.catalog import Coupon
from siyu.events import Event, new_id, now_ms, payload
from siyu.realtime import protocol as wire
from siyu.realtime.fanout import Priority
from siyu.realtime.protocol import Cid, ClientMessage, ErrorCode, RoomMessage, ServerMessage
from siyu.rooms import answers
from siyu.rooms.feature import Feature, follows, handles
from siyu.rooms.room import Counter, Member

from .fanclub import FanClub
from .orders.store import OrderStore
from .store import Batch, CouponStore, Grant, Refused

log = logging.getLogger(__name__)


class CouponCode:
    UNKNOWN = "coupon.unknown"
    SOLD_OUT = "coupon.sold_out"
    EXPIRED = "coupon.expired"
    LIMIT = "coupon.limit"
    CONDITION = "coupon.condition"


TEXT = {
    CouponCode.UNKNOWN: "没有这张券",
    CouponCode.SOLD_OUT: "券已抢光了",
    CouponCode.EXPIRED: "领券时间已过",
    CouponCode.LIMIT: "你已经领过这张券了",
    CouponCode.CONDITION: "暂不满足领取条件",
}
wire.ERROR_TEXT.update(TEXT)  # pages read every code's text from GET /api/protocol

FAN_CLUB = "粉丝团"  # 加入粉丝团: met by a member of the shop's fan club whose badge is lit
NEW_BUYER = "新客首单"  # 店铺新客首单: met by a viewer without an order in the shop


# --- events ------------------------------------------------------------------------------------------


@payload
@dataclass(frozen=True, slots=True)
class CouponPushed:
    TYPE: ClassVar[str] = "coupon.pushed"
    batch_id: str
    coupon_id: str
    quantity: int
    per_user: int
    opens_at: int
    closes_at: int
    to_user: str | None
    by: str


@payload
@dataclass(frozen=True, slots=True)
class CouponClaimed:
    TYPE: ClassVar[str] = "coupon.claimed"
    batch_id: str
    coupon_id: str
    grant_id: str
    n: int
    expires_at: int


# --- client messages -------------------------------------------------------------------------------


class CouponPushIn(ClientMessage):
    """Staff: drop `quantity` of catalog coupon `coupon_id` for `seconds` (to one viewer with `to_user`)."""

    type: Literal["coupon_push"]
    coupon_id: str = Field(min_length=1, max_length=64)
    quantity: int | None = Field(None, ge=1, le=100_000)
    seconds: int = Field(60, ge=10, le=3600)
    to_user: str | None = Field(None, min_length=1, max_length=64)
    cid: Cid | None = None


class ClaimIn(ClientMessage):
    type: Literal["claim"]
    batch_id: str = Field(min_length=1, max_length=64)
    cid: Cid


# --- server messages -------------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class CouponRef:
    """A coupon on the wire: what the card shows (`cap`: the most a 折扣 coupon takes off)."""

    id: str
    name: str
    type: str
    threshold: float
    amount: float | None
    rate: float | None
    cap: float | None
    applies_to: str | list[str]
    condition: str | None

    @classmethod
    def of(cls, c: Coupon) -> CouponRef:
        applies: str | list[str] = "all" if c.applies_to is None else list(c.applies_to)
        return cls(c.id, c.name, c.type, c.threshold, c.amount, c.rate, c.max_discount, applies, c.condition)


@dataclass(slots=True, kw_only=True)
class CouponCard(RoomMessage):
    """A drop for the whole room (sequenced)."""

    type: Literal["coupon_card"] = "coupon_card"
    batch_id: str
    coupon: CouponRef
    quantity: int
    left: int
    until: int


@dataclass(slots=True, kw_only=True)
class PersonalCouponCard(ServerMessage):
    """A drop for one viewer: the countdown starts when it is shown (`countdown_s`)."""

    type: Literal["coupon_card"] = "coupon_card"
    batch_id: str
    coupon: CouponRef
    quantity: int
    left: int
    until: int
    countdown_s: int
    personal: bool = True


@dataclass(slots=True, kw_only=True)
class CouponLeft(ServerMessage):
    """How many of a live room drop are left (unsequenced, at most once a second)."""

    type: Literal["coupon_left"] = "coupon_left"
    batch_id: str
    left: int


@dataclass(slots=True)
class Drop:
    """A live room drop as this node knows it; `claimed.value` is the room-wide count."""

    pushed: CouponPushed
    coupon: CouponRef
    claimed: Counter
    shown: int | None = field(default=None)

    @property
    def left(self) -> int:
        return max(0, self.pushed.quantity - self.claimed.value)


def batch_id_for(room_id: str, user_id: str, cid: str | None) -> str:
    """The drop's id: from the pusher's cid (a re-sent push finds its first row), else random."""
    if cid is None:
        return new_id()
    return hashlib.sha256(f"{room_id}\x00{user_id}\x00{cid}".encode()).hexdigest()[:32]


def grant_ack(cid: str, grant: Grant) -> bytes:
    return wire.encode({"type": "ack", "cid": cid, "grant": grant.wire()})


class Coupons(Feature):
    name = "coupons"

    def __init__(self, room: Any) -> None:
        super().__init__(room)
        self.store = CouponStore(room.service.db)
        self.store.committed = room.deps.bus.publish
        self.drops: dict[str, Drop] = {}

    def coupon(self, coupon_id: str) -> Coupon | None:
        catalog = self.room.catalog
        if catalog is None:
            return None
        return next((c for c in catalog.coupons if c.id == coupon_id), None)

    async def load(self) -> None:
        """Live drops and their claimed counts from the log; the claims' grants into the ack memory."""
        live, claims = await self.store.room_log(self.room.info.id, now_ms())
        counts: dict[str, int] = {}
        for user_id, cid, p in claims:
            counts[p["batch_id"]] = counts.get(p["batch_id"], 0) + 1
            if cid is not None and user_id is not None:
                grant = Grant(p["grant_id"], p["coupon_id"], int(p["expires_at"]), int(p["n"]))
                self.room.acks.settle((user_id, cid), grant_ack(cid, grant))  # not the bare ack it learned
        for p in live:
            pushed = CouponPushed(**p)
            drop = self._track(pushed)
            if drop is not None:
                await self.room.seed(drop.claimed, counts.get(pushed.batch_id, 0))

    def _track(self, pushed: CouponPushed) -> Drop | None:
        coupon = self.coupon(pushed.coupon_id)
        if pushed.to_user is not None or coupon is None:
            return None
        drop = self.drops.get(pushed.batch_id)
        if drop is None:
            counter = self.room.counter(f"coupon:{pushed.batch_id}", per_session=False)
            drop = self.drops[pushed.batch_id] = Drop(pushed, CouponRef.of(coupon), counter)
        return drop

    def state(self) -> dict[str, Any]:
        """The live room drops (what does not change while they run: `coupon_left` brings the count)."""
        now = now_ms()
        return {
            "coupons": [
                {"batch_id": d.pushed.batch_id, "coupon": d.coupon, "quantity": d.pushed.quantity,
                 "until": d.pushed.closes_at}
                for d in self.drops.values() if d.pushed.closes_at > now
            ]
        }  # fmt: skip

    def on_enter(self, m: Member, returning: bool) -> None:
        """A viewer who enters during a drop gets its left count at once (`coupon_left` only says changes)."""
        now = now_ms()
        for batch_id, drop in self.drops.items():
            if drop.pushed.closes_at > now:
                m.send(wire.encode(CouponLeft(batch_id=batch_id, left=drop.left)))

    def tick(self, now_ms: int) -> None:
        for batch_id, drop in list(self.drops.items()):
            if drop.pushed.closes_at <= now_ms:
                del self.drops[batch_id]
                continue
            left = drop.left
            if left != drop.shown:
                drop.shown = left
                self.room.post(CouponLeft(batch_id=batch_id, left=left), Priority.NORMAL)

    @follows(CouponPushed)
    def _pushed(self, event: Event[CouponPushed]) -> None:
        drop = self._track(event.payload)
        if drop is not None and drop.shown is None:
            drop.shown = event.payload.quantity  # the card said so

    # --- push ------------------------------------------------------------------------------------

    @handles(CouponPushIn)
    def push(self, m: Member, msg: CouponPushIn) -> None:
        if not m.is_staff:
            m.send(wire.reject(msg.cid, ErrorCode.FORBIDDEN_ROLE, "只有主播、场控或运营可以发券"))
            return
        coupon = self.coupon(msg.coupon_id)
        if coupon is None:
            m.send(wire.reject(msg.cid, CouponCode.UNKNOWN, f"店铺没有这张券: {msg.coupon_id}"))
            return
        if msg.cid is not None and self.room.answer_known(m, msg.cid):
            return
        self.room.spawn(self._push(m, msg, coupon))

    async def _push(self, m: Member, msg: CouponPushIn, coupon: Coupon) -> None:
        room = self.room
        opens = now_ms()
        personal = msg.to_user is not None
        quantity = msg.quantity or ((coupon.per_user_limit or 1) if personal else (coupon.total or 100))
        batch = Batch(
            id=batch_id_for(room.info.id, m.user_id, msg.cid), room_id=room.info.id, coupon_id=coupon.id,
            quantity=quantity, claimed=0, per_user=coupon.per_user_limit or 1, opens_at=opens,
            closes_at=opens + msg.seconds * 1000, to_user=msg.to_user,
        )  # fmt: skip
        try:
            await self.store.create_batch(batch)
        except Exception:
            log.exception("room %s: creating a coupon drop failed", room.info.id)
            m.send(wire.reject(msg.cid, ErrorCode.STORE_UNAVAILABLE, "暂时无法保存，请重试"))
            return
        pushed = CouponPushed(batch.id, coupon.id, quantity, batch.per_user, opens, batch.closes_at,
                              msg.to_user, m.nickname)  # fmt: skip
        ref = CouponRef.of(coupon)
        event = room.event_for(m, pushed)
        if msg.to_user is None:
            card = CouponCard(
                batch_id=batch.id, coupon=ref, quantity=quantity, left=quantity, until=batch.closes_at
            )
            fut = room.record(m, msg.cid, event, card, Priority.HIGH)
        else:
            to_user = msg.to_user
            personal_card = PersonalCouponCard(
                batch_id=batch.id, coupon=ref, quantity=quantity, left=quantity, until=batch.closes_at,
                countdown_s=msg.seconds,
            )  # fmt: skip

            def deliver(_seq: int | None) -> None:
                room.to_user(to_user, personal_card)

            fut = room.record(m, msg.cid, event, None, after=deliver)
        try:
            await fut
        except Exception:  # not committed: nobody saw the card, so nobody may claim from the row
            await self.store.close_batch(batch.id, opens)

    # --- claim -----------------------------------------------------------------------------------

    @handles(ClaimIn)
    def claim(self, m: Member, msg: ClaimIn) -> None:
        answers.answer(self.room, m, msg.cid, lambda: self._claim(m, msg))

    async def _claim(self, m: Member, msg: ClaimIn) -> dict[str, Any]:
        try:
            grant = await self.decide(m, msg)
        except Refused as no:
            raise answers.Refused(no.code, TEXT[no.code]) from None
        return {"grant": grant.wire()}  # the ack grant_ack makes (load's answers for the log's claims)

    async def meets(self, m: Member, condition: str) -> bool:
        """A coupon's condition: 粉丝团 (an active member of the shop's club, as the database says now);
        新客首单 (no order in the shop yet, in the room or from the shop system); anything else cannot be
        checked (not met)."""
        if FAN_CLUB in condition:
            club = self.room.find(FanClub)
            return club is not None and await club.is_active_member(m.user_id)
        if NEW_BUYER in condition:
            return not await OrderStore(self.room.service.db).has_ordered(self.room.info.shop_id, m.user_id)
        return False

    async def decide(self, m: Member, msg: ClaimIn) -> Grant:
        """The claim's answer: the held grant of this cid, a new grant, or Refused."""
        room, store = self.room, self.store
        batch = await store.get_batch(msg.batch_id)
        if batch is None or batch.room_id != room.info.id or batch.to_user not in (None, m.user_id):
            raise Refused(CouponCode.UNKNOWN)
        coupon = self.coupon(batch.coupon_id)
        if coupon is None:
            raise Refused(CouponCode.UNKNOWN)
        if coupon.condition is not None and not await self.meets(m, coupon.condition):
            raise Refused(CouponCode.CONDITION)
        now = now_ms()
        expires = now + (coupon.valid_minutes or 30) * 60_000

        def claimed(grant: Grant) -> Event[Any]:
            body = CouponClaimed(batch.id, coupon.id, grant.grant_id, grant.n, grant.expires_at)
            event = room.event_for(m, body)
            event.cid = msg.cid
            return event

        try:
            grant = await store.claim(batch, m.user_id, now, expires, claimed)
        except (IntegrityError, Refused) as exc:
            # A cid granted before (another node, a restart, or the same instant) comes back here: the
            # claim hit the log's (room, user, cid) key, or found the user's limit reached or the drop
            # over. Its answer is that grant. A user who holds no grant of the drop has none to get back.
            if isinstance(exc, Refused) and exc.holds == 0:
                raise
            held = await store.held_grant(room.info.id, m.user_id, msg.cid)
            if held is None:
                raise
            return held
        drop = self.drops.get(batch.id)
        if drop is not None:
            drop.claimed.add(1)
        return grant
