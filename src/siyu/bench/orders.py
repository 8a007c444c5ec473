"""``siyu bench orders``: BUYERS real WebSocket clients order the last STOCK pieces of one SKU at once.

Reported: orders placed (must equal STOCK), refusals by code, order -> ack p50/p99, orders/s. The baseline
in the same run, against the same database with as many concurrent buyers on a fresh SKU: a naive
read-then-write order (read the count, then write count - 1 in a second transaction), which oversells.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select, update

from siyu.bench.claims import _ack, _pct, crowd, demo_node
from siyu.catalog import sku_key
from siyu.store.db import Database
from siyu.store.tables import sku_stock

PRODUCT, COLOR, SIZE = "P02", "白色", "M"


@dataclass(slots=True)
class OrdersResult:
    buyers: int
    stock: int
    backend: str
    placed: int
    refused: dict[str, int]
    ack_p50_ms: float
    ack_p99_ms: float
    orders_per_s: float
    left: int
    naive_sold: int
    naive_oversold: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def naive_orders(db: Database, shop_id: str, buyers: int, stock: int) -> int:
    """The baseline: read the count, then write what was read minus one (no conditional UPDATE)."""
    key = (sku_stock.c.shop_id == shop_id, sku_stock.c.product_id == "naive", sku_stock.c.sku == "x/y")
    async with db.engine.begin() as conn:
        row = {"shop_id": shop_id, "product_id": "naive", "sku": "x/y", "count": stock, "version": 0}
        await conn.execute(sku_stock.insert().values(row))
    sold = 0

    async def buy() -> None:
        nonlocal sold
        async with db.engine.connect() as conn:
            seen = int(await conn.scalar(select(sku_stock.c.count).where(*key)) or 0)
        if seen < 1:
            return
        async with db.engine.begin() as conn:
            await conn.execute(update(sku_stock).where(*key).values(count=seen - 1))
        sold += 1

    await asyncio.gather(*(buy() for _ in range(buyers)), return_exceptions=True)
    return sold


async def run_orders(buyers: int = 2000, stock: int = 100, db_url: str | None = None) -> OrdersResult:
    async with demo_node("orders", db_url) as node:
        room = await node.services.room("demo")
        await node.services.adjust_stock("demo", PRODUCT, COLOR, SIZE, count=stock)
        clients = await crowd(node, buyers, "b")
        line = {"product_id": PRODUCT, "color": COLOR, "size": SIZE, "qty": 1}
        frame = {"type": "order", "cid": "buy", "items": [line]}
        began = time.perf_counter()
        sent = []
        for c in clients:
            sent.append(time.perf_counter())
            c.send(frame)
        answers = await asyncio.gather(*(_ack(c, "buy") for c in clients))
        took = max(t for _a, t in answers) - began
        lat = [(t - s) * 1000 for (_a, t), s in zip(answers, sent, strict=True)]
        refused = Counter(a["error"]["code"] for a, _t in answers if "error" in a)
        placed = sum(1 for a, _t in answers if "order" in a)
        await asyncio.gather(*(c.close() for c in clients))
        async with node.db.engine.connect() as conn:
            q = select(sku_stock.c.count).where(sku_stock.c.product_id == PRODUCT,
                                                sku_stock.c.sku == sku_key(COLOR, SIZE))  # fmt: skip
            left = int(await conn.scalar(q) or 0)
        naive = await naive_orders(node.db, room.info.shop_id, buyers, stock)
        return OrdersResult(
            buyers=buyers, stock=stock, backend="sqlite" if node.db.is_sqlite else "postgresql",
            placed=placed, refused=dict(refused), ack_p50_ms=_pct(lat, 0.5), ack_p99_ms=_pct(lat, 0.99),
            orders_per_s=buyers / took if took > 0 else 0.0, left=left, naive_sold=naive,
            naive_oversold=max(0, naive - stock),
        )  # fmt: skip
