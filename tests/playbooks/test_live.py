"""Playbooks in a live room with real WebSocket clients (one node): what a document makes viewers see, its
traces, hot reload, pause, and that a failing or waiting run never holds up the room.

Two nodes, restarts and the contact budget across nodes: test_live_nodes.py.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from siyu.app import Node
from siyu.auth import Role
from tests.playbooks.support import (
    RELAXED,
    Watch,
    bearer,
    clock_passes,
    for_event,
    is_ack,
    is_comment,
    is_said,
    overview,
    put,
    run_of,
    runs,
    said_by,
)

pytestmark = pytest.mark.integration


async def room(node_factory: Any, connect: Any, db_url: str) -> tuple[Node, Watch, httpx.AsyncClient]:
    """A node on SQLite or PostgreSQL (the `db_url` fixture) with a host console connected."""
    node: Node = await node_factory(db_url, limits=RELAXED)
    host = Watch(await connect(node, user="host", role=Role.HOST, nickname="晚晚"))
    return node, host, httpx.AsyncClient(base_url=node.http_url, timeout=30)


HELLO = """
version: 1
playbooks:
  - id: hello
    trigger: {type: viewer_enter}
    actions:
      - {type: send_private, text: "欢迎{{ nickname }}来到{{ room_title }}"}
"""


async def test_a_viewer_entering_gets_the_personal_welcome_and_the_run_is_traced(
    node_factory: Any, connect: Any, db_url: str
) -> None:
    node, host, http = await room(node_factory, connect, db_url)
    async with http:
        await put(http, node, HELLO)
        v = Watch(await connect(node, user="v1", nickname="小鹿"))
        said = await v.until(lambda m: m.get("type") == "assistant" and m.get("intent") == "playbook")
        assert said["to"] == "user" and said["text"] == "欢迎小鹿来到晚晚的衣橱·秋冬上新专场"
        assert said["source"] == "playbook"

        run = await run_of(host, "hello", lambda r: r["user_id"] == "v1")
        assert run["status"] == "ok" and run["trigger"]["type"] == "viewer_enter"
        assert run["trigger"]["event"]["type"] == "viewer.entered"
        assert [(a["type"], a["status"], a["reading"]) for a in run["actions"]] == [
            ("send_private", "ok", said["text"])
        ]
        assert run["context"]["id"] and run["context"]["parent_id"] == run["trigger"]["event"]["id"]
        stored = await runs(http, node, "hello", 1)
        assert stored[0] == run  # GET …/playbooks/runs: the same trace, from the database

        await v.c.close()  # a second entry 15 s later at most: the message budget says no, the trace says why
        await connect(node, user="v1", nickname="小鹿")
        again = await run_of(host, "hello", lambda r: r["user_id"] == "v1" and r["id"] != run["id"])
        assert again["actions"][0]["status"] == "refused" and again["actions"][0]["code"] == "budget.gap"


DWELL_COUPON = """
version: 1
playbooks:
  - id: stay
    trigger: {type: dwell, seconds: 2}
    actions:
      - {type: push_coupon, coupon_id: C01, seconds: 60}
"""


async def test_dwell_drops_a_personal_coupon_through_the_coupons_feature(
    node_factory: Any, connect: Any, db_url: str
) -> None:
    node, host, http = await room(node_factory, connect, db_url)
    async with http:
        await put(http, node, DWELL_COUPON)
        v = Watch(await connect(node, user="v2", nickname="阿珍"))
        other = Watch(await connect(node, user="v3"))
        card = await v.until(lambda m: m.get("type") == "coupon_card")
        assert card["personal"] is True and card["coupon"]["id"] == "C01"
        assert card["quantity"] == 1 and card["countdown_s"] == 60
        run = await run_of(host, "stay", lambda r: r["user_id"] == "v2")
        assert run["status"] == "ok" and run["trigger"]["why"] == "停留 2 秒"
        assert run["actions"][0]["reading"].startswith("coupon_push")

        await v.c.send({"type": "claim", "cid": "k", "batch_id": card["batch_id"]})
        granted = await v.until(is_ack("k"))
        assert granted["grant"]["coupon_id"] == "C01"
        await other.c.send({"type": "claim", "cid": "k", "batch_id": card["batch_id"]})
        refused = await other.until(is_ack("k"))
        assert "error" in refused  # a personal drop is that viewer's alone


SHOW = """
version: 1
playbooks:
  - id: show
    cooldown_s: 3600
    trigger: {type: schedule, every_s: 1}
    actions:
      - {type: start_poll, question: 下一款讲哪个, options: [碎花, 牛仔]}
      - {type: pin_topic, text: 你最想要哪个颜色}
      - {type: pin_product, product_id: next}
"""


async def test_a_schedule_starts_a_poll_pins_a_topic_and_rotates_the_product(
    node_factory: Any, connect: Any, db_url: str
) -> None:
    node, host, http = await room(node_factory, connect, db_url)
    v = Watch(await connect(node, user="v4"))
    await host.c.send({"type": "pin", "cid": "p", "product_id": "P03"})  # link 3; link 4 is P08
    await host.until(is_ack("p"))
    async with http:
        await put(http, node, SHOW)
        poll = await v.until(lambda m: m.get("type") == "poll")
        assert poll["question"] == "下一款讲哪个" and [o["text"] for o in poll["options"]] == ["碎花", "牛仔"]
        topic = await v.until(lambda m: m.get("type") == "topic")
        assert topic["topic"]["text"] == "你最想要哪个颜色"
        pin = await v.until(lambda m: m.get("type") == "pin")
        assert pin["product"]["id"] == "P08"
        run = await run_of(host, "show")
        assert run["status"] == "ok" and [a["type"] for a in run["actions"]] == [
            "start_poll",
            "pin_topic",
            "pin_product",
        ]
        assert run["trigger"]["type"] == "schedule" and run["user_id"] is None


V1 = """
version: 1
playbooks:
  - id: old
    trigger: {type: comment, keywords: [旧词]}
    actions: [{type: broadcast, text: 旧词命中}]
"""
V2 = V1.replace("old", "new").replace("旧词", "新词")
INVALID = """
version: 1
playbooks:
  - id: bad
    trigger: {type: teleport}
    actions: [{type: broadcast, text: x}]
  - id: worse
    max: many
    trigger: {type: comment, keywords: [x]}
    actions: [{type: broadcast, text: "{{ password }}"}]
"""


async def test_an_invalid_document_is_refused_with_paths_and_a_new_one_replaces_the_triggers(
    node_factory: Any, connect: Any, db_url: str
) -> None:
    node, host, http = await room(node_factory, connect, db_url)
    v = Watch(await connect(node, user="v5"))
    o = Watch(await connect(node, user="v6"))
    async with http:
        v1 = await put(http, node, V1)
        r = await http.put("/api/rooms/demo/playbooks", json={"source": INVALID}, headers=bearer(node))
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert error["code"] == "playbook.invalid"
        paths = {e["path"] for e in error["errors"]}
        assert "playbooks[0].trigger" in paths and "playbooks[1].max" in paths, error
        assert all(e["message"] and e["type"] for e in error["errors"])
        still = await overview(http, node)
        assert still["version"] == v1 and still["source"] == V1 and still["problem"] is None

        await v.comment("c1", "旧词还在吗")
        await o.until(is_said("旧词命中"))  # the old version still runs

        await put(http, node, V2)
        old = await v.comment("c2", "旧词")
        new = await v.comment("c3", "新词")
        hit = await o.until(is_said("新词命中"))
        assert hit["seq"] > new["seq"] and not o.said("旧词命中", since=old["seq"])
        assert await said_by(node, "old", since=old["seq"]) == 0
        assert [p["id"] for p in (await overview(http, node))["playbooks"]] == ["new"]


PAUSABLE = """
version: 1
playbooks:
  - id: first
    trigger: {type: comment, keywords: [暂停词]}
    actions: [{type: broadcast, text: 第一个}]
  - id: second
    trigger: {type: comment, keywords: [暂停词]}
    actions: [{type: broadcast, text: 第二个}]
"""


async def test_pause_stops_a_playbook_and_resume_starts_it_again(
    node_factory: Any, connect: Any, db_url: str
) -> None:
    """`second` runs after `first` on the same comment, so its message marks where `first`'s would be."""
    node, host, http = await room(node_factory, connect, db_url)
    v = Watch(await connect(node, user="v7"))
    o = Watch(await connect(node, user="v8"))
    async with http:
        await put(http, node, PAUSABLE)
        a = await v.comment("a", "暂停词")
        one, two = await o.until(is_said("第一个")), await o.until(is_said("第二个"))
        assert a["seq"] < one["seq"] < two["seq"]

        r = await http.post(
            "/api/rooms/demo/playbooks/first/pause", json={"paused": True}, headers=bearer(node)
        )
        assert r.status_code == 200 and r.json()["paused"] is True, r.text
        b = await v.comment("b", "暂停词")
        await o.until(lambda m: is_said("第二个")(m) and m["seq"] > b["seq"])
        assert not o.said("第一个", since=b["seq"])
        listed = {p["id"]: p["paused"] for p in (await overview(http, node))["playbooks"]}
        assert listed == {"first": True, "second": False}

        r = await http.post(
            "/api/rooms/demo/playbooks/first/pause", json={"paused": False}, headers=bearer(node)
        )
        assert r.status_code == 200 and r.json()["paused"] is False, r.text
        c = await v.comment("c", "暂停词")
        back = await o.until(is_said("第一个"))
        assert back["seq"] > c["seq"]
        assert await said_by(node, "first") == 2 and await said_by(node, "second") == 3


SLOW_AND_BROKEN = """
version: 1
playbooks:
  - id: broken
    trigger: {type: comment, keywords: [福利]}
    actions:
      - {type: push_coupon, coupon_id: C99}
      - {type: broadcast, text: 券发完了}
  - id: slow
    trigger: {type: comment, keywords: [福利]}
    actions:
      - {type: wait, seconds: 30}
      - {type: broadcast, text: 三十秒后}
"""


async def test_a_failing_action_and_a_long_wait_never_hold_up_the_room(
    node_factory: Any, connect: Any, db_url: str
) -> None:
    node, host, http = await room(node_factory, connect, db_url)
    v = Watch(await connect(node, user="v9"))
    o = Watch(await connect(node, user="v10"))
    async with http:
        await put(http, node, SLOW_AND_BROKEN)
        await clock_passes([node], 1)  # the room's first tick (a wait before it ends there: see below)
        first = await v.comment("f1", "福利来了")
        echo = await o.until(is_comment("福利来了"))
        assert echo["seq"] == first["seq"]
        await o.until(is_said("券发完了"))  # the failing action is logged and the rest go on
        run = await run_of(host, "broken", for_event(first["seq"]))
        assert run["status"] == "partial"
        assert (run["actions"][0]["status"], run["actions"][0]["code"]) == ("failed", "coupon.unknown")
        assert run["actions"][1]["status"] == "ok"

        second = await v.comment("f2", "主播好美")  # the room goes on while `slow` waits its 30 s
        assert (await o.until(is_comment("主播好美")))["seq"] == second["seq"]
        third = await v.comment("f3", "福利还有吗")  # a new trigger while `slow` runs (mode single)
        assert (await o.until(is_comment("福利还有吗")))["seq"] == third["seq"]
        (skipped,) = await runs(http, node, "slow", 1, for_event(third["seq"]))  # not on the console
        assert skipped["status"] == "skipped" and skipped["note"].startswith("running")
        assert not o.said("三十秒后")
        assert not [r for m in host.msgs if m.get("type") == "automation" for r in m["runs"]
                    if r["playbook"] == "slow" and r["trigger"]["event"]["seq"] == first["seq"]]  # fmt: skip


WAIT = """
version: 1
playbooks:
  - id: later
    trigger: {type: comment, keywords: [等一等]}
    actions:
      - {type: wait, seconds: 12}
      - {type: broadcast, text: 十二秒后}
"""


async def test_a_wait_started_before_the_rooms_first_tick_lasts_its_seconds(
    node_factory: Any, connect: Any
) -> None:
    node: Node = await node_factory(limits=RELAXED, entry_banner_interval_s=10)  # the first tick at 10 s
    host = Watch(await connect(node, user="host", role=Role.HOST))
    v = Watch(await connect(node, user="v11"))
    async with httpx.AsyncClient(base_url=node.http_url, timeout=30) as http:
        await put(http, node, WAIT)
        asked = await v.comment("w", "等一等")
        run = await run_of(host, "later", for_event(asked["seq"]), timeout=40)
    assert run["status"] == "ok"
    assert run["finished_at"] - run["started_at"] >= 12_000, run
