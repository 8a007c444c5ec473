"""Orders as a room feature (issue 12): checkout in the room, flash sales, the wallet, shop orders.

`order` prices the lines from the room's catalog (a flash sale's price for its product), applies the
viewer's best coupon (or the one they chose) with the catalog's coupon maths, and commits the order in one
transaction (`store.OrderStore.place`: stock, flash units, coupon). After the commit the node writes the
`order.placed` event with the sequenced `purchase` line, and each line's `stock.changed` with its `stock`
message; the ack carries the order. A re-sent cid finds its order by id (derived from the cid) on any node,
after any restart. `quote` and `wallet` answer in their ack and change nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import orjson

from siyu.catalog import Catalog, sku_key
from siyu.catalog.checkout import CouponNotApplicable, Held, Line, Quote, cents, quote
from siyu.events import Context, Event, new_id, now_ms
from siyu.realtime import protocol as wire
from siyu.realtime.fanout import Priority
from siyu.realtime.protocol import ErrorCode
from siyu.rooms import answers
from siyu.rooms.feature import Feature, committed, follows, handles
from siyu.rooms.features import Products
from siyu.rooms.room import Counter, Member
from siyu.rooms.services import stock_moved
from siyu.store.stock import Level

from ..fanclub import FanClub
from .messages import (
    TEXT,
    FlashCard,
    FlashLeft,
    FlashPushed,
    FlashPushIn,
    ItemIn,
    OrderCode,
    OrderIn,
    OrderPlaced,
    Purchase,
    QuoteIn,
    WalletIn,
)  # fmt: skip
from .store import Flash, OrderRow, OrderStore, Refused

log = logging.getLogger(__name__)


def order_id_for(*parts: str) -> str:
    """An order's id from what makes it unique (room, user, cid; or shop, shop order id)."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def masked(nickname: str) -> str:
    """How the room's purchase line names a buyer: 小美 -> 小**."""
    return (nickname[:1] or "有") + "**"


def quote_wire(q: Quote) -> dict[str, Any]:
    held = q.coupon
    return {
        "lines": [{"product_id": line.product.id, "color": line.color, "size": line.size, "qty": line.qty,
                   "price": line.price_cents / 100} for line in q.lines],
        "subtotal": q.subtotal_cents / 100, "discount": q.discount_cents / 100, "total": q.total_cents / 100,
        "coupon": None if held is None else {"grant_id": held.grant_id, "coupon_id": held.coupon.id,
                                             "name": held.coupon.name},
    }  # fmt: skip


def lines_of(catalog: Catalog | None, items: list[ItemIn], flash: Flash | None) -> list[Line]:
    """The order's lines at the price they sell for; Refused for an unknown product or SKU."""
    if catalog is None:
        raise Refused(OrderCode.NO_CATALOG)
    if flash is not None and (len(items) != 1 or items[0].product_id != flash.product_id):
        raise Refused(OrderCode.FLASH_MISMATCH)
    out = []
    for i, it in enumerate(items):
        product = catalog.get(it.product_id)
        if product is None:
            raise Refused(OrderCode.UNKNOWN_PRODUCT, line=i, product_id=it.product_id)
        if sku_key(it.color, it.size) not in product.stock:
            raise Refused(OrderCode.UNKNOWN_SKU, line=i, product_id=it.product_id)
        price = flash.price_cents if flash is not None else cents(product.live_price)
        out.append(Line(product, it.color, it.size, it.qty, price, coupon_ok=flash is None))
    return out


@dataclass(slots=True)
class LiveFlash:
    flash: Flash
    sold: Counter
    shown: int | None = None

    @property
    def left(self) -> int:
        return max(0, self.flash.quantity - self.sold.value)


class Orders(Feature):
    name = "orders"
    rates = {"order": lambda limits: limits.order_rate}

    def __init__(self, room: Any) -> None:
        super().__init__(room)
        self.store = OrderStore(room.service.db)
        self.flashes: dict[str, LiveFlash] = {}
        self._relay_due = True
        self._loaded_at = now_ms()
        self._logged: list[str] = []  # relayed orders whose `logged` flag is not set yet

    async def load(self) -> None:
        for flash in await self.store.live_flashes(self.room.info.id, now_ms()):
            live = self._track(flash)
            await self.room.seed(live.sold, flash.sold)

    def _track(self, flash: Flash) -> LiveFlash:
        live = self.flashes.get(flash.id)
        if live is None:
            counter = self.room.counter(f"flash:{flash.id}", per_session=False)
            live = self.flashes[flash.id] = LiveFlash(flash, counter)
        return live

    def state(self) -> dict[str, Any]:
        now = now_ms()
        live = [v for v in self.flashes.values() if v.flash.closes_at > now]
        cards = [wire.encode(self._card(v.flash, v.left)) for v in live]
        plain = [{k: v for k, v in orjson.loads(c).items() if k not in ("seq", "ts")} for c in cards]
        return {"flash": plain}

    def _card(self, f: Flash, left: int) -> FlashCard:
        product = self.room.products.get(f.product_id) or {"id": f.product_id}
        return FlashCard(flash_id=f.id, product=product, price=f.price_cents / 100, quantity=f.quantity,
                         left=left, per_user=f.per_user, until=f.closes_at)  # fmt: skip

    def tick(self, now_ms: int) -> None:
        if self._logged:  # a crash before this only costs a relay that logs nothing twice
            done, self._logged = self._logged, []
            self.room.spawn(self.store.mark_logged(*done))
        if self._relay_due:  # orders a dead node committed but never logged (the outbox)
            self._relay_due = False
            self.room.spawn(self._relay_unlogged())
        for flash_id, live in list(self.flashes.items()):
            if live.flash.closes_at <= now_ms:
                del self.flashes[flash_id]
            elif live.left != live.shown:
                live.shown = live.left
                self.room.post(FlashLeft(flash_id=flash_id, left=live.left), Priority.NORMAL)

    async def stop(self) -> None:
        done, self._logged = self._logged, []
        await self.store.mark_logged(*done)

    @committed(OrderPlaced)
    def _purchase_xp(self, event: Event[OrderPlaced]) -> None:
        """Fan-club XP for the buyer, once per order (on the node that committed its event)."""
        club = self.room.find(FanClub)
        if club is not None and event.user_id is not None:
            club.award(event.user_id, "purchase", event.payload.total_cents // 100)

    @follows(FlashPushed)
    def _pushed(self, event: Event[FlashPushed]) -> None:
        p = event.payload
        flash = Flash(p.flash_id, self.room.info.id, p.product_id, p.price_cents, p.quantity, 0, p.per_user,
                      p.opens_at, p.until)  # fmt: skip
        live = self._track(flash)
        if live.shown is None:
            live.shown = p.quantity

    # --- flash sales -----------------------------------------------------------------------------

    @handles(FlashPushIn)
    def flash_push(self, m: Member, msg: FlashPushIn) -> None:
        if not m.is_staff:
            m.send(wire.reject(msg.cid, ErrorCode.FORBIDDEN_ROLE, "只有主播、场控或运营可以发起秒杀"))
            return
        catalog = self.room.catalog
        if catalog is None or catalog.get(msg.product_id) is None:
            m.send(wire.reject(msg.cid, OrderCode.UNKNOWN_PRODUCT, f"没有这个商品: {msg.product_id}"))
            return
        if msg.cid is not None and self.room.answer_known(m, msg.cid):
            return
        self.room.spawn(self._flash(m, msg))

    async def _flash(self, m: Member, msg: FlashPushIn) -> None:
        room, opens = self.room, now_ms()
        fid = order_id_for(room.info.id, m.user_id, msg.cid) if msg.cid is not None else new_id()
        flash = Flash(fid, room.info.id, msg.product_id, cents(msg.price), msg.quantity, 0, msg.per_user,
                      opens, opens + msg.seconds * 1000)  # fmt: skip
        try:
            await self.store.create_flash(flash)
        except Exception:
            log.exception("room %s: creating a flash sale failed", room.info.id)
            m.send(wire.reject(msg.cid, ErrorCode.STORE_UNAVAILABLE, "暂时无法保存，请重试"))
            return
        pushed = FlashPushed(fid, msg.product_id, flash.price_cents, msg.quantity, msg.per_user, opens,
                             flash.closes_at, m.nickname)  # fmt: skip
        try:
            await room.record(m, msg.cid, room.event_for(m, pushed), self._card(flash, msg.quantity))
        except Exception:  # not committed: nobody saw the card, so nobody may buy from the row
            await self.store.close_flash(fid, opens)

    # --- wallet and quote ------------------------------------------------------------------------

    async def wallet(self, user_id: str) -> list[Held]:
        catalog = self.room.catalog
        if catalog is None:
            return []
        by_id = {c.id: c for c in catalog.coupons}
        rows = await self.store.wallet(self.room.info.shop_id, user_id, now_ms())
        return [Held(g, by_id[c], e) for g, c, e in rows if c in by_id]

    @handles(WalletIn, rate="order")
    def wallet_in(self, m: Member, msg: WalletIn) -> None:
        async def answer() -> None:
            try:
                held = await self.wallet(m.user_id)
            except Exception:
                log.exception("room %s: wallet failed", self.room.info.id)
                m.send(wire.ack_error(msg.cid, ErrorCode.STORE_UNAVAILABLE, "暂时无法读取，请重试"))
                return
            items = [{"grant_id": h.grant_id, "coupon_id": h.coupon.id, "name": h.coupon.name,
                      "type": h.coupon.type, "threshold": h.coupon.threshold, "amount": h.coupon.amount,
                      "rate": h.coupon.rate, "expires_at": h.expires_at} for h in held]  # fmt: skip
            m.send(wire.encode({"type": "ack", "cid": msg.cid, "wallet": items}))

        self.room.spawn(answer())

    @handles(QuoteIn, rate="order")
    def quote_in(self, m: Member, msg: QuoteIn) -> None:
        async def answer() -> None:
            try:
                flash = await self._flash_for(msg.flash_id)
                lines = lines_of(self.room.catalog, msg.items, flash)
                held = [] if flash is not None or msg.coupon == "none" else await self.wallet(m.user_id)
                try:
                    q = quote(lines, held, msg.coupon)
                except CouponNotApplicable:
                    raise Refused(OrderCode.COUPON_NOT_APPLICABLE) from None
            except Refused as no:
                m.send(wire.ack_error(msg.cid, no.code, TEXT[no.code], **no.detail))
                return
            except Exception:
                log.exception("room %s: quote failed", self.room.info.id)
                m.send(wire.ack_error(msg.cid, ErrorCode.STORE_UNAVAILABLE, "暂时无法读取，请重试"))
                return
            m.send(wire.encode({"type": "ack", "cid": msg.cid, "quote": quote_wire(q)}))

        self.room.spawn(answer())

    async def _flash_for(self, flash_id: str | None) -> Flash | None:
        if flash_id is None:
            return None
        live = self.flashes.get(flash_id)
        flash = live.flash if live is not None else await self.store.get_flash(flash_id)
        if flash is None or flash.room_id != self.room.info.id or flash.closes_at <= now_ms():
            raise Refused(OrderCode.FLASH_CLOSED)
        return flash

    # --- orders ----------------------------------------------------------------------------------

    @handles(OrderIn, rate="order")
    def order(self, m: Member, msg: OrderIn) -> None:
        answers.answer(self.room, m, msg.cid, lambda: self._order(m, msg))

    async def _order(self, m: Member, msg: OrderIn) -> dict[str, Any]:
        try:
            placed = await self.place(m, msg)
        except Refused as no:
            raise answers.Refused(no.code, TEXT[no.code], **no.detail) from None
        return {"order": placed.wire()}

    async def place(self, m: Member, msg: OrderIn) -> OrderRow:
        room = self.room
        oid = order_id_for(room.info.id, m.user_id, msg.cid)
        first = await self.store.get(oid)
        if first is not None:  # placed before (another node, before a restart): its answer
            if not first.logged:
                await self.relay(first)
            return first
        flash = await self._flash_for(msg.flash_id)
        lines = lines_of(room.catalog, msg.items, flash)
        self._enough(lines)
        held = [] if flash is not None or msg.coupon == "none" else await self.wallet(m.user_id)
        try:
            q = quote(lines, held, msg.coupon)
        except CouponNotApplicable:
            raise Refused(OrderCode.COUPON_NOT_APPLICABLE) from None
        via = f"flash:{flash.id}"[:64] if flash is not None else msg.via
        order = self.order_row(oid, q, m.user_id, "room", None, via, flash, m.nickname)
        try:
            placed, new = await self.store.place(order, now_ms(), check=lambda: self._enough(lines))
        except Refused as no:
            if no.code == OrderCode.OUT_OF_STOCK and "version" in no.detail:  # learn the count it found
                line = lines[int(no.detail["line"])]
                level = Level(int(no.detail.pop("left")), int(no.detail.pop("version")))
                self.room.feature(Products).learn(line.product.id, line.color, line.size, level)
            raise
        if new and flash is not None and flash.id in self.flashes:
            self.flashes[flash.id].sold.add(order.flash_qty)
        await self.relay(placed, m.nickname)
        return placed

    def _enough(self, lines: list[Line]) -> None:
        """Refuse an order this node knows cannot be served, without a transaction (the count it holds is
        the database's as of its newest change; a refusal here is what the database would say, unless a
        restock committed on another node has not reached this one yet)."""
        for i, line in enumerate(lines):
            if line.product.stock.get(sku_key(line.color, line.size), 0) < line.qty:
                raise Refused(OrderCode.OUT_OF_STOCK, line=i, product_id=line.product.id, color=line.color,
                              size=line.size)  # fmt: skip

    def order_row(self, oid: str, q: Quote, user_id: str | None, source: str, external_id: str | None,
                  via: str | None, flash: Flash | None, nickname: str) -> OrderRow:  # fmt: skip
        room = self.room
        items = [{"product_id": line.product.id, "color": line.color, "size": line.size, "qty": line.qty,
                  "price_cents": line.price_cents, "nickname": nickname} for line in q.lines]  # fmt: skip
        return OrderRow(
            id=oid, shop_id=room.info.shop_id, room_id=room.info.id,
            session_id=room.session.id if room.session else None, user_id=user_id, source=source,
            external_id=external_id, items=items, subtotal_cents=q.subtotal_cents,
            discount_cents=q.discount_cents, total_cents=q.total_cents,
            coupon_id=q.coupon.coupon.id if q.coupon else None,
            grant_id=q.coupon.grant_id if q.coupon else None,
            flash_id=flash.id if flash else None, flash_qty=sum(line.qty for line in q.lines) if flash else 0,
            via=via, status="placed", created_at=now_ms(),
        )  # fmt: skip

    async def relay(self, order: OrderRow, nickname: str | None = None) -> None:
        """The order's events (the outbox relay): `order.placed` with the room's `purchase` line, then each
        line's stock change. Each has a cid derived from the order, so relaying twice logs them once."""
        room = self.room
        if order.user_id is None and await self.store.has_event(room.info.id, f"o:{order.id}"):
            await self.store.mark_logged(order.id)  # logged before (no user: the log's cid key cannot tell)
            return
        nick = nickname or (order.items[0].get("nickname") if order.items else None) or "有人"
        keys = ("product_id", "color", "size", "qty", "price_cents")
        items = [{k: i[k] for k in keys} for i in order.items]
        placed = OrderPlaced(order.id, order.source, items, order.subtotal_cents, order.discount_cents,
                             order.total_cents, order.coupon_id, order.grant_id, order.flash_id, order.via,
                             order.external_id, nick)  # fmt: skip
        event = Event(room_id=room.info.id, user_id=order.user_id, payload=placed,
                      session_id=order.session_id, context=Context(actor=order.user_id))  # fmt: skip
        event.cid = f"o:{order.id}"
        short = {pid: c.get("short_name") or c.get("name") for pid, c in room.products.items()}
        lines = [{"product_id": i["product_id"], "short_name": short.get(i["product_id"], ""),
                  "qty": i["qty"]} for i in order.items]  # fmt: skip
        purchase = Purchase(nickname=masked(nick), items=lines)
        writes: list[Awaitable[Any]] = [room.record(None, None, event, purchase, Priority.LOW)]
        for n, i in enumerate(order.items):  # appended in order: one group commit for the order's events
            if "version" in i:
                level = Level(int(i["left"]), int(i["version"]))
                writes.append(stock_moved(room, i["product_id"], i["color"], i["size"], level, "order",
                                          delta=-i["qty"], actor=order.user_id, buyer=order.user_id,
                                          cid=f"o:{order.id}:{n}"))  # fmt: skip
        await asyncio.gather(*writes)
        self._logged.append(order.id)  # the flag is set for the orders of a tick at once (see tick)

    async def _relay_unlogged(self) -> None:
        try:
            for order in await self.store.unlogged(self.room.info.id):
                if order.created_at < self._loaded_at:  # later ones are being placed by a live node
                    await self.relay(order)
        except Exception:
            log.exception("room %s: relaying unlogged orders failed", self.room.info.id)
