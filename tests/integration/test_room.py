"""The room over real WebSockets, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from siyu.app import Node
from siyu.auth import Role
from siyu.store.tables import events, viewers
from tests.conftest import Client

pytestmark = pytest.mark.integration


async def user_log(node: Node, user: str, until: str, timeout: float = 10.0) -> list[str]:
    """The types of the user's events in the log, once `until` is among them (the log's writer commits in
    batches: the bound is for a failure only)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        async with node.db.engine.connect() as conn:
            q = select(events.c.type).where(events.c.user_id == user).order_by(events.c.ts, events.c.seq)
            types = [str(t) for (t,) in (await conn.execute(q)).all()]
        if until in types or loop.time() > deadline:
            return types
        await asyncio.sleep(0.02)


async def test_personal_welcome_first_then_returning(node: Node, connect: Any) -> None:
    first: Client = await connect(node, user="u1", nickname="小鹿", level=6)
    w = first.welcome
    assert w["you"] == {"id": "u1", "nick": "小鹿", "lvl": 6, "role": "viewer"}
    assert "小鹿" in w["text"] and "欢迎回来" not in w["text"]
    assert w["returning"] is False and w["visits"] == 1 and w["badge"] == "Lv6 粉丝"
    assert w["state"]["live"] is True and w["protocol"] == 1
    await first.close()
    assert "viewer.entered" in await user_log(node, "u1", "viewer.entered")  # the visit counts come from it
    again: Client = await connect(node, user="u1", nickname="小鹿", level=6)
    assert again.welcome["returning"] is True and again.welcome["visits"] == 2
    assert "欢迎回来" in again.welcome["text"]


async def test_welcome_only_to_the_entering_viewer_and_room_sees_banner(node: Node, connect: Any) -> None:
    watcher: Client = await connect(node, user="w")
    await connect(node, user="a", nickname="阿杰")
    await connect(node, user="b", nickname="糖糖", level=9)
    banner = await watcher.expect("enter", timeout=3)
    seen: list[dict[str, Any]] = [banner]
    while sum(b["count"] for b in seen) < 3:  # the watcher's own entry may land in a separate banner
        seen.append(await watcher.expect("enter", timeout=3))
    names = {u["nick"] for b in seen for u in b["users"]}
    assert {"阿杰", "糖糖"} <= names
    # nobody but the entering viewer ever gets a welcome frame
    await watcher.send({"type": "ping", "t": 1})
    while (msg := await watcher.recv()).get("type") != "pong":
        assert msg["type"] != "welcome"


async def test_comment_fans_out_with_monotonic_seq_and_is_durable(node: Node, connect: Any) -> None:
    alice: Client = await connect(node, user="alice", nickname="Alice")
    bob: Client = await connect(node, user="bob", nickname="Bob")
    for i in range(5):
        await alice.send({"type": "comment", "cid": f"c{i}", "text": f"第{i}条"})
    acks = [await alice.expect("ack", cid=f"c{i}") for i in range(5)]
    seqs = [a["seq"] for a in acks]
    assert seqs == sorted(seqs) and len(set(seqs)) == 5
    got = [await bob.expect("comment", text=f"第{i}条") for i in range(5)]
    assert [g["seq"] for g in got] == seqs
    assert all(g["user"]["nick"] == "Alice" and isinstance(g["ts"], int) for g in got)
    async with node.db.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(events.c.seq, events.c.payload).where(events.c.type == "comment.posted")
            )
        ).all()
    assert sorted(r.seq for r in rows) == seqs  # every acked comment is in the event log


async def test_retried_cid_is_not_posted_twice(node: Node, connect: Any) -> None:
    c: Client = await connect(node, user="u")
    await c.send({"type": "comment", "cid": "same", "text": "你好"})
    first = await c.expect("ack", cid="same")
    await c.send({"type": "comment", "cid": "same", "text": "你好"})
    second = await c.expect("ack", cid="same")
    assert first["seq"] == second["seq"]
    async with node.db.engine.connect() as conn:
        n = len((await conn.execute(select(events.c.id).where(events.c.type == "comment.posted"))).all())
    assert n == 1


async def test_question_reaches_host_panel_and_reply_marks_it(node: Node, connect: Any) -> None:
    host: Client = await connect(node, user="host", role=Role.HOST, nickname="晚晚")
    assert (await host.expect("questions"))["items"] == []
    viewer: Client = await connect(node, user="v1", nickname="小鹿")
    await viewer.send({"type": "comment", "cid": "q1", "text": "这件有XL码吗"})
    await viewer.send({"type": "comment", "cid": "c2", "text": "主播好美"})
    ack = await viewer.expect("ack", cid="q1")
    q = await host.expect("question")
    assert q["seq"] == ack["seq"] and q["text"] == "这件有XL码吗" and q["user"]["nick"] == "小鹿"
    assert q["answered"] is False
    await host.send({"type": "reply", "cid": "r1", "to_seq": q["seq"], "text": "有的宝宝，XL有货"})
    reply = await viewer.expect("reply")
    assert reply["reply_to"] == {"seq": q["seq"], "user": q["user"], "text": "这件有XL码吗"}
    assert reply["user"]["role"] == "host" and reply["text"] == "有的宝宝，XL有货"
    answered = await host.expect("answered", seq=q["seq"])
    assert answered["reply_seq"] == reply["seq"] and answered["by"] == "晚晚"
    # a host console opened later gets the panel with the question marked answered
    late: Client = await connect(node, user="asst", role=Role.ASSISTANT)
    items = (await late.expect("questions"))["items"]
    assert [(i["seq"], i["answered"]) for i in items] == [(q["seq"], True)]


async def test_host_only_actions_are_refused_to_viewers(node: Node, connect: Any) -> None:
    viewer: Client = await connect(node, user="v")
    await viewer.send({"type": "comment", "cid": "c", "text": "你好"})
    seq = (await viewer.expect("ack", cid="c"))["seq"]
    await viewer.send({"type": "reply", "cid": "r", "to_seq": seq, "text": "冒充主播"})
    assert (await viewer.expect("ack", cid="r"))["error"]["code"] == "forbidden_role"
    await viewer.send({"type": "pin", "cid": "p", "product_id": "P01"})
    assert (await viewer.expect("ack", cid="p"))["error"]["code"] == "forbidden_role"


async def test_likes_gifts_follow_and_pin_update_room(node: Node, connect: Any) -> None:
    host: Client = await connect(node, user="host", role=Role.HOST)
    v: Client = await connect(node, user="v", nickname="小鹿")
    await v.send({"type": "like", "count": 7, "cid": "l1"})
    assert "seq" not in await v.expect("ack", cid="l1")
    state = await v.expect("state", timeout=3, likes=7)
    assert state["online"] == 2
    await v.send({"type": "gift", "gift_id": "rose", "count": 2, "cid": "g1"})
    gift = await host.expect("gift")
    assert gift["gift"] == {"id": "rose", "name": "玫瑰", "coins": 20} and gift["count"] == 2
    await v.send({"type": "gift", "gift_id": "nope", "cid": "g2"})
    assert (await v.expect("ack", cid="g2"))["error"]["code"] == "unknown_gift"
    await v.send({"type": "follow", "cid": "f1"})
    assert (await host.expect("follow"))["user"]["id"] == "v"
    await host.send({"type": "pin", "cid": "p1", "product_id": "P03"})
    pin = await v.expect("pin")
    assert pin["product"]["id"] == "P03" and pin["product"]["link_no"] == 3
    assert (await v.expect("state", timeout=3))["pinned"]["id"] == "P03"
    await host.send({"type": "pin", "cid": "p2", "product_id": "P99"})
    assert (await host.expect("ack", cid="p2"))["error"]["code"] == "unknown_product"


async def test_presence_flow_goes_to_host(node: Node, connect: Any) -> None:
    host: Client = await connect(node, user="host", role=Role.HOST)
    v: Client = await connect(node, user="v", nickname="过客")
    await v.close()
    entered: set[str] = set()
    left: set[str] = set()
    while "v" not in left:
        p = await host.expect("presence", timeout=3)
        entered |= {u["id"] for u in p["entered"]}
        left |= {u["id"] for u in p["left"]}
    assert "v" in entered
    types = await user_log(node, "v", "viewer.left")
    async with node.db.engine.connect() as conn:
        profile = (await conn.execute(select(viewers).where(viewers.c.id == "v"))).first()
    assert types == ["viewer.entered", "viewer.left"]
    assert profile is not None and profile.nickname == "过客"


async def test_resume_returns_gap_or_resync(node: Node, connect: Any) -> None:
    a: Client = await connect(node, user="a")
    epoch, start = a.welcome["epoch"], a.welcome["seq"]
    for i in range(3):
        await a.send({"type": "comment", "cid": f"c{i}", "text": f"m{i}"})
        await a.expect("ack", cid=f"c{i}")
    b: Client = await connect(node, user="b")
    await b.resume(start + 1, epoch)
    texts = [(await b.expect("comment"))["text"] for _ in range(2)]
    assert texts == ["m1", "m2"]
    done = await b.expect("resumed")
    assert done["from"] == start + 1 and done["to"] == start + 3 and done["count"] == 2
    await b.resume(start, "another-epoch")
    resync = await b.expect("resync")
    assert resync["epoch"] == epoch and resync["seq"] == start + 3 and resync["state"]["live"] is True


async def test_live_session_start_and_end_over_http(node: Node, connect: Any) -> None:
    import httpx

    host_token = node.signer.issue(room="demo", user="host", role=Role.HOST)
    viewer_token = node.signer.issue(room="demo", user="v", role=Role.VIEWER)
    v: Client = await connect(node, user="v")
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        r = await http.delete("/api/rooms/demo/live", headers={"Authorization": f"Bearer {viewer_token}"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "auth.forbidden_role"
        r = await http.delete("/api/rooms/demo/live", headers={"Authorization": f"Bearer {host_token}"})
        assert r.status_code == 200
        assert (await v.expect("live"))["live"] is False
        r = await http.delete("/api/rooms/demo/live", headers={"Authorization": f"Bearer {host_token}"})
        assert r.status_code == 409 and r.json()["error"]["code"] == "room.not_live"
        r = await http.post(
            "/api/rooms/demo/live", json={"title": "返场"}, headers={"Authorization": f"Bearer {host_token}"}
        )
        assert r.status_code == 201
        live = await v.expect("live")
        assert live["live"] is True and live["title"] == "返场"
        state = (await http.get("/api/rooms/demo")).json()
        assert state["live"] is True and state["likes"] == 0


async def test_reply_event_is_linked_to_the_question_it_answers(node: Node, connect: Any) -> None:
    host: Client = await connect(node, user="host", role=Role.HOST)
    viewer: Client = await connect(node, user="v", nickname="小鹿")
    await viewer.send({"type": "comment", "cid": "q", "text": "包邮吗"})
    seq = (await viewer.expect("ack", cid="q"))["seq"]
    await host.send({"type": "reply", "cid": "r", "to_seq": seq, "text": "全国包邮"})
    await host.expect("ack", cid="r")
    async with node.db.engine.connect() as conn:
        rows = {
            r.type: r
            for r in (await conn.execute(
                select(events.c.id, events.c.type, events.c.ctx_parent, events.c.actor)
                .where(events.c.type.in_(["comment.posted", "host.replied"]))
            )).all()
        }  # fmt: skip
    assert rows["host.replied"].ctx_parent == rows["comment.posted"].id
    assert rows["comment.posted"].actor == "v" and rows["host.replied"].actor == "host"
