"""Orders on the room runtime (SQLite file, MemoryBroker): checkout with the best coupon of the wallet,
redemption once, stock taken once per order, each refusal, re-sent cids (also after a restart), flash sales
never oversold nor over the per-user limit, the outbox relay of an order whose node died before logging."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from siyu.auth import Role
from siyu.catalog import sku_key
from siyu.interactions import ClaimIn
from siyu.interactions.fanclub_wire import FanJoinIn
from siyu.interactions.orders import FlashPushIn, OrderIn, Orders, QuoteIn, WalletIn
from siyu.rooms.room import Room
from siyu.store.tables import coupon_grants, events, fan_members, orders, sku_stock
from tests.interactions.test_coupons import push
from tests.rooms.test_runtime import FakeMember, room, settled

__all__ = ["room"]


async def answer(m: FakeMember, cid: str, n: int = 1) -> dict[str, Any]:
    """The n-th ack of `cid` (orders run off the hot path: the ack follows the commit)."""
    for _ in range(3000):
        got = [f for f in m.of("ack") if f["cid"] == cid]
        if len(got) >= n:
            return got[n - 1]
        await asyncio.sleep(0.01)
    raise AssertionError(f"no ack {n} for {cid}: {m.frames[-5:]}")


def item(product_id: str = "P02", color: str = "白色", size: str = "M", qty: int = 1) -> dict[str, Any]:
    return {"product_id": product_id, "color": color, "size": size, "qty": qty}


async def buy(
    room: Room, m: FakeMember, cid: str, *items: dict[str, Any], n: int = 1, **kw: Any
) -> dict[str, Any]:
    room.dispatch(m, OrderIn(type="order", cid=cid, items=list(items) or [item()], **kw))
    return await answer(m, cid, n)


async def count(room: Room, product_id: str, sku: str) -> int:
    q = select(sku_stock.c.count).where(sku_stock.c.product_id == product_id, sku_stock.c.sku == sku)
    async with room.service.db.engine.connect() as conn:
        return int((await conn.execute(q)).scalar_one())


async def all_logged(room: Room) -> None:
    for _ in range(3000):
        room.flush()  # the tick
        async with room.service.db.engine.connect() as conn:
            flags = (await conn.execute(select(orders.c.logged))).scalars().all()
        if flags and all(flags):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"orders not marked logged: {flags}")


async def grant_of(room: Room, host: FakeMember, viewer: FakeMember, coupon_id: str, cid: str) -> str:
    batch = (await push(room, host, f"push-{cid}", coupon_id=coupon_id, quantity=10))["msg"]["batch_id"]
    room.dispatch(viewer, ClaimIn(type="claim", batch_id=batch, cid=cid))
    return str((await answer(viewer, cid))["grant"]["grant_id"])


async def test_an_order_takes_stock_once_applies_the_best_coupon_and_redeems_it(room: Room) -> None:
    host, viewer, other = FakeMember("h", Role.HOST), FakeMember("u1", nickname="小美"), FakeMember("u2")
    for m in (host, viewer, other):
        room.enter(m)
    small = await grant_of(room, host, viewer, "C01", "g1")  # 满199减20
    big = await grant_of(room, host, viewer, "C02", "g2")  # 满299减40
    before = await count(room, "P01", sku_key("碎花蓝", "M"))

    room.dispatch(viewer, WalletIn(type="wallet", cid="w1"))
    wallet = (await answer(viewer, "w1"))["wallet"]
    assert {w["grant_id"] for w in wallet} == {small, big}

    basket = [item("P01", "碎花蓝", "M", 2)]  # 2 x 159 = 318: both apply, 40 off is the best
    room.dispatch(viewer, QuoteIn(type="quote", cid="q1", items=basket))
    q = (await answer(viewer, "q1"))["quote"]
    assert (q["subtotal"], q["discount"], q["total"]) == (318, 40, 278) and q["coupon"]["grant_id"] == big

    ack = await buy(room, viewer, "o1", *basket)
    order = ack["order"]
    assert (order["subtotal"], order["discount"], order["total"]) == (318, 40, 278)
    assert order["grant_id"] == big and order["coupon_id"] == "C02" and order["source"] == "room"
    assert order["items"] == [{"product_id": "P01", "color": "碎花蓝", "size": "M", "qty": 2, "price": 159}]
    assert await count(room, "P01", sku_key("碎花蓝", "M")) == before - 2

    again = await buy(room, viewer, "o1", *basket, n=2)  # re-sent: the first answer, nothing taken
    assert again["order"] == order
    assert await count(room, "P01", sku_key("碎花蓝", "M")) == before - 2

    # the redeemed grant left the wallet; the next order takes the other one
    room.dispatch(viewer, WalletIn(type="wallet", cid="w2"))
    assert [w["grant_id"] for w in (await answer(viewer, "w2"))["wallet"]] == [small]
    second = (await buy(room, viewer, "o2", *basket))["order"]
    assert second["grant_id"] == small and second["discount"] == 20
    third = (await buy(room, viewer, "o3", *basket))["order"]
    assert third["grant_id"] is None and third["total"] == 318

    await settled(room)
    # everyone saw the purchase lines and the stock, the catalog follows, the log holds each order once
    assert [p["nickname"] for p in other.of("purchase")] == ["小**", "小**", "小**"]
    assert other.of("stock")[-1]["count"] == before - 6
    assert room.catalog is not None
    assert room.catalog.product("P01").stock[sku_key("碎花蓝", "M")] == before - 6
    async with room.service.db.engine.connect() as conn:
        placed = (await conn.execute(select(events.c.payload).where(events.c.type == "order.placed"))).all()
        q = select(coupon_grants.c.order_id).where(coupon_grants.c.id == big)
        used = (await conn.execute(q)).scalar()
    assert sorted(p[0]["order_id"] for p in placed) == sorted([order["order_id"], second["order_id"],
                                                               third["order_id"]])  # fmt: skip
    assert used == order["order_id"]
    await all_logged(room)  # the outbox flags are set for a tick's orders at once


async def test_refusals_name_the_line_and_take_nothing(room: Room) -> None:
    viewer = FakeMember("u1")
    room.enter(viewer)
    jeans_26 = sku_key("浅蓝色", "26")  # 0 left
    assert (await buy(room, viewer, "x1", item("P99")))["error"]["code"] == "order.unknown_product"
    assert (await buy(room, viewer, "x2", item("P02", "紫色")))["error"]["code"] == "order.unknown_sku"
    before = await count(room, "P02", sku_key("白色", "M"))
    refused = await buy(room, viewer, "x3", item("P02", "白色", "M"), item("P03", "浅蓝色", "26"))
    assert refused["error"]["code"] == "order.out_of_stock" and refused["error"]["line"] == 1
    assert await count(room, "P02", sku_key("白色", "M")) == before  # the whole order rolled back
    assert await count(room, "P03", jeans_26) == 0
    assert (await buy(room, viewer, "x4", coupon="nope"))["error"]["code"] == "order.coupon_not_applicable"


async def test_concurrent_buyers_never_take_more_than_is_left(room: Room) -> None:
    """Stock 3 (浅蓝色/27), 40 buyers at once: 3 orders, stock 0, each refusal out_of_stock."""
    buyers = [FakeMember(f"b{i}") for i in range(40)]
    for m in buyers:
        room.enter(m)
    for m in buyers:
        room.dispatch(m, OrderIn(type="order", cid="c", items=[item("P03", "浅蓝色", "27")]))
    acks = [await answer(m, "c") for m in buyers]
    assert sum("order" in a for a in acks) == 3
    assert {a["error"]["code"] for a in acks if "error" in a} == {"order.out_of_stock"}
    assert await count(room, "P03", sku_key("浅蓝色", "27")) == 0


async def test_a_flash_sale_sells_its_quantity_once_each_at_its_price(room: Room) -> None:
    host = FakeMember("h", Role.HOST)
    room.enter(host)
    room.dispatch(host, FlashPushIn(type="flash_push", cid="f1", product_id="P02", price=9.9, quantity=5))
    card = (await answer(host, "f1"))["msg"]
    assert card["type"] == "flash_card" and card["price"] == 9.9 and card["left"] == 5
    fid = card["flash_id"]
    buyers = [FakeMember(f"b{i}") for i in range(12)]
    for m in buyers:
        room.enter(m)
        room.dispatch(m, OrderIn(type="order", cid="c", flash_id=fid, items=[item("P02", "白色", "L")]))
    acks = [await answer(m, "c") for m in buyers]
    sold = [a["order"] for a in acks if "order" in a]
    assert len(sold) == 5 and all(o["total"] == 9.9 and o["flash_id"] == fid for o in sold)
    assert {a["error"]["code"] for a in acks if "error" in a} == {"order.flash_sold_out"}
    first = buyers[[i for i, a in enumerate(acks) if "order" in a][0]]
    assert (await buy(room, first, "c2", item("P02", "白色", "L"), flash_id=fid))["error"]["code"] in (
        "order.flash_sold_out", "order.flash_limit")  # fmt: skip
    two_lines = await buy(room, host, "c3", item("P02"), item("P01", "碎花蓝", "M"), flash_id=fid)
    assert two_lines["error"]["code"] == "order.flash_mismatch"
    room.flush()
    room.flush()
    assert room.feature(Orders).flashes[fid].left == 0


async def test_the_per_user_flash_limit_holds_under_concurrent_orders_of_one_user(room: Room) -> None:
    host, viewer = FakeMember("h", Role.HOST), FakeMember("u1")
    room.enter(host)
    room.enter(viewer)
    room.dispatch(host, FlashPushIn(type="flash_push", cid="f1", product_id="P02", price=19, quantity=50))
    fid = (await answer(host, "f1"))["msg"]["flash_id"]
    for i in range(6):
        lines = [item("P02", "白色", "L")]
        room.dispatch(viewer, OrderIn(type="order", cid=f"c{i}", flash_id=fid, items=lines))
    acks = [await answer(viewer, f"c{i}") for i in range(6)]
    assert sum("order" in a for a in acks) == 1
    assert {a["error"]["code"] for a in acks if "error" in a} == {"order.flash_limit"}


async def test_an_order_committed_but_never_logged_is_relayed_once(room: Room) -> None:
    """The outbox: the order row committed, its node died before writing `order.placed`; the next load
    of the room writes it (and the stock change) once."""
    viewer = FakeMember("u1")
    room.enter(viewer)
    feature = room.feature(Orders)
    relayed = feature.relay

    async def dies(order: Any, nickname: str | None = None) -> None:  # the node dies after the commit
        raise RuntimeError("node died")

    feature.relay = dies  # type: ignore[method-assign]
    ack = await buy(room, viewer, "o1")
    assert ack["error"]["code"] == "store_unavailable"  # committed, not yet logged: a re-send answers
    feature.relay = relayed  # type: ignore[method-assign]
    async with room.service.db.engine.connect() as conn:
        assert (await conn.execute(select(orders.c.logged))).scalars().all() == [False]
    feature._loaded_at = 2**62  # noqa: SLF001 - as if the room was loaded after the order
    feature._relay_due = True  # noqa: SLF001
    await all_logged(room)
    again = await buy(room, viewer, "o1", n=2)  # the re-sent cid gets the order
    assert again["order"]["total"] == 49
    await settled(room)
    async with room.service.db.engine.connect() as conn:
        q = select(events.c.type).where(events.c.cid.like("o:%"))
        types = (await conn.execute(q)).scalars().all()
    assert sorted(types) == ["order.placed", "stock.changed"]


async def test_an_order_earns_fan_club_xp_once_and_ends_the_new_buyer_coupon(room: Room) -> None:
    """Purchases are an XP source (1 per yuan, on the node that committed the order); 店铺新客首单 is met
    by a viewer without an order in the shop, and no more once they have one."""
    host, fan, newbie = FakeMember("h", Role.HOST), FakeMember("fan"), FakeMember("newbie")
    for m in (host, fan, newbie):
        room.enter(m)
    room.dispatch(fan, FanJoinIn(type="fanclub_join", cid="join"))
    assert "error" not in await answer(fan, "join")
    order = (await buy(room, fan, "o1", item("P01", "碎花蓝", "M", 1), coupon="none"))["order"]
    assert order["total"] == 159
    buy_again = (await buy(room, fan, "o1", item("P01", "碎花蓝", "M", 1), coupon="none", n=2))["order"]
    assert buy_again == order  # a re-sent order earns nothing more

    async def xp() -> int:
        q = select(fan_members.c.xp).where(fan_members.c.user_id == "fan")
        async with room.service.db.engine.connect() as conn:
            return int((await conn.execute(q)).scalar_one())

    for _ in range(300):  # the club writes XP at its flush (the tick, once a second)
        room.flush()
        if await xp() >= 159:
            break
        await asyncio.sleep(0.01)
    assert await xp() == 159

    batch = (await push(room, host, "k", coupon_id="C05", quantity=10))["msg"]["batch_id"]  # 新人首单立减15元
    room.dispatch(newbie, ClaimIn(type="claim", batch_id=batch, cid="c"))
    assert "grant" in await answer(newbie, "c")
    room.dispatch(fan, ClaimIn(type="claim", batch_id=batch, cid="c"))
    assert (await answer(fan, "c"))["error"]["code"] == "coupon.condition"
