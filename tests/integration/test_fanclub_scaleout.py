"""The fan club on two nodes sharing one PostgreSQL and one Redis: a member connected to both nodes comments
on each (and re-sends cids on the other one); every comment adds its XP exactly once, likes sent on two
nodes add up in the database, and a join sent to both nodes at once makes one membership."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from siyu.app import Node
from siyu.store.tables import fan_members
from tests.conftest import Client, RedisProcess, fresh_pg_database

pytestmark = pytest.mark.integration


async def first_me(clients: list[Client], pred: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The first `fanclub_me` passing `pred` on any of the clients (each node tells its own connections)."""

    async def one(c: Client) -> dict[str, Any]:
        while True:
            got = (await c.expect("fanclub_me", timeout=20))["fanclub"]
            if pred(got):
                return dict(got)

    tasks = [asyncio.ensure_future(one(c)) for c in clients]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for t in pending:
        t.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return next(iter(done)).result()


async def xp_of(node: Node, user_id: str) -> int:
    async with node.db.engine.connect() as conn:
        return int(await conn.scalar(select(fan_members.c.xp).where(fan_members.c.user_id == user_id)) or 0)


async def test_comments_on_two_nodes_add_xp_exactly_once(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Any, pg_server: str
) -> None:
    db = await fresh_pg_database(pg_server)
    relaxed = {"comment_rate": "100/second"}
    a: Node = await node_factory(db, redis_url=redis_server.url, limits=relaxed)
    b: Node = await node_factory(db, redis_url=redis_server.url, limits=relaxed, demo=False)
    await b.registry.get("demo")
    home: Client = await connect(a, user="u1", nickname="小鹿")
    away: Client = await connect(b, user="u1", nickname="小鹿")
    other_a: Client = await connect(a, user="u2", nickname="糖糖")
    other_b: Client = await connect(b, user="u2", nickname="糖糖")

    await home.send({"type": "fanclub_join", "cid": "j1"})
    joined = await home.expect("ack", cid="j1")
    assert joined["fanclub"]["member"]
    await away.send({"type": "comment", "cid": "c0", "text": "第0条"})  # before node b may know of the join
    await away.expect("ack", cid="c0", timeout=20)
    await away.send({"type": "fanclub_join", "cid": "j1"})  # the same cid on the other node: its seq
    assert (await away.expect("ack", cid="j1", timeout=20))["seq"] == joined["seq"]
    # u2 joins on both nodes at once, with two cids: one membership
    pair = ((other_a, "x1"), (other_b, "x2"))
    await asyncio.gather(*(c.send({"type": "fanclub_join", "cid": cid}) for c, cid in pair))
    acks = [await c.expect("ack", cid=cid, timeout=20) for c, cid in pair]
    assert all(ack["fanclub"]["member"] for ack in acks) and sum("seq" in ack for ack in acks) == 1

    on = {"c0": away}
    for i in range(1, 6):  # alternately on each node
        cid, c = f"c{i}", (home, away)[i % 2]
        on[cid] = c
        await c.send({"type": "comment", "cid": cid, "text": f"第{i}条"})
        await c.expect("ack", cid=cid, timeout=20)
    for cid, first in on.items():  # every cid re-sent on the other node: answered, never counted again
        c = home if first is away else away
        await c.send({"type": "comment", "cid": cid, "text": "again"})
        await c.expect("ack", cid=cid, timeout=20)
    sent = len(on)
    await home.send({"type": "like", "count": 15})
    await away.send({"type": "like", "count": 15, "cid": "l1"})  # 30 likes on two nodes: 3 XP
    await away.expect("ack", cid="l1", timeout=20)
    want = 2 * sent + 3
    got = await first_me([home, away], lambda f: f.get("xp") == want)
    assert got["tasks"][1]["xp"] == 2 * sent and got["tasks"][2]["xp"] == 3
    assert await xp_of(a, "u1") == want

    await away.send({"type": "comment", "cid": "last", "text": "最后一条"})  # nothing was left to count
    await away.expect("ack", cid="last", timeout=20)
    await first_me([home, away], lambda f: f.get("xp") == want + 2)
    assert await xp_of(b, "u1") == want + 2
    async with a.db.engine.connect() as conn:
        assert len((await conn.execute(select(fan_members.c.user_id))).all()) == 2
