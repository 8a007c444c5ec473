"""Orders with real WebSocket clients and real servers: never oversold under a crowd (SQLite, PostgreSQL,
two nodes on PostgreSQL + Redis), flash sales, a re-sent cid after a restart, the shop's signed webhook."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from siyu.app import Node
from siyu.auth import Role
from siyu.catalog import sku_key
from siyu.interactions.orders import Orders
from siyu.realtime.client import RoomClient
from siyu.store.tables import events, orders, sku_stock
from siyu.web.orders_api import SIGNATURE_HEADER, sign
from tests.conftest import RedisProcess, fresh_pg_database
from tests.integration.test_restart_state import started
from tests.interactions.test_claims_live import ack, open_client

SECRET = "shop-webhook-secret-for-tests"
BUYERS = 120
WHITE_S = ("P02", "白色", "S")  # 5 in the demo catalog


async def stock_of(node: Node, product_id: str, color: str, size: str) -> int:
    q = select(sku_stock.c.count).where(sku_stock.c.product_id == product_id,
                                        sku_stock.c.sku == sku_key(color, size))  # fmt: skip
    async with node.db.engine.connect() as conn:
        return int((await conn.execute(q)).scalar_one())


async def rush(nodes: list[Node], msg: dict[str, Any], n: int = BUYERS) -> list[dict[str, Any]]:
    """n buyers spread over `nodes` send `msg` at once; their acks."""
    clients: list[RoomClient] = []
    for start in range(0, n, 60):
        clients += await asyncio.gather(*(open_client(nodes[i % len(nodes)], f"b{i}")
                                          for i in range(start, min(n, start + 60))))  # fmt: skip
    for c in clients:
        c.send(msg)
    answers = await asyncio.gather(*(ack(c, msg["cid"]) for c in clients))
    await asyncio.gather(*(c.close() for c in clients))
    return list(answers)


def unpacked(frame: dict[str, Any]) -> list[dict[str, Any]]:
    return list(frame["msgs"]) if frame["type"] == "batch" else [frame]


def white_s(cid: str = "buy", **kw: Any) -> dict[str, Any]:
    product, color, size = WHITE_S
    items = [{"product_id": product, "color": color, "size": size, "qty": 1}]
    return {"type": "order", "cid": cid, "items": items, **kw}


async def test_a_crowd_buying_the_last_five_gets_five_orders(node: Node) -> None:
    answers = await rush([node], white_s())
    assert sum("order" in a for a in answers) == 5
    assert {a["error"]["code"] for a in answers if "error" in a} == {"order.out_of_stock"}
    assert await stock_of(node, *WHITE_S) == 0
    async with node.db.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(orders)) == 5
        assert await conn.scalar(select(func.count()).where(events.c.type == "order.placed")) == 5


async def test_a_flash_sale_under_a_crowd_sells_exactly_its_quantity(node: Node) -> None:
    host = await open_client(node, "host", Role.HOST)
    host.send({"type": "flash_push", "cid": "f", "product_id": "P04", "price": 399, "quantity": 30})
    flash = (await ack(host, "f"))["msg"]
    before = await stock_of(node, "P04", "驼色", "L")
    msg = {"type": "order", "cid": "grab", "flash_id": flash["flash_id"],
           "items": [{"product_id": "P04", "color": "驼色", "size": "L", "qty": 1}]}  # fmt: skip
    answers = await rush([node], msg)
    sold = [a["order"] for a in answers if "order" in a]
    assert len(sold) == 30 and {o["total"] for o in sold} == {399}
    assert {a["error"]["code"] for a in answers if "error" in a} == {"order.flash_sold_out"}
    assert await stock_of(node, "P04", "驼色", "L") == before - 30
    while not any(m["type"] == "flash_left" and m["left"] == 0 for m in unpacked(await host.recv(10))):
        pass  # the host's card counts down to 0 (the tick, at most once a second)
    await host.close()


@pytest.mark.integration
async def test_two_nodes_on_postgresql_never_oversell_and_agree_on_the_stock(
    redis_server: RedisProcess, node_factory: Callable[..., Any], pg_server: str
) -> None:
    db = await fresh_pg_database(pg_server)
    a: Node = await node_factory(db, redis_url=redis_server.url)
    b: Node = await node_factory(db, redis_url=redis_server.url, demo=False)
    watcher = await open_client(b, "watcher")
    answers = await rush([a, b], white_s())
    assert sum("order" in x for x in answers) == 5
    assert await stock_of(a, *WHITE_S) == 0
    seen = 0
    while seen < 5:  # node B's viewer sees every purchase, whichever node took it
        seen += sum(m["type"] == "purchase" for m in unpacked(await watcher.recv(10)))
    for node in (a, b):  # each node's catalog ends at the database's count (stock changes by version)
        room = await node.registry.get("demo")
        assert room is not None and room.catalog is not None
        for _ in range(100):
            if room.catalog.product("P02").stock[sku_key("白色", "S")] == 0:
                break
            await asyncio.sleep(0.05)
        assert room.catalog.product("P02").stock[sku_key("白色", "S")] == 0
    await watcher.close()


async def test_a_resent_order_cid_after_a_restart_gets_the_same_order(tmp_path: Any) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/restart.db"
    first = await started(url, demo=True)
    try:
        c = await open_client(first, "u1")
        c.send(white_s("o-1"))
        order = (await ack(c, "o-1"))["order"]
        await c.close()
    finally:
        await first.stop()
    again = await started(url, demo=True)  # the demo reloads its catalog: live stock is kept
    try:
        c = await open_client(again, "u1")
        c.send(white_s("o-1"))
        assert (await ack(c, "o-1"))["order"] == order
        await c.close()
        assert await stock_of(again, *WHITE_S) == 4
        room = await again.registry.get("demo")
        assert room is not None and room.catalog is not None
        assert room.catalog.product("P02").stock[sku_key("白色", "S")] == 4
    finally:
        await again.stop()


# --- the shop's webhook ------------------------------------------------------------------------------


def shop_order(order_id: str = "DY-1", **kw: Any) -> dict[str, Any]:
    body = {"order_id": order_id, "shop_id": "wanwan", "room_id": "demo", "user_id": "u7", "nickname": "阿珍",
            "items": [{"product_id": "P01", "color": "碎花蓝", "size": "L", "qty": 2, "price": 150}],
            "total": 280}  # fmt: skip
    return {**body, **kw}


async def post(http: httpx.AsyncClient, body: dict[str, Any] | bytes, secret: str = SECRET,
               t: int | None = None) -> httpx.Response:  # fmt: skip
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    headers = {SIGNATURE_HEADER: sign(secret, raw, t), "Content-Type": "application/json"}
    return await http.post("/api/orders", content=raw, headers=headers)


async def test_the_webhook_places_a_signed_order_once_and_refuses_what_it_must(
    node_factory: Callable[..., Any]
) -> None:
    node: Node = await node_factory(orders={"webhook_secret": SECRET})
    watcher = await open_client(node, "watcher")
    before = await stock_of(node, "P01", "碎花蓝", "L")
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        r = await post(http, shop_order())
        assert r.status_code == 201, r.text
        order = r.json()["order"]
        assert order["source"] == "shop" and order["external_id"] == "DY-1" and order["status"] == "paid"
        assert (order["subtotal"], order["discount"], order["total"]) == (300, 20, 280)
        again = await post(http, shop_order())  # the shop retries: placed once
        assert again.status_code == 200 and again.json() == {"order": order, "duplicate": True}
        assert await stock_of(node, "P01", "碎花蓝", "L") == before - 2

        assert (await post(http, shop_order("DY-2"), secret="wrong")).json()["error"]["code"] == (
            "order.bad_signature")  # fmt: skip
        stale = await post(http, shop_order("DY-2"), t=int(time.time()) - 3600)
        assert stale.status_code == 401 and stale.json()["error"]["code"] == "order.stale_signature"
        unsigned = await http.post("/api/orders", json=shop_order("DY-2"))
        assert unsigned.status_code == 401 and unsigned.json()["error"]["code"] == "order.bad_signature"
        big = shop_order("DY-3", items=[{"product_id": "P01", "color": "碎花蓝", "size": "L", "qty": 999}])
        over = await post(http, big)
        assert over.status_code == 409 and over.json()["error"]["code"] == "order.out_of_stock"
        good = orjson.dumps(shop_order("DY-4")).decode()
        odd = [b"{", b'{"order_id": NaN}', good.replace('"total":280', '"total":' + "9" * 40).encode(),
               good.replace('"nickname":"阿珍"', '"nickname":"\\ud800"').encode(),  # a lone surrogate
               orjson.dumps(shop_order("DY-5", nickname="a\x00b")),
               orjson.dumps(shop_order("DY-6", items=[])),
               orjson.dumps(shop_order("DY-7", total=-1))]  # fmt: skip
        for raw in odd:
            r = await post(http, raw)
            assert r.status_code in (400, 422), (raw, r.text)
            assert r.json()["error"]["code"] in ("request.bad_json", "request.invalid")
        unknown = await post(http, shop_order("DY-8", items=[{"product_id": "P99", "color": "x", "size": "M",
                                                               "qty": 1}]))  # fmt: skip
        assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "order.unknown_product"

        outside = await post(http, shop_order("WX-1", room_id=None))  # not from a room: logged for the shop
        assert outside.status_code == 201
    while not (bought := [m for m in unpacked(await watcher.recv(10)) if m["type"] == "purchase"]):
        pass
    m = bought[0]
    assert m["nickname"] == "阿**" and m["items"][0]["qty"] == 2
    await watcher.close()
    async with node.db.engine.connect() as conn:
        rooms = (await conn.execute(select(events.c.room_id).where(events.c.type == "order.placed"))).all()
    assert sorted(r[0] for r in rooms) == ["demo", "shop:wanwan"]
    room = await node.registry.get("demo")
    assert room is not None and room.find(Orders) is not None


async def test_the_webhook_is_off_without_a_secret(sqlite_node: Node) -> None:
    async with httpx.AsyncClient(base_url=sqlite_node.http_url) as http:
        r = await post(http, shop_order())
    assert r.status_code == 403 and r.json()["error"]["code"] == "order.webhook_off"
