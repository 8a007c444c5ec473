"""Orders in the database: the database decides, across nodes (docs/architecture.md, "Orders").

An order is ONE transaction: insert the order row (its id is derived from the buyer's cid or the shop's
order id, so a re-sent order finds the first), take each line's stock with a conditional UPDATE
(count >= qty), take a flash sale's units (sold + qty <= quantity, per-user limit counted under that
lock), redeem the coupon grant (`order_id IS NULL`). Any refusal rolls all of it back.

The `order.placed` event is written after the commit by the node that placed it (room.record: sequenced,
followed on every node); the row's `logged` flag is the outbox: a node that loads the room relays the
orders whose event a dead node never wrote.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from siyu.catalog.sizes import sku_key
from siyu.store import stock
from siyu.store.db import Database
from siyu.store.tables import coupon_batches, coupon_grants, events, flash_sales, orders, rooms

__all__ = ["Flash", "OrderRow", "OrderStore", "Refused"]


class Refused(Exception):
    """An order refused; `code` is one of the order.* codes, `detail` says which line."""

    def __init__(self, code: str, **detail: Any) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Flash:
    id: str
    room_id: str
    product_id: str
    price_cents: int
    quantity: int
    sold: int
    per_user: int
    opens_at: int
    closes_at: int


@dataclass(slots=True)
class OrderRow:
    id: str
    shop_id: str
    room_id: str | None
    session_id: str | None
    user_id: str | None
    source: str  # room / shop
    external_id: str | None
    items: list[dict[str, Any]]  # product_id, color, size, qty, price_cents (+ left, version once placed)
    subtotal_cents: int
    discount_cents: int
    total_cents: int
    coupon_id: str | None
    grant_id: str | None
    flash_id: str | None
    flash_qty: int
    via: str | None
    status: str
    created_at: int
    logged: bool = False

    def wire(self) -> dict[str, Any]:
        """The order as its buyer (or the shop) sees it."""
        return {
            "order_id": self.id, "source": self.source, "external_id": self.external_id,
            "items": [{k: i[k] for k in ("product_id", "color", "size", "qty")}
                      | {"price": i["price_cents"] / 100} for i in self.items],
            "subtotal": self.subtotal_cents / 100, "discount": self.discount_cents / 100,
            "total": self.total_cents / 100, "coupon_id": self.coupon_id, "grant_id": self.grant_id,
            "flash_id": self.flash_id, "via": self.via, "status": self.status, "created_at": self.created_at,
        }  # fmt: skip


_ORDER_COLS = tuple(OrderRow.__dataclass_fields__)


def _order(row: Any) -> OrderRow:
    return OrderRow(**{k: row[k] for k in _ORDER_COLS})


class OrderStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        # orders of one SKU are serial in the database anyway (its row lock, SQLite's write lock): a node
        # keeps a few order transactions open at once and the crowd waits here, not on pool connections
        self._gate = asyncio.Semaphore(1 if db.is_sqlite else 4)

    async def get(self, order_id: str) -> OrderRow | None:
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(select(orders).where(orders.c.id == order_id))).mappings().first()
        return None if row is None else _order(row)

    async def place(
        self, order: OrderRow, grant_expiry_from: int, check: Callable[[], None] | None = None
    ) -> tuple[OrderRow, bool]:
        """Commit `order` (stock, flash units, coupon) in one transaction: (the order, True), or the order
        placed before under the same id (the first, False). Raises Refused. `check` runs once this order's
        turn came (the crowd waits for the gate): it may refuse from what the orders before it taught."""
        try:
            async with self._gate:
                if check is not None:
                    check()
                async with self._db.engine.begin() as conn:
                    await self._place(conn, order, grant_expiry_from)
            return order, True
        except IntegrityError:
            first = await self.get(order.id)
            if first is None:  # the shop's order id under another internal id cannot happen; be loud
                raise
            return first, False

    async def _place(self, conn: Any, order: OrderRow, now: int) -> None:
        await conn.execute(insert(orders).values(**asdict(order)))  # a second placement stops here
        if order.flash_id is not None:
            await self._take_flash(conn, order, now)
        for i, item in enumerate(order.items):
            sku = sku_key(item["color"], item["size"])
            level = await stock.take(conn, order.shop_id, item["product_id"], sku, item["qty"])
            if level is None:
                now_at = await stock.level(conn, order.shop_id, item["product_id"], sku)
                raise Refused("order.out_of_stock", line=i, product_id=item["product_id"],
                              color=item["color"], size=item["size"], left=now_at.count,
                              version=now_at.version)  # fmt: skip
            item["left"], item["version"] = level.count, level.version
        if order.grant_id is not None:
            g = coupon_grants.c
            use = (
                update(coupon_grants)
                .where(g.id == order.grant_id, g.user_id == order.user_id, g.order_id.is_(None),
                       or_(g.expires_at.is_(None), g.expires_at > now))  # fmt: skip
                .values(order_id=order.id)
            )
            if (await conn.execute(use)).rowcount != 1:
                raise Refused("order.coupon_unavailable", grant_id=order.grant_id)
        await conn.execute(update(orders).where(orders.c.id == order.id).values(items=order.items))

    async def _take_flash(self, conn: Any, order: OrderRow, now: int) -> None:
        f = flash_sales.c
        take = (
            update(flash_sales)
            .where(f.id == order.flash_id, f.sold + order.flash_qty <= f.quantity, f.opens_at <= now,
                   f.closes_at > now)  # fmt: skip
            .values(sold=f.sold + order.flash_qty)
        )
        if (await conn.execute(take)).rowcount != 1:
            row = (await conn.execute(select(f.closes_at).where(f.id == order.flash_id))).first()
            raise Refused("order.flash_closed" if row is None or row[0] <= now else "order.flash_sold_out")
        per_user = await conn.scalar(select(f.per_user).where(f.id == order.flash_id))
        o = orders.c
        bought = select(func.coalesce(func.sum(o.flash_qty), 0)).where(
            o.flash_id == order.flash_id, o.user_id == order.user_id
        )  # this order included: it was inserted first
        if int(await conn.scalar(bought) or 0) > int(per_user or 1):
            raise Refused("order.flash_limit")

    async def has_ordered(self, shop_id: str, user_id: str) -> bool:
        """Whether the user has an order in the shop (the 新客首单 coupon condition)."""
        o = orders.c
        q = select(o.id).where(o.shop_id == shop_id, o.user_id == user_id).limit(1)
        async with self._db.engine.connect() as conn:
            return (await conn.execute(q)).first() is not None

    async def mark_logged(self, *order_ids: str) -> None:
        """The orders' events are in the log (one statement for the orders of a tick)."""
        if not order_ids:
            return
        async with self._gate, self._db.engine.begin() as conn:
            await conn.execute(update(orders).where(orders.c.id.in_(order_ids)).values(logged=True))

    async def unlogged(self, room_id: str) -> list[OrderRow]:
        """The room's orders whose `order.placed` may be missing (their node died before logging it)."""
        q = select(orders).where(orders.c.room_id == room_id, orders.c.logged.is_(False))
        async with self._db.engine.connect() as conn:
            return [_order(r) for r in (await conn.execute(q.order_by(orders.c.created_at))).mappings()]

    async def has_event(self, room_id: str, cid: str) -> bool:
        q = select(events.c.id).where(events.c.room_id == room_id, events.c.cid == cid).limit(1)
        async with self._db.engine.connect() as conn:
            return (await conn.execute(q)).first() is not None

    async def wallet(self, shop_id: str, user_id: str, now: int) -> list[tuple[str, str, int]]:
        """(grant id, coupon id, expires at) of the user's unredeemed, unexpired grants in the shop."""
        g, b = coupon_grants.c, coupon_batches.c
        q = (
            select(g.id, b.coupon_id, g.expires_at)
            .join_from(coupon_grants, coupon_batches, b.id == g.batch_id)
            .join(rooms, and_(rooms.c.id == b.room_id, rooms.c.shop_id == shop_id))
            .where(g.user_id == user_id, g.order_id.is_(None))
            .where(or_(g.expires_at.is_(None), g.expires_at > now))
            .order_by(g.expires_at)
        )
        async with self._db.engine.connect() as conn:
            return [(str(i), str(c), int(e or 0)) for i, c, e in (await conn.execute(q)).all()]

    # --- flash sales ---------------------------------------------------------------------------------

    async def create_flash(self, flash: Flash) -> None:
        async with self._gate, self._db.engine.begin() as conn:
            await conn.execute(insert(flash_sales).values(**asdict(flash)))

    async def get_flash(self, flash_id: str) -> Flash | None:
        async with self._db.engine.connect() as conn:
            q = select(flash_sales).where(flash_sales.c.id == flash_id)
            row = (await conn.execute(q)).mappings().first()
        return None if row is None else Flash(**{k: row[k] for k in Flash.__dataclass_fields__})

    async def live_flashes(self, room_id: str, now: int) -> list[Flash]:
        f = flash_sales.c
        q = select(flash_sales).where(f.room_id == room_id, f.closes_at > now)
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(q)).mappings().all()
        return [Flash(**{k: r[k] for k in Flash.__dataclass_fields__}) for r in rows]

    async def close_flash(self, flash_id: str, at: int) -> None:
        async with self._gate, self._db.engine.begin() as conn:
            await conn.execute(update(flash_sales).where(flash_sales.c.id == flash_id).values(closes_at=at))
