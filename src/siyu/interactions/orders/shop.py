"""Orders from the shop system (抖店, 有赞, 微信小店 …): the webhook's service.

The shop's order id makes the order's id, so a re-posted order is placed once whatever node takes it.
The shop's amounts are the truth (it took the payment); stock is taken as for a checkout in the room and
an order over stock is refused (`order.out_of_stock`). An order attributed to a room goes through that
room's feature (its `purchase` line, its stock messages); one from outside any room is logged under the
pseudo room `shop:<shop_id>`, so repurchase can be computed from the log alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from siyu.catalog import Catalog, sku_key
from siyu.catalog.checkout import cents
from siyu.events import Context, Event, now_ms
from siyu.store import EventLog

from .feature import Orders, order_id_for
from .messages import OrderCode, OrderPlaced
from .store import OrderRow, OrderStore, Refused

__all__ = ["ShopItem", "ShopOrder", "place_shop_order"]


@dataclass(frozen=True, slots=True)
class ShopItem:
    product_id: str
    color: str
    size: str
    qty: int
    price: float | None = None  # the unit price paid; the live price when absent


@dataclass(frozen=True, slots=True)
class ShopOrder:
    order_id: str
    shop_id: str
    items: list[ShopItem]
    room_id: str | None = None
    user_id: str | None = None
    nickname: str | None = None
    total: float | None = None  # what the buyer paid; the sum of the lines when absent
    coupon_id: str | None = None
    via: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _row(o: ShopOrder, catalog: Catalog | None, session_id: str | None) -> OrderRow:
    items: list[dict[str, Any]] = []
    for i, it in enumerate(o.items):
        product = catalog.get(it.product_id) if catalog is not None else None
        if product is None:
            raise Refused(OrderCode.UNKNOWN_PRODUCT, line=i, product_id=it.product_id)
        if sku_key(it.color, it.size) not in product.stock:
            raise Refused(OrderCode.UNKNOWN_SKU, line=i, product_id=it.product_id)
        price = cents(product.live_price if it.price is None else it.price)
        items.append({"product_id": it.product_id, "color": it.color, "size": it.size, "qty": it.qty,
                      "price_cents": price, "nickname": o.nickname or "有人"})  # fmt: skip
    subtotal = sum(int(i["price_cents"]) * int(i["qty"]) for i in items)
    total = subtotal if o.total is None else cents(o.total)
    return OrderRow(
        id=order_id_for("shop", o.shop_id, o.order_id), shop_id=o.shop_id, room_id=o.room_id,
        session_id=session_id, user_id=o.user_id, source="shop", external_id=o.order_id, items=items,
        subtotal_cents=subtotal, discount_cents=max(0, subtotal - total), total_cents=total,
        coupon_id=o.coupon_id, grant_id=None, flash_id=None, flash_qty=0, via=o.via, status="paid",
        created_at=now_ms(),
    )  # fmt: skip


async def place_shop_order(
    store: OrderStore, o: ShopOrder, *, room_orders: Orders | None, catalog: Catalog | None, log: EventLog
) -> tuple[OrderRow, bool]:
    """Place the shop's order once: (the order, True) or (the order placed before, False). Refused."""
    first = await store.get(order_id_for("shop", o.shop_id, o.order_id))
    if first is not None:
        if not first.logged:
            await _relay(store, first, room_orders, log)
        return first, False
    if room_orders is not None:
        room = room_orders.room
        row = _row(o, room.catalog, room.session.id if room.session else None)
    else:
        row = _row(o, catalog, None)
    placed, new = await store.place(row, now_ms())
    await _relay(store, placed, room_orders, log)
    return placed, new


async def _relay(store: OrderStore, order: OrderRow, room_orders: Orders | None, log: EventLog) -> None:
    if room_orders is not None:
        await room_orders.relay(order)
        return
    pseudo = f"shop:{order.shop_id}"[:64]
    if not await store.has_event(pseudo, f"o:{order.id}"):
        keys = ("product_id", "color", "size", "qty", "price_cents")
        placed = OrderPlaced(order.id, order.source, [{k: i[k] for k in keys} for i in order.items],
                             order.subtotal_cents, order.discount_cents, order.total_cents, order.coupon_id,
                             None, None, order.via, order.external_id,
                             str(order.items[0].get("nickname", "")) if order.items else "")  # fmt: skip
        event = Event(room_id=pseudo, user_id=order.user_id, payload=placed, context=Context(actor="shop"))
        event.cid = f"o:{order.id}"
        await log.append(event)
    await store.mark_logged(order.id)
