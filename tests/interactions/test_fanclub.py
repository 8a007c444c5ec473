"""The fan club (粉丝团) with real WebSocket clients: join free or by the 灯牌 gift, an idempotent join, XP
per source with the daily caps, levels and the level-up message, the idle pause with an injected clock and its
re-lighting, the record's level over the token's, the 粉丝团 coupon, restart, and the staff's top members."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from siyu.app import Node, demo_catalog
from siyu.auth import Role
from siyu.interactions import FanClub
from siyu.interactions.fanclub_rules import DAY_MS, LEVELS, MINUTE_MS, ClubConfig, is_lit, level_of, next_xp
from siyu.rooms.gifts import GIFTS
from siyu.store.tables import events, fan_members
from tests.conftest import Client, make_settings

RELAXED = {"comment_rate": "100/second", "like_rate": "1000/second"}


async def fan_me(c: Client, pred: Callable[[dict[str, Any]], bool], timeout: float = 10) -> dict[str, Any]:
    """The first `fanclub_me` whose membership passes `pred` (each flush that touched it sends one)."""
    seen: list[dict[str, Any]] = []
    deadline_left = timeout
    while True:
        msg = await c.expect("fanclub_me", timeout=deadline_left)
        seen.append(msg["fanclub"])
        if pred(msg["fanclub"]):
            return dict(msg["fanclub"])
        deadline_left = max(0.5, deadline_left - 0.5)


async def club_of(node: Node, room_id: str = "demo") -> FanClub:
    room = await node.registry.get(room_id)
    assert room is not None
    return room.feature(FanClub)


async def join(c: Client, cid: str = "j1") -> dict[str, Any]:
    await c.send({"type": "fanclub_join", "cid": cid})
    return await c.expect("ack", cid=cid)


async def rows(node: Node) -> list[Any]:
    async with node.db.engine.connect() as conn:
        return list((await conn.execute(select(fan_members))).all())


def test_levels_grow_and_the_club_name_comes_from_the_shop_or_the_host() -> None:
    assert [level_of(x) for x in (0, 49, 50, 149, 150, 2999, 3000, 27999, 28000, 10**9)] == [
        1, 1, 2, 2, 3, 9, 10, 19, 20, 20,
    ]  # fmt: skip
    steps = [b - a for a, b in zip(LEVELS, LEVELS[1:], strict=False)]
    assert len(LEVELS) == 20 and all(b >= a for a, b in zip(steps, steps[1:], strict=False))
    assert next_xp(1) == 50 and next_xp(20) is None
    assert ClubConfig.of({}, "晚晚", "晚晚的衣橱").name == "晚晚家"
    assert ClubConfig.of({"fan_club_name": "小美家"}, "晚晚", "店").name == "小美家"
    odd = ClubConfig.of({"fan_club_name": 7, "fan_club_free_join": "no", "fan_club_gift": ""}, "", "")
    assert odd == ClubConfig("粉丝团", True, "fanclub_light")
    assert GIFTS["fanclub_light"].coins == 1
    assert is_lit(100, 107) and not is_lit(100, 108)  # idle for more than 7 days: paused


async def test_join_free_is_idempotent_and_the_next_comment_wears_the_badge(node: Node, connect: Any) -> None:
    viewer = await connect(node, user="u1", nickname="小鹿", level=30)
    other = await connect(node, user="u2", nickname="糖糖")
    assert viewer.welcome["me"]["fanclub"] == {"name": "晚晚家", "free_join": True, "gift": "fanclub_light",
                                               "member": False}  # fmt: skip
    assert viewer.welcome["state"]["fanclub"]["members"] == 0
    first = await join(viewer)
    assert first["seq"] > 0 and first["fanclub"]["member"] and first["fanclub"]["level"] == 1
    assert first["fanclub"]["badge"] == {"name": "晚晚家", "level": 1, "active": True}
    line = await other.expect("fanclub_joined")
    assert line["seq"] == first["seq"] and line["user"]["nick"] == "小鹿" and line["via"] == "free"
    assert (await join(viewer))["seq"] == first["seq"]  # a re-sent cid: its first ack
    again = await join(viewer, "j2")  # a member already: the membership, no second join
    assert "seq" not in again and again["fanclub"]["member"]
    back = await connect(node, user="u1", nickname="小鹿", level=30)  # the same cid on a new connection
    assert (await join(back))["seq"] == first["seq"]
    assert len(await rows(node)) == 1

    await viewer.send({"type": "comment", "cid": "c1", "text": "来了"})
    mine = (await viewer.expect("ack", cid="c1"))["msg"]
    assert mine["badge"] == {"name": "晚晚家", "level": 1, "active": True} and mine["user"]["lvl"] == 1
    seen = await other.expect("comment", cid="c1")
    assert seen["badge"]["name"] == "晚晚家"
    await other.send({"type": "comment", "cid": "c2", "text": "我不是"})
    assert "badge" not in (await other.expect("ack", cid="c2"))["msg"]
    await other.expect("state", **{"fanclub": {"name": "晚晚家", "free_join": True, "gift": "fanclub_light",
                                               "members": 1}})  # fmt: skip
    async with node.db.engine.connect() as conn:
        joined = await conn.scalar(select(func.count()).where(events.c.type == "fanclub.joined"))
    assert joined == 1


async def test_join_by_the_light_gift_and_a_shop_without_free_join(node_factory: Any, connect: Any) -> None:
    node: Node = await node_factory()
    doc = demo_catalog()
    doc["shop"] = {**doc["shop"], "fan_club_name": "小美家", "fan_club_free_join": False}
    await node.rooms.load_catalog("xiaomei", doc)
    await node.rooms.create_room("r2", "xiaomei", "小美的店")
    viewer = await connect(node, user="u1", room="r2", nickname="小鹿")
    assert viewer.welcome["state"]["fanclub"]["name"] == "小美家"
    await viewer.send({"type": "fanclub_join", "cid": "j1"})
    refused = await viewer.expect("ack", cid="j1")
    assert refused["error"]["code"] == "fanclub.gift_required"
    await viewer.send({"type": "gift", "gift_id": "fanclub_light", "cid": "g1"})
    await viewer.expect("ack", cid="g1")
    line = await viewer.expect("fanclub_joined")
    assert line["via"] == "gift" and line["club"] == "小美家"
    got = await fan_me(viewer, lambda f: f.get("xp") == 1)  # the 1-coin gift counts after the join
    assert got["level"] == 1 and got["tasks"][3] == {"source": "gift", "xp": 1, "cap": None}
    await viewer.send({"type": "gift", "gift_id": "fanclub_light", "cid": "g2"})  # a member: only XP
    await fan_me(viewer, lambda f: f.get("xp") == 2)
    assert len(await rows(node)) == 1


async def test_xp_per_source_with_the_daily_caps(node_factory: Any, connect: Any) -> None:
    node: Node = await node_factory(limits=RELAXED)
    viewer = await connect(node, user="u1", nickname="小鹿")
    await join(viewer)
    club = await club_of(node)
    for i in range(11):  # 2 XP each, 20 a day: the 11th gives nothing
        await viewer.send({"type": "comment", "cid": f"c{i}", "text": f"第{i}条"})
        await viewer.expect("ack", cid=f"c{i}")
    got = await fan_me(viewer, lambda f: f["tasks"][1]["xp"] == 20)
    await viewer.send({"type": "like", "count": 100})  # 1 XP per 10 likes, 10 a day
    await viewer.send({"type": "like", "count": 55, "cid": "l2"})
    await viewer.expect("ack", cid="l2")
    got = await fan_me(viewer, lambda f: f["tasks"][2]["xp"] == 10)
    await viewer.send({"type": "gift", "gift_id": "rose", "cid": "g1"})  # 20 coins: 20 XP, no cap
    await viewer.expect("ack", cid="g1")
    got = await fan_me(viewer, lambda f: f["tasks"][3]["xp"] == 20)
    club.award("u1", "purchase", 600)  # 1 XP per yuan, 500 a day
    club.award("u1", "watch", 40)  # 1 XP per minute, 30 a day
    got = await fan_me(viewer, lambda f: f["tasks"][4]["xp"] == 500 and f["tasks"][0]["xp"] == 30)
    assert got["xp"] == 20 + 10 + 20 + 500 + 30 and got["level"] == level_of(580) == 5
    assert [t["cap"] for t in got["tasks"]] == [30, 20, 10, None, 500]
    await viewer.send({"type": "comment", "cid": "more", "text": "再来"})
    await viewer.expect("ack", cid="more")
    club.award("u1", "gift", 1.9)  # a flush to see the comment made nothing more (1.9 coins: 1)
    got = await fan_me(viewer, lambda f: f["tasks"][3]["xp"] == 21)
    assert got["xp"] == 581 and got["tasks"][1]["xp"] == 20
    odd_ones = [("u1", "coins", 1), ("u1", "gift", -1), ("u1", "gift", True), ("u1", "gift", 10**10),
                ("u1", "gift", float("nan")), ("u1", "gift", float("inf")), ("u1", "gift", "1")]  # fmt: skip
    for odd in odd_ones:
        with pytest.raises(ValueError):
            club.award(*odd)  # type: ignore[arg-type]


async def test_watch_minutes_count_once_a_minute_and_the_next_day_starts_again(
    sqlite_node: Node, connect: Any
) -> None:
    viewer = await connect(sqlite_node, user="u1", nickname="小鹿")
    await join(viewer)
    club = await club_of(sqlite_node)
    t = (club.clock() // DAY_MS + 1) * DAY_MS + 10 * MINUTE_MS  # a fresh minute, the next day or so
    club.clock = lambda: t
    club.step(t)
    assert (await fan_me(viewer, lambda f: f["xp"] == 1))["tasks"][0]["xp"] == 1
    club.step(t)  # the same minute again: nothing to count
    club.award("u1", "watch", 1)  # nor from outside, within the minute already counted
    club.award("u1", "like", 10)
    got = await fan_me(viewer, lambda f: f["tasks"][2]["xp"] == 1)
    assert got["tasks"][0]["xp"] == 1
    t2 = t + DAY_MS  # the next day: today's counters start at 0
    club.clock = lambda: t2
    club.step(t2)
    got = await fan_me(viewer, lambda f: f["xp"] == 3)
    assert got["tasks"][0]["xp"] == 1 and got["tasks"][2]["xp"] == 0


async def test_a_level_up_is_told_to_the_viewer_and_logged(sqlite_node: Node, connect: Any) -> None:
    viewer = await connect(sqlite_node, user="u1", nickname="小鹿")
    await join(viewer)
    await viewer.send({"type": "gift", "gift_id": "sportscar", "cid": "g1"})  # 1,200 coins
    up = await viewer.expect("fanclub_level")
    assert (up["level"], up["previous"], up["xp"], up["next_xp"]) == (7, 1, 1200, 1700)
    assert up["badge"] == {"name": "晚晚家", "level": 7, "active": True}
    assert (await fan_me(viewer, lambda f: f["level"] == 7))["level_xp"] == 1200
    await viewer.send({"type": "comment", "cid": "c1", "text": "升级啦"})
    assert (await viewer.expect("ack", cid="c1"))["msg"]["user"]["lvl"] == 7
    async with sqlite_node.db.engine.connect() as conn:
        logged = (
            await conn.execute(select(events.c.payload).where(events.c.type == "fanclub.leveled"))
        ).all()
    assert [p["level"] for (p,) in logged] == [7]


async def test_idle_for_more_than_7_days_pauses_and_a_comment_relights(
    sqlite_node: Node, connect: Any
) -> None:
    viewer = await connect(sqlite_node, user="u1", nickname="小鹿")
    await join(viewer)
    club = await club_of(sqlite_node)
    start = club.clock()
    host = await connect(sqlite_node, user="host", role=Role.HOST)
    await host.send({"type": "coupon_push", "cid": "k1", "coupon_id": "C03", "seconds": 600})
    batch = (await host.expect("ack", cid="k1"))["msg"]["batch_id"]

    later = start + 8 * DAY_MS
    club.clock = lambda: later  # more than 7 days since the last activity: paused (熄灭)
    paused = await connect(sqlite_node, user="u1", nickname="小鹿")
    me = paused.welcome["me"]["fanclub"]
    assert me["active"] is False and me["badge"]["active"] is False and me["member"] is True
    await paused.send({"type": "claim", "batch_id": batch, "cid": "q1"})  # 粉丝团 coupon: an active member
    assert (await paused.expect("ack", cid="q1"))["error"]["code"] == "coupon.condition"

    club.award("u1", "watch", 1)  # watching while paused: no XP, still paused
    got = await fan_me(paused, lambda f: True)
    assert got["xp"] == 0 and got["active"] is False
    await paused.send({"type": "comment", "cid": "c1", "text": "我回来了"})  # re-lights, and counts
    assert (await paused.expect("ack", cid="c1"))["msg"]["badge"]["active"] is True
    got = await fan_me(paused, lambda f: f["active"])
    assert got["xp"] == 2
    await paused.send({"type": "claim", "batch_id": batch, "cid": "q2"})
    assert "grant" in await paused.expect("ack", cid="q2")


async def test_the_record_level_beats_the_token_claim(sqlite_node: Node, connect: Any) -> None:
    stranger = await connect(sqlite_node, user="u9", nickname="路人", level=30)
    assert stranger.welcome["you"]["lvl"] == 30 and stranger.welcome["badge"] == "Lv30 钻粉"
    viewer = await connect(sqlite_node, user="u1", nickname="小鹿", level=30)
    await join(viewer)
    again = await connect(sqlite_node, user="u1", nickname="小鹿", level=30)
    assert again.welcome["you"]["lvl"] == 1 and again.welcome["badge"] == "Lv1 粉丝"
    await again.send({"type": "comment", "cid": "c1", "text": "hi"})
    assert (await again.expect("ack", cid="c1"))["msg"]["user"]["lvl"] == 1
    await stranger.send({"type": "comment", "cid": "c2", "text": "hi"})
    assert (await stranger.expect("ack", cid="c2"))["msg"]["user"]["lvl"] == 30


async def test_the_fan_coupon_is_refused_before_joining_and_granted_after(
    sqlite_node: Node, connect: Any
) -> None:
    host = await connect(sqlite_node, user="host", role=Role.HOST)
    viewer = await connect(sqlite_node, user="u1", nickname="小鹿")
    await host.send({"type": "coupon_push", "cid": "k1", "coupon_id": "C03", "seconds": 600})
    batch = (await host.expect("ack", cid="k1"))["msg"]["batch_id"]
    await viewer.send({"type": "claim", "batch_id": batch, "cid": "q1"})
    assert (await viewer.expect("ack", cid="q1"))["error"]["code"] == "coupon.condition"
    await join(viewer)
    await viewer.send({"type": "claim", "batch_id": batch, "cid": "q2"})
    assert (await viewer.expect("ack", cid="q2"))["grant"]["coupon_id"] == "C03"
    await host.send({"type": "fanclub_join", "cid": "h1"})
    assert (await host.expect("ack", cid="h1"))["error"]["code"] == "forbidden_role"


async def test_memberships_survive_a_restart_and_staff_see_the_top(db_url: str, connect: Any) -> None:
    async def started() -> Node:
        node = Node(make_settings(db_url))
        await node.start()
        await node.ensure_demo_room("demo")
        return node

    first = await started()
    try:
        host = await connect(first, user="host", role=Role.HOST)
        snap = await host.expect("questions")
        assert snap["fanclub"] == {"name": "晚晚家", "members": 0, "top": []}
        viewer = await connect(first, user="u1", nickname="小鹿")
        await join(viewer)
        await viewer.send({"type": "gift", "gift_id": "rose", "cid": "g1"})
        await fan_me(viewer, lambda f: f["xp"] == 20)
        while True:  # the staff's top members follow (at most every 2 s)
            top = await host.expect("fanclub_top")
            if top["top"] and top["top"][0]["xp"] == 20:
                break
        assert [(t["nick"], t["level"], t["active"]) for t in top["top"]] == [("小鹿", 1, True)]
        assert top["members"] == 1
        await viewer.close()
        await host.close()
    finally:
        await first.stop()
    second = await started()
    try:
        back = await connect(second, user="u1", nickname="小鹿", level=3)
        me = back.welcome["me"]["fanclub"]
        assert (me["member"], me["xp"], me["level"]) == (True, 20, 1) and back.welcome["you"]["lvl"] == 1
        assert back.welcome["state"]["fanclub"]["members"] == 1
        await back.send({"type": "comment", "cid": "c1", "text": "又来了"})
        assert (await back.expect("ack", cid="c1"))["msg"]["badge"]["level"] == 1
        await back.close()
    finally:
        await second.stop()
