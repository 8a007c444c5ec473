"""After a restart, what people see is rebuilt from the event log (issue 9, point 8), on SQLite and
PostgreSQL: the question panel and its answered state, the pinned product, the session's likes, the host
status, mutes and bans, follows, and reply targets."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from siyu.app import Node
from siyu.auth import Role
from tests.conftest import Client, make_settings

pytestmark = pytest.mark.integration


async def started(db_url: str, demo: bool) -> Node:
    node = Node(make_settings(db_url))
    await node.start()
    if demo:
        await node.ensure_demo_room("demo")
    return node


async def test_room_state_is_rebuilt_from_the_log_after_a_restart(db_url: str, connect: Any) -> None:
    node = await started(db_url, demo=True)
    try:
        host: Client = await connect(node, user="h", role=Role.HOST, nickname="晚晚")
        v: Client = await connect(node, user="v", nickname="小鹿")
        asked = []
        for i, text in enumerate(["这件有XL码吗？", "几天发货呀？", "主播多高？"]):
            await v.send({"type": "comment", "cid": f"q{i}", "text": text})
            asked.append((await v.expect("ack", cid=f"q{i}"))["seq"])
        await host.send({"type": "reply", "cid": "r1", "to_seq": asked[1], "text": "48小时内发货"})
        await host.expect("ack", cid="r1")
        await host.send({"type": "pin", "product_id": "P03", "cid": "p1"})
        await host.expect("ack", cid="p1")
        await host.send({"type": "host_status", "status": "away", "cid": "s1"})
        await host.expect("ack", cid="s1")
        mute = {"type": "moderate", "action": "mute", "user_id": "mutee", "minutes": 30, "cid": "m1"}
        await host.send(mute)
        await host.expect("ack", cid="m1")
        await host.send({"type": "moderate", "action": "ban", "user_id": "banned", "cid": "m2"})
        await host.expect("ack", cid="m2")
        await v.send({"type": "follow", "cid": "f1"})
        await v.expect("ack", cid="f1")
        await v.send({"type": "like", "count": 7, "cid": "l1"})
        await v.expect("ack", cid="l1")
        await host.close()
        await v.close()
    finally:
        await node.stop()

    node = await started(db_url, demo=False)  # a fresh process on the same database
    try:
        async with httpx.AsyncClient(base_url=node.http_url) as http:
            token = node.signer.issue(room="demo", user="h", role=Role.HOST)
            r = await http.get("/api/rooms/demo/questions", headers={"Authorization": f"Bearer {token}"})
            questions = {q["seq"]: q for q in r.json()}
            state = (await http.get("/api/rooms/demo")).json()
        assert set(asked) <= set(questions)
        assert [questions[s]["answered"] for s in asked] == [False, True, False]
        assert state["pinned"]["id"] == "P03"
        assert state["host_status"] == "away"
        assert state["likes"] == 7

        host2: Client = await connect(node, user="h", role=Role.HOST)
        snapshot = await host2.expect("questions")
        assert {q["seq"] for q in snapshot["items"]} >= set(asked)
        # a comment from before the restart can be replied to
        await host2.send({"type": "reply", "cid": "r2", "to_seq": asked[0], "text": "XL有货"})
        assert "seq" in await host2.expect("ack", cid="r2")

        v2: Client = await connect(node, user="v")
        await v2.send({"type": "follow", "cid": "f2"})
        assert await v2.expect("ack", cid="f2") == {"type": "ack", "cid": "f2"}  # not posted a second time
        mutee: Client = await connect(node, user="mutee")
        await mutee.send({"type": "comment", "cid": "x", "text": "我还能说话吗"})
        assert (await mutee.expect("ack", cid="x"))["error"]["code"] == "muted"
        banned: Client = await connect(node, user="banned")
        await banned.send({"type": "comment", "cid": "y", "text": "我回来了"})
        assert (await banned.expect("ack", cid="y"))["error"]["code"] == "banned"
    finally:
        await node.stop()
