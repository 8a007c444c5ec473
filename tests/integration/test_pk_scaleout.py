"""PK battles across two nodes sharing one database and one Redis: room A's people on node 1, room B's on
node 2. Real clients gift on both sides; both rooms' scoreboards converge to the log's recount, the end is
recorded once in each room; and two invites racing for one room from two nodes leave exactly one pending."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from siyu.app import Node
from siyu.auth import Role
from siyu.store.tables import pk_rooms
from tests.conftest import Client, RedisProcess, fresh_pg_database
from tests.interactions.pk_helpers import answer, code, gift, invite, live_room, logged, pk_of, recount

VIEWERS = 8  # per room
GIFTS = (("rose", 20), ("lightstick", 10), ("heart", 1))


async def _gifts(viewers: list[Client], prefix: str, more: int = 0) -> int:
    """Each viewer sends GIFTS (and re-sends its first frame: counted once); the coins sent."""

    async def one(i: int, c: Client) -> int:
        coins = 0
        for k, (gift_id, value) in enumerate(GIFTS):
            assert "error" not in await gift(c, gift_id, f"{prefix}{k}", count=1 + more + i % 2)
            coins += value * (1 + more + i % 2)
        assert "error" not in await gift(c, GIFTS[0][0], f"{prefix}0", count=1 + more + i % 2)  # a duplicate
        return coins

    return sum(await asyncio.gather(*(one(i, c) for i, c in enumerate(viewers))))


@pytest.mark.integration
async def test_a_pk_across_two_nodes_converges_to_the_recount(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Any, pg_server: str
) -> None:
    db = await fresh_pg_database(pg_server)
    n1: Node = await node_factory(db, redis_url=redis_server.url)
    n2: Node = await node_factory(db, redis_url=redis_server.url, demo=False)
    await live_room(n2, "b")
    host_a = await connect(n1, user="ha", role=Role.HOST, nickname="晚晚")
    host_b = await connect(n2, user="hb", role=Role.HOST, room="b", nickname="小美")
    side_a = [await connect(n1, user=f"a{i}", nickname=f"甲{i}") for i in range(VIEWERS)]
    side_b = [await connect(n2, user=f"b{i}", room="b", nickname=f"乙{i}") for i in range(VIEWERS)]

    pk_id = (await invite(host_a, "b"))["pk"]["pk_id"]
    assert (await host_b.expect("pk_invite", pk_id=pk_id))["status"] == "pending"  # across nodes
    assert (await answer(host_b, pk_id, True))["pk"]["status"] == "live"
    live_a = await side_a[0].expect("pk", pk_id=pk_id, phase="live")
    await side_b[0].expect("pk", pk_id=pk_id, phase="live")

    coins_a, coins_b = await asyncio.gather(_gifts(side_a, "ga"), _gifts(side_b, "gb", more=1))
    ends_at = live_a["ends_at"]
    assert await recount(n1, "demo", pk_id, ends_at) == coins_a
    assert await recount(n1, "b", pk_id, ends_at) == coins_b
    # one scoreboard in both rooms, on both nodes, equal to the recount
    await side_a[-1].expect("pk_score", pk_id=pk_id, scores=[coins_a, coins_b], timeout=10)
    await side_b[-1].expect("pk_score", pk_id=pk_id, scores=[coins_b, coins_a], timeout=10)

    pk_of(n2, "b").tick(ends_at + 2_000)  # node 2's clock reaches the end first
    pk_of(n1, "demo").tick(ends_at + 2_000)  # and node 1's: the table lets one of them record it
    ended_a = await side_a[0].expect("pk", pk_id=pk_id, phase="punish")
    ended_b = await side_b[0].expect("pk", pk_id=pk_id, phase="punish")
    assert [s["score"] for s in ended_a["sides"]] == [coins_a, coins_b]
    assert [s["score"] for s in ended_b["sides"]] == [coins_b, coins_a]
    assert ended_a["winner"] == ended_b["winner"] == "b"
    for room_id in ("demo", "b"):
        assert await logged(n1, room_id, "pk.started") == 1
        assert await logged(n1, room_id, "pk.ended") == 1


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
async def test_two_nodes_inviting_one_room_at_once_leave_one_pending(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Any, db_url: str
) -> None:
    n1: Node = await node_factory(db_url, redis_url=redis_server.url)
    n2: Node = await node_factory(db_url, redis_url=redis_server.url, demo=False)
    await live_room(n1, "b")
    await live_room(n2, "c", "第三间")
    host_a = await connect(n1, user="ha", role=Role.HOST)
    host_c = await connect(n2, user="hc", role=Role.HOST, room="c")
    for _ in range(3):  # three rounds: each race has one winner; the winner withdraws for the next round
        got = await asyncio.gather(invite(host_a, "b", f"x{_}"), invite(host_c, "b", f"x{_}"))
        codes = sorted(str(code(a)) for a in got)
        assert codes == ["None", "pk.busy"], codes
        async with n1.db.engine.connect() as conn:
            held = await conn.scalar(select(func.count()).where(pk_rooms.c.room_id == "b"))
        assert held == 1
        winner, ack = next((h, a) for h, a in zip((host_a, host_c), got, strict=True) if code(a) is None)
        await winner.send({"type": "pk_cancel", "pk_id": ack["pk"]["pk_id"], "cid": f"c{_}"})
        assert (await winner.expect("ack", cid=f"c{_}"))["pk"]["status"] == "cancelled"
