"""The simulated audience answers the room's interactions (coupon drops, polls, flash sales, the product
being presented) with real frames, and what it counted as done is what the event log and the session
report hold."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from siyu.app import Node
from siyu.auth import Role
from siyu.rooms.features import Products
from siyu.sim.audience import Audience, AudienceConfig
from siyu.sim.shopper import ShopperConfig
from siyu.store.tables import events
from tests.interactions.test_claims_live import ack, open_client

pytestmark = pytest.mark.integration


async def test_the_audience_claims_votes_and_buys_and_the_report_counts_it(sqlite_node: Node) -> None:
    node = sqlite_node
    room = await node.services.room("demo")
    host = await open_client(node, "host", Role.HOST)
    for frame in (
        {"type": "coupon_push", "coupon_id": "C01", "quantity": 8, "seconds": 600, "cid": "k"},
        {"type": "poll_start", "question": "想看哪款", "product_ids": ["P01", "P04"], "seconds": 600,
         "cid": "p"},
        {"type": "flash_push", "product_id": "P04", "price": 99, "quantity": 5, "seconds": 600, "cid": "f"},
        {"type": "pin", "product_id": "P04", "cid": "pin"},
    ):
        host.send(frame)
        assert "error" not in await ack(host, str(frame["cid"]))
    shopper = ShopperConfig(claim_share=1.0, vote_share=1.0, flash_share=1.0, buy_share=0.2)
    cfg = AudienceConfig(arrivals_per_s=20, max_online=30, bounce_share=0.0, mean_stay_s=2.5,
                         mean_comment_gap_s=0.3, seed=11, shopper=shopper)  # fmt: skip
    products = {str(p["id"]): p for p in room.feature(Products).listing()}
    audience = Audience(node.ws_url, node.signer, "demo", cfg, products=products)
    stop = asyncio.Event()
    task = asyncio.create_task(audience.run(stop))
    await asyncio.sleep(3.0)
    stop.set()
    await task
    s = audience.stats
    assert s.unacked == 0
    assert s.claims == 8 and s.votes > 0 and s.orders >= 5  # the drop and the flash sale sold out
    assert s.errors.get("coupon.sold_out", 0) > 0 and s.errors.get("order.flash_sold_out", 0) > 0

    async def count(kind: str) -> int:
        async with node.db.engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).where(events.c.type == kind)) or 0)

    async def gmv() -> float:
        async with node.db.engine.connect() as conn:
            rows = (await conn.execute(select(events.c.payload).where(events.c.type == "order.placed"))).all()
        return sum(int(p["total_cents"]) for (p,) in rows) / 100

    assert await count("coupon.claimed") == s.claims
    assert await count("poll.voted") == s.votes
    for _ in range(100):  # an order's event is written right after its ack
        if await count("order.placed") == s.orders:
            break
        await asyncio.sleep(0.05)
    assert await count("order.placed") == s.orders
    assert await gmv() == pytest.approx(s.gmv)
    report: Any = await node.session_report("demo")
    assert (report.coupons_claimed, report.votes, report.orders) == (s.claims, s.votes, s.orders)
    assert report.gmv == pytest.approx(s.gmv) and 0 < report.buyers <= s.orders
    assert f"成交 {s.gmv:.2f} 元" in report.text()
    await host.close()
