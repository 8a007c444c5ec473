"""A poll on two nodes sharing one PostgreSQL and one Redis: 60 real WebSocket viewers, each voting twice
(two cids, the second on the other node); the log's once-key keeps one vote each, the result counts 60."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from siyu.app import Node
from siyu.auth import Role
from tests.conftest import Client, RedisProcess, fresh_pg_database

pytestmark = pytest.mark.integration

VIEWERS = 60


async def test_sixty_viewers_on_two_nodes_vote_once_each(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Any, pg_server: str
) -> None:
    db = await fresh_pg_database(pg_server)
    a: Node = await node_factory(db, redis_url=redis_server.url)
    b: Node = await node_factory(db, redis_url=redis_server.url, demo=False)
    await b.registry.get("demo")
    nodes = (a, b)
    host: Client = await connect(a, user="host", role=Role.HOST, nickname="晚晚")
    home: list[Client] = []
    away: list[Client] = []  # the same viewer's connection to the other node
    for i in range(VIEWERS):
        home.append(await connect(nodes[i % 2], user=f"u{i}"))
        away.append(await connect(nodes[(i + 1) % 2], user=f"u{i}"))

    await host.send(
        {"type": "poll_start", "cid": "s1", "question": "下一款讲哪个", "options": ["A", "B", "C"]}
    )
    poll = (await host.expect("ack", cid="s1"))["msg"]
    poll_id = poll["poll_id"]
    for c in (home[0], home[1]):  # the sequenced poll reaches both nodes
        assert (await c.expect("poll"))["poll_id"] == poll_id

    firsts = [i % 3 for i in range(VIEWERS)]
    await asyncio.gather(
        *(
            c.send({"type": "vote", "poll_id": poll_id, "option": firsts[i], "cid": "v1"})
            for i, c in enumerate(home)
        )
    )
    acks = [await c.expect("ack", cid="v1", timeout=20) for c in home]
    assert [ack["vote"]["option"] for ack in acks] == firsts
    await asyncio.gather(  # a second vote, another cid and option, on the other node: the first vote's ack
        *(c.send({"type": "vote", "poll_id": poll_id, "option": (firsts[i] + 1) % 3, "cid": "v2"})
          for i, c in enumerate(away))
    )  # fmt: skip
    again = [await c.expect("ack", cid="v2", timeout=20) for c in away]
    assert [ack["vote"] for ack in again] == [ack["vote"] for ack in acks]

    expected = [firsts.count(k) for k in range(3)]
    for c in (home[0], home[1]):  # the tally (room counters summed by the broker) reaches each node
        tally = await c.expect("poll_tally", timeout=20, total=VIEWERS)
        assert tally["counts"] == expected

    await host.send({"type": "poll_close", "cid": "c1", "poll_id": poll_id})
    result = (await host.expect("ack", cid="c1"))["msg"]
    assert result["type"] == "poll_result" and result["total"] == VIEWERS and result["counts"] == expected
    assert result["winner"] == 0
    for c in (home[0], home[1]):
        assert (await c.expect("poll_result"))["seq"] == result["seq"]
