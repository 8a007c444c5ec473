"""Prizes: what a bag offers (from the shop's catalog and the room's products) and giving them to winners.

A coupon prize is granted for real through the coupon store: a personal drop of one for the winner and its
claim, so the grant is in the winner's wallet (`coupon_grants`) with its `coupon.claimed` event. Every step
is idempotent (the drop's id and the claim's cid derive from the bag and the winner; `luckybag.won` is kept
once per winner by the log's once-key), so a node that retries after a crash, or two nodes at once, give
each winner one prize.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from siyu.catalog import Coupon, money
from siyu.events import now_ms
from siyu.realtime.fanout import Priority

from ..coupons import Coupons
from ..grants import give_coupon
from ..store import CouponStore, Grant
from .model import BagWon, LuckyBagWon, Prize
from .store import BagRow, BagStore

if TYPE_CHECKING:
    from siyu.rooms.room import Room

log = logging.getLogger(__name__)


def coupon_text(c: Coupon) -> str:
    if c.type == "折扣" and c.rate is not None:
        return f"{money(c.rate * 10)}折"
    amount = money(c.amount or 0)
    return f"满{money(c.threshold)}减{amount}" if c.threshold else f"立减{amount}元"


def find_coupon(room: Room, coupon_id: str) -> Coupon | None:
    catalog = room.catalog
    if catalog is None:
        return None
    return next((c for c in catalog.coupons if c.id == coupon_id), None)


def prize_of(room: Room, kind: str, item_id: str) -> Prize | None:
    """The prize as the bag shows it, or None when the shop has no such coupon / the room no such product."""
    if kind == "coupon":
        c = find_coupon(room, item_id)
        return None if c is None else Prize("coupon", c.id, c.name, coupon_text(c))
    card = room.products.get(item_id)
    if card is None:
        return None
    name = str(card.get("short_name") or card.get("name") or item_id)
    return Prize("product", item_id, name, f"直播价¥{money(float(card.get('live_price') or 0))}")


class Awards:
    def __init__(self, room: Room, store: BagStore) -> None:
        self.room = room
        self.store = store
        coupons = room.find(Coupons)
        self.coupons = coupons.store if coupons is not None else CouponStore(room.service.db)
        self.coupons.committed = room.deps.bus.publish

    async def give(self, row: BagRow, prize: Prize, winners: list[str]) -> None:
        """Each winner's prize (a coupon granted, a product recorded) and `luckybag.won`, then the row is
        marked awarded. Raises when a step failed (the next load of the room tries again)."""
        for user_id in winners:
            grant = await self._grant(row, prize, user_id) if prize.kind == "coupon" else None
            body = BagWon(row.id, prize.plain(), None if grant is None else grant.wire())
            event = self.room.event_for(None, body)
            event.user_id = user_id
            message = LuckyBagWon(bag_id=row.id, prize=prize, grant=body.grant)

            def tell(_seq: int | None, user_id: str = user_id, message: LuckyBagWon = message) -> None:
                self.room.to_user(user_id, message)

            once = f"luckybag-won:{row.id}"
            await self.room.record(None, None, event, None, Priority.HIGH, after=tell, once=once)
        await self.store.awarded(row.id, now_ms())

    async def _grant(self, row: BagRow, prize: Prize, user_id: str) -> Grant | None:
        coupon = find_coupon(self.room, prize.id)
        if coupon is None:  # the catalog lost it since the start: the win is recorded, without a grant
            log.warning("room %s: bag %s prize coupon %s is gone", self.room.info.id, row.id, prize.id)
            return None
        return await give_coupon(self.room, self.coupons, coupon, user_id, f"luckybag-prize:{row.id}")
