"""A topic on two nodes sharing one PostgreSQL and one Redis: the host pins it on node A, viewers on both
nodes comment, and a host console on each node gets the same summary from its own node; a node that loads
the room afterwards rebuilds the topic from the log (the window's count, commenters and comments)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from siyu.app import Node
from siyu.auth import Role
from siyu.interactions import Topics
from tests.conftest import Client, RedisProcess, fresh_pg_database

pytestmark = pytest.mark.integration

TEXTS = ["想看羽绒服", "多讲讲羽绒服", "福袋福袋", "希望有福袋", "大码女装多来点", "羽绒服能便宜点吗"]


async def test_each_node_summarizes_the_topic_for_its_own_consoles(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Any, pg_server: str
) -> None:
    db = await fresh_pg_database(pg_server)
    a: Node = await node_factory(db, redis_url=redis_server.url)
    b: Node = await node_factory(db, redis_url=redis_server.url, demo=False)
    await b.registry.get("demo")
    host_a: Client = await connect(a, user="host", role=Role.HOST, nickname="晚晚")
    host_b: Client = await connect(b, user="helper", role=Role.ASSISTANT, nickname="小助理")
    viewers = [await connect((a, b)[i % 2], user=f"v{i}") for i in range(len(TEXTS))]

    await viewers[0].send({"type": "comment", "cid": "before", "text": "晚上好"})  # before the pin: no link
    await viewers[0].expect("ack", cid="before")
    await host_a.send({"type": "topic_pin", "text": "你们希望下次直播有什么内容？", "cid": "t1"})
    pinned = (await host_a.expect("ack", cid="t1"))["msg"]["topic"]
    assert (await viewers[1].expect("topic"))["topic"] == pinned  # the sequenced topic reaches node b
    for i, (c, text) in enumerate(zip(viewers, TEXTS, strict=True)):
        await c.send({"type": "comment", "cid": f"c{i}", "text": text})
        await c.expect("ack", cid=f"c{i}")

    summaries = [await h.expect("topic_summary", count=len(TEXTS), timeout=20) for h in (host_a, host_b)]
    for s in summaries:
        assert s["topic_id"] == pinned["id"] and s["commenters"] == len(TEXTS)
        assert [k["word"] for k in s["keywords"][:2]] == ["羽绒服", "福袋"]
        assert [k["count"] for k in s["keywords"][:2]] == [3, 2]
        assert [o["size"] for o in s["opinions"]] == [3, 2, 1]
    assert summaries[0]["keywords"] == summaries[1]["keywords"]
    assert summaries[0]["opinions"] == summaries[1]["opinions"]

    c: Node = await node_factory(db, redis_url=redis_server.url, demo=False)
    room = await c.registry.get("demo")
    assert room is not None
    t = room.feature(Topics).current
    assert t is not None and t.ref.id == pinned["id"] and t.count == len(TEXTS)
    assert t.users == {f"v{i}" for i in range(len(TEXTS))} and [x.text for x in t.comments] == TEXTS

    await host_b.send({"type": "topic_unpin", "cid": "u1"})
    assert (await host_b.expect("ack", cid="u1"))["msg"]["topic"] is None
    assert (await viewers[0].expect("topic"))["topic"] is None
