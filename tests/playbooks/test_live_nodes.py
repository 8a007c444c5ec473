"""Playbooks across nodes and restarts, with real WebSocket clients: two nodes sharing one database (a SQLite
file or PostgreSQL) and one Redis fire each trigger once per viewer / occurrence, follow a document uploaded
on the other node and its pauses, spend one contact budget; a restarted node rebuilds stages from the log;
the default document (companion mode, many asked) answers the room once whichever nodes the askers are on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from siyu.app import Node
from siyu.auth import Role
from siyu.playbooks.feature import shipped
from siyu.store.tables import contact_budget, events
from tests.conftest import RedisProcess, make_settings
from tests.playbooks.support import (
    RELAXED,
    Watch,
    at_seq,
    bearer,
    clock_passes,
    fires,
    for_event,
    is_ack,
    is_comment,
    is_said,
    overview,
    put,
    run_of,
    running,
    runs,
    said_by,
    settled,
)

pytestmark = pytest.mark.integration


async def two_nodes(node_factory: Callable[..., Any], db_url: str, redis: RedisProcess) -> tuple[Node, Node]:
    a: Node = await node_factory(db_url, redis_url=redis.url, limits=RELAXED)
    b: Node = await node_factory(db_url, redis_url=redis.url, limits=RELAXED, demo=False)
    await b.registry.get("demo")
    return a, b


TWO = """
version: 1
playbooks:
  - id: stay
    trigger: {type: dwell, seconds: 2}
    actions: [{type: send_private, text: "{{ nickname }}，谢谢你一直在"}]
  - id: tick
    trigger: {type: schedule, every_s: 1}
    actions: [{type: broadcast, text: 整点播报}]
"""


def private(m: dict[str, Any]) -> bool:
    return m.get("type") == "assistant" and m.get("to") == "user" and m.get("intent") == "playbook"


async def test_two_nodes_fire_once_per_viewer_and_occurrence_follow_uploads_and_pauses(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Any, db_url: str
) -> None:
    a, b = await two_nodes(node_factory, db_url, redis_server)
    host = Watch(await connect(a, user="host", role=Role.HOST))
    async with (
        httpx.AsyncClient(base_url=a.http_url, timeout=30) as on_a,
        httpx.AsyncClient(base_url=b.http_url, timeout=30) as on_b,
    ):
        version = await put(on_a, a, TWO)  # uploaded on A ...
        await running(on_b, b, version)  # ... B follows the `playbooks.changed` event and runs it
        va = Watch(await connect(a, user="va", nickname="阿一"))
        vb = Watch(await connect(b, user="vb", nickname="阿二"))
        both = [Watch(await connect(a, user="vab", nickname="两边")), Watch(await connect(b, user="vab"))]
        viewers = [va, vb, *both]

        for v in (va, vb):  # B's engine runs the new version: its viewer's dwell fires there
            assert (await v.until(private))["text"] == f"{'阿一' if v is va else '阿二'}，谢谢你一直在"
        start = await host.comment("s0", "开始计数")
        for v in viewers:
            await v.until(lambda m: is_said("整点播报")(m) and m["seq"] > start["seq"])
            await v.until(lambda m: is_said("整点播报")(m) and m["seq"] > start["seq"])
        r = await on_a.post("/api/rooms/demo/playbooks/tick/pause", json={"paused": True}, headers=bearer(a))
        assert r.status_code == 200, r.text
        await running(on_b, b, r.json()["version"], paused={"tick"})  # paused on A, so on B
        await settled([a, b], "tick")
        stop = await host.comment("s1", "停止计数")
        for v in viewers:
            await v.until(is_comment("停止计数"))

        # each occurrence was broadcast once: the log, the claims, the traces and every viewer agree
        window = await said_by(a, "tick", since=start["seq"], before=stop["seq"])
        assert window >= 2
        assert [len(v.said("整点播报", start["seq"], stop["seq"])) for v in viewers] == [window] * 4
        total = await said_by(a, "tick")
        assert await fires(a, "tick") == total
        traced = await runs(on_a, a, "tick", total)
        assert len(traced) == total and {t["status"] for t in traced} == {"ok"}

        # each viewer's dwell fired once, on one node (vab is on both)
        stayed = await runs(on_a, a, "stay", 3)
        assert sorted(t["user_id"] for t in stayed) == ["va", "vab", "vb"]
        assert await said_by(a, "stay") == 3
        assert sum(v.count("assistant", to="user", intent="playbook") for v in both) == 1

        await clock_passes([a, b], 2500)  # two more ticks on each node: paused, nothing more
        again = await host.comment("s2", "暂停后")
        for v in viewers:
            await v.until(is_comment("暂停后"))
            assert not v.said("整点播报", stop["seq"], again["seq"])
        assert await said_by(a, "tick") == total
        summary = {p["id"]: p["paused"] for p in (await overview(on_b, b))["playbooks"]}
        assert summary == {"stay": False, "tick": True}


INVITE = """
version: 1
playbooks:
  - id: invite
    trigger: {type: comment, keywords: [扣1]}
    actions:
      - type: invite_private_domain
        channel: follow_notify
        text: 关注主播，下次开播提醒你
        override_value_gate: true
"""


async def test_one_viewer_triggering_an_invite_on_two_nodes_at_once_gets_one_invite(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Any, db_url: str
) -> None:
    a, b = await two_nodes(node_factory, db_url, redis_server)
    host = Watch(await connect(a, user="host", role=Role.HOST))
    async with (
        httpx.AsyncClient(base_url=a.http_url, timeout=30) as on_a,
        httpx.AsyncClient(base_url=b.http_url, timeout=30) as on_b,
    ):
        await running(on_b, b, await put(on_a, a, INVITE))
        fan = [Watch(await connect(a, user="fan", nickname="铁粉")), Watch(await connect(b, user="fan"))]
        await asyncio.gather(
            *(f.c.send({"type": "comment", "cid": f"k{i}", "text": "扣1"}) for i, f in enumerate(fan))
        )
        acks = [await f.until(is_ack(f"k{i}")) for i, f in enumerate(fan)]
        traced = [await run_of(host, "invite", for_event(ack["seq"])) for ack in acks]  # one per node
        steps = sorted((t["actions"][0]["status"], t["actions"][0].get("code")) for t in traced)
        assert steps == [("ok", None), ("refused", "budget.gap")], traced
        done = next(t for t in traced if t["actions"][0]["status"] == "ok")
        assert done["actions"][0]["note"].startswith("override_value_gate")
        for i, f in enumerate(fan):  # whatever either node sent this connection arrived before this ack
            await f.comment(f"after{i}", "好的")
        assert sum(f.count("invite") for f in fan) == 1
        invite = next(m for f in fan for m in f.msgs if m.get("type") == "invite")
        assert invite["channel"] == "follow_notify" and invite["text"] == "关注主播，下次开播提醒你"
    async with a.db.engine.connect() as conn:
        sent = await conn.scalar(select(func.count()).where(events.c.type == "invite.sent"))
        state = await conn.scalar(select(contact_budget.c.state).where(contact_budget.c.user_id == "fan"))
    assert sent == 1 and state is not None and state["counts"] == {"invite": 1}


async def test_many_asking_on_two_nodes_get_one_room_answer_from_the_default_document(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Any, db_url: str
) -> None:
    a, b = await two_nodes(node_factory, db_url, redis_server)
    host = Watch(await connect(a, user="host", role=Role.HOST, nickname="晚晚"))
    await host.c.send({"type": "pin", "cid": "p", "product_id": "P01"})
    await host.until(is_ack("p"))
    async with httpx.AsyncClient(base_url=b.http_url, timeout=30) as on_b:
        default = await overview(on_b, b)
    assert default["version"] == 0 and [p["id"] for p in default["playbooks"]] == ["companion", "answer_many"]
    watchers = [Watch(await connect(a, user="wa")), Watch(await connect(b, user="wb"))]
    for i, (node, text) in enumerate([(a, "这件多少钱"), (b, "这个多少钱呀"), (b, "这件多少钱啊")]):
        asker = Watch(await connect(node, user=f"ask{i}", nickname=f"问{i}"))
        ack = await asker.comment(f"q{i}", text)
        mine = await asker.until(lambda m: m.get("type") == "assistant" and m.get("to") == "user")
        assert "159" in mine["text"]
        for w in watchers:  # both nodes have counted this asker before the next one asks
            await w.until(at_seq("comment", ack["seq"]))
    answers = [
        await w.until(lambda m: m.get("type") == "assistant" and m.get("to") == "room") for w in watchers
    ]
    assert answers[0] == answers[1] and answers[0]["asked"] == 3 and "159" in answers[0]["text"]
    end = await host.comment("end", "好的大家")
    for w in watchers:
        await w.until(is_comment("好的大家"))
        assert sum(m.get("type") == "assistant" and m.get("to") == "room" for m in w.msgs) == 1
    said = [r for r in await _answered(a) if r["payload"]["to"] == "room" and r["seq"] < end["seq"]]
    assert len(said) == 1


async def test_companion_mode_on_two_nodes_says_each_line_once(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Any, db_url: str
) -> None:
    """The shipped companion playbook (every 1 s here): whichever node claims an occurrence reads the host's
    status from the room stream; every viewer hears each line once."""
    a, b = await two_nodes(node_factory, db_url, redis_server)
    host = Watch(await connect(a, user="host", role=Role.HOST, nickname="晚晚"))
    async with (
        httpx.AsyncClient(base_url=a.http_url, timeout=30) as on_a,
        httpx.AsyncClient(base_url=b.http_url, timeout=30) as on_b,
    ):
        await running(on_b, b, await put(on_a, a, shipped("assistant").replace("every_s: 30", "every_s: 1")))
    watchers = [Watch(await connect(a, user="wa")), Watch(await connect(b, user="wb"))]
    await host.c.send({"type": "host_status", "cid": "away", "status": "away"})
    away = await host.until(is_ack("away"))

    def line(m: dict[str, Any]) -> bool:
        return m.get("type") == "assistant" and m.get("intent") == "companion" and m["seq"] > away["seq"]

    for w in watchers:
        for _ in range(3):
            await w.until(line)
    await host.c.send({"type": "host_status", "cid": "back", "status": "live"})
    back = await host.until(is_ack("back"))
    for w in watchers:  # both nodes follow the host back: no node says another line
        await w.until(lambda m: m.get("type") == "host_status" and m.get("seq") == back["seq"])
    await settled([a, b], "companion")
    end = await host.comment("end", "我回来啦")
    for w in watchers:
        await w.until(is_comment("我回来啦"))
    logged = [
        r["seq"]
        for r in await _answered(a)
        if r["payload"]["intent"] == "companion" and away["seq"] < r["seq"] < end["seq"]
    ]
    assert len(logged) >= 3
    for w in watchers:
        assert [m["seq"] for m in w.msgs if m.get("type") == "assistant" and m.get("intent") == "companion"
                and away["seq"] < m["seq"] < end["seq"]] == logged  # fmt: skip


async def test_a_fourth_asker_on_the_other_node_within_a_minute_gets_no_second_room_answer(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Any, tmp_path: Any
) -> None:
    a, b = await two_nodes(node_factory, f"sqlite+aiosqlite:///{tmp_path}/shared.db", redis_server)
    host = Watch(await connect(a, user="host", role=Role.HOST))
    await host.c.send({"type": "pin", "cid": "p", "product_id": "P01"})
    await host.until(is_ack("p"))
    on_b = Watch(await connect(b, user="wb"))
    for i, node in enumerate([a, a, a, b]):
        asker = Watch(await connect(node, user=f"ask{i}"))
        ack = await asker.comment(f"q{i}", "这件多少钱")
        await asker.until(lambda m: m.get("type") == "assistant" and m.get("to") == "user")
        await on_b.until(at_seq("comment", ack["seq"]))  # B has counted every asker so far
        if i == 2:
            first = await on_b.until(lambda m: m.get("type") == "assistant" and m.get("to") == "room")
            assert first["asked"] == 3
    end = await host.comment("end", "大家稍等")
    await on_b.until(is_comment("大家稍等"))
    said = [r for r in await _answered(a) if r["payload"]["to"] == "room" and r["seq"] < end["seq"]]
    assert len(said) == 1, [r["payload"]["text"] for r in said]


async def _answered(node: Node) -> list[Any]:
    async with node.db.engine.connect() as conn:
        q = select(events).where(events.c.type == "assistant.answered").order_by(events.c.seq)
        return list((await conn.execute(q)).mappings().all())


async def test_the_room_answer_of_the_default_document_is_attributed_to_its_playbook(
    node_factory: Callable[..., Any], connect: Any
) -> None:
    node: Node = await node_factory(limits=RELAXED)
    host = Watch(await connect(node, user="host", role=Role.HOST))
    await host.c.send({"type": "pin", "cid": "p", "product_id": "P01"})
    await host.until(is_ack("p"))
    watcher = Watch(await connect(node, user="w"))
    for i in range(3):
        asker = Watch(await connect(node, user=f"ask{i}"))
        await asker.comment(f"q{i}", "这件多少钱")
    await watcher.until(lambda m: m.get("type") == "assistant" and m.get("to") == "room")
    run = await run_of(host, "answer_many")
    (said,) = [r for r in await _answered(node) if r["payload"]["to"] == "room"]
    assert said["actor"] == "pb:answer_many" and said["ctx_parent"] == run["context"]["parent_id"]


RESTART = """
version: 1
playbooks:
  - id: echo
    trigger: {type: comment, keywords: [求链接]}
    actions: [{type: broadcast, text: 收到求链接}]
  - id: vip
    trigger: {type: comment, keywords: [求链接]}
    conditions: [{type: viewer, stage: [conversion]}]
    actions: [{type: broadcast, text: "{{ nickname }} 的专属链接来啦"}]
"""


async def started(db_url: str) -> Node:
    node = Node(make_settings(db_url, limits=RELAXED))
    await node.start()
    await node.ensure_demo_room("demo")  # the same live session after a restart
    return node


async def test_stages_and_scores_are_rebuilt_from_the_log_after_a_restart(db_url: str, connect: Any) -> None:
    node = await started(db_url)
    try:
        async with httpx.AsyncClient(base_url=node.http_url, timeout=30) as http:
            await put(http, node, RESTART)
            r = await http.post(
                "/api/rooms/demo/playbooks/echo/pause", json={"paused": True}, headers=bearer(node)
            )
            assert r.status_code == 200, r.text
        v = Watch(await connect(node, user="loyal", nickname="老铁"))
        for i in range(8):  # 8 comments x 2 points: conversion (15)
            await v.comment(f"c{i}", f"好看{i}")
        await v.c.close()
    finally:
        await node.stop()

    node = await started(db_url)  # a fresh node on the same database replays the session
    try:
        host = Watch(await connect(node, user="host", role=Role.HOST))
        fresh = Watch(await connect(node, user="fresh", nickname="新人"))
        loyal = Watch(await connect(node, user="loyal", nickname="老铁"))
        tried = await fresh.comment("n", "求链接")
        asked = await loyal.comment("l", "求链接")
        said = await fresh.until(is_said("老铁 的专属链接来啦"))
        assert said["seq"] > asked["seq"] and not fresh.said("新人 的专属链接来啦")
        assert not fresh.said("收到求链接")  # `echo` (before `vip` in the document) stayed paused
        refused = await run_of(host, "vip", for_event(tried["seq"]))
        assert (
            refused["status"] == "conditions_failed" and refused["conditions"][0]["reading"] == "阶段 entry"
        )
        passed = await run_of(host, "vip", for_event(asked["seq"]))
        assert passed["status"] == "ok" and passed["conditions"][0]["reading"] == "阶段 conversion"
    finally:
        await node.stop()
