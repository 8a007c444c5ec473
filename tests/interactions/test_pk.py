"""PK battles on a real node (SQLite and PostgreSQL) with real WebSocket clients: invite, accept, scores
from gifts on both sides in both rooms, the timer's end (the test moves the clock through the feature's
tick), result, winner, top supporters, the punishment phase a host ends, and every refusal code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from siyu.app import Node
from siyu.auth import Role
from tests.interactions.pk_helpers import act, answer, code, gift, invite, live_room, logged, pk_of, recount


async def test_a_battle_from_invite_to_close(node: Node, connect: Callable[..., Any]) -> None:
    await live_room(node, "b")
    host_a = await connect(node, user="ha", role=Role.HOST, nickname="晚晚")
    host_b = await connect(node, user="hb", role=Role.HOST, room="b", nickname="小美")
    a1 = await connect(node, user="a1", nickname="阿一", level=5)
    a2 = await connect(node, user="a2", nickname="阿二")
    b1 = await connect(node, user="b1", room="b", nickname="贝一")

    ack = await invite(host_a, "b", seconds=120, punish_s=30)
    pk_id = ack["pk"]["pk_id"]
    assert ack["pk"]["status"] == "invited"
    pending = await host_b.expect("pk_invite", pk_id=pk_id)
    assert pending["status"] == "pending"
    assert pending["from"] == {"room_id": "demo", "title": node_title(node)}
    assert pending["to"]["room_id"] == "b" and pending["seconds"] == 120

    assert (await answer(host_b, pk_id, True))["pk"]["status"] == "live"
    await host_a.expect("pk_invite", pk_id=pk_id, status="accepted")  # after its own "pending" copy
    live_a = await a1.expect("pk", pk_id=pk_id)
    live_b = await b1.expect("pk", pk_id=pk_id)
    assert live_a["phase"] == live_b["phase"] == "live"
    assert [s["room_id"] for s in live_a["sides"]] == ["demo", "b"]  # this room's side first
    assert [s["room_id"] for s in live_b["sides"]] == ["b", "demo"]
    assert live_a["ends_at"] - live_a["started_at"] == 120_000
    assert live_a["final_at"] == live_a["ends_at"] - 30_000 and live_a["winner"] is None

    await gift(a1, "rose", "g1")  # 20
    await gift(a1, "rose", "g2")  # 20
    again = await gift(a1, "rose", "g2")  # the same frame again: counted once
    assert "error" not in again
    await gift(a2, "lightstick", "g1")  # 10
    await gift(b1, "sportscar", "g1")  # 1200
    await a1.expect("pk_score", pk_id=pk_id, scores=[50, 1200])
    score_b = await b1.expect("pk_score", pk_id=pk_id, scores=[1200, 50])
    a1_ref = {"id": "a1", "nick": "阿一", "lvl": 5, "role": "viewer"}
    assert score_b["top"][1][0] == {"user": a1_ref, "coins": 40}
    assert score_b["top"][0][0]["coins"] == 1200 and score_b["final"] is False

    pk_a = pk_of(node, "demo")
    b = pk_a.battle
    assert b is not None and b.row.ends_at is not None
    ends_at = b.row.ends_at
    pk_a.tick(ends_at + 2_000)  # the clock at the end (plus the grace)
    ended = await a1.expect("pk", pk_id=pk_id, phase="punish")
    assert ended["winner"] == "b" and ended["reason"] == "time"
    assert [(s["room_id"], s["score"]) for s in ended["sides"]] == [("demo", 50), ("b", 1200)]
    assert [t["user"]["id"] for t in ended["sides"][0]["top"]] == ["a1", "a2"]
    assert ended["punish_until"] is not None
    assert (await b1.expect("pk", pk_id=pk_id, phase="punish"))["sides"][0]["score"] == 1200
    assert await recount(node, "demo", pk_id, ends_at) == 50
    assert await recount(node, "b", pk_id, ends_at) == 1200

    closed = await act(host_b, "e1", type="pk_end", pk_id=pk_id)  # the punishment phase, ended by B's host
    assert closed["pk"]["status"] == "closed"
    assert (await a1.expect("pk", pk_id=pk_id, phase="closed"))["winner"] == "b"
    assert code(await act(host_a, "e2", type="pk_end", pk_id=pk_id)) == "pk.unknown"
    for room_id in ("demo", "b"):
        for kind in ("pk.invited", "pk.started", "pk.ended", "pk.closed"):
            assert await logged(node, room_id, kind) == 1, (room_id, kind)
    assert pk_of(node, "demo").battle is None and pk_of(node, "b").battle is None
    again_ack = await invite(host_a, "b", "i2")  # both rooms are free again
    assert again_ack["pk"]["status"] == "invited"


def node_title(node: Node) -> str:
    room = node.registry.loaded("demo")
    assert room is not None
    return room.info.title


async def test_stop_early_then_the_punishment_timer(node: Node, connect: Callable[..., Any]) -> None:
    await live_room(node, "b")
    host_a = await connect(node, user="ha", role=Role.OPERATOR)  # an operator may act for the host
    host_b = await connect(node, user="hb", role=Role.HOST, room="b")
    b1 = await connect(node, user="b1", room="b")
    a1 = await connect(node, user="a1")
    pk_id = (await invite(host_a, "b", punish_s=0))["pk"]["pk_id"]
    await answer(host_b, pk_id, True)
    stopped = await act(host_a, "e1", type="pk_end", pk_id=pk_id)
    assert stopped["pk"]["status"] == "punish"
    ended = await b1.expect("pk", pk_id=pk_id, phase="punish")
    assert ended["reason"] == "stopped" and ended["winner"] == "draw"
    pk_b = pk_of(node, "b")
    assert pk_b.battle is not None and pk_b.battle.row.punish_until is not None
    pk_b.tick(pk_b.battle.row.punish_until)
    await b1.expect("pk", pk_id=pk_id, phase="closed")
    await a1.expect("pk", pk_id=pk_id, phase="closed")  # published once committed, in each room
    assert await logged(node, "demo", "pk.closed") == 1 and await logged(node, "b", "pk.closed") == 1


async def test_decline_cancel_and_expiry(node: Node, connect: Callable[..., Any]) -> None:
    await live_room(node, "b")
    host_a = await connect(node, user="ha", role=Role.HOST)
    host_b = await connect(node, user="hb", role=Role.HOST, room="b")

    pk1 = (await invite(host_a, "b", "i1"))["pk"]["pk_id"]
    assert (await answer(host_b, pk1, False, "a1"))["pk"]["status"] == "declined"
    assert (await host_a.expect("pk_invite", pk_id=pk1, status="declined"))["to"]["room_id"] == "b"

    pk2 = (await invite(host_a, "b", "i2"))["pk"]["pk_id"]
    assert (await act(host_a, "c1", type="pk_cancel", pk_id=pk2))["pk"]["status"] == "cancelled"
    await host_b.expect("pk_invite", pk_id=pk2, status="cancelled")
    assert code(await answer(host_b, pk2, True, "a2")) == "pk.unknown"

    pk3 = (await invite(host_a, "b", "i3"))["pk"]["pk_id"]
    pk_a = pk_of(node, "demo")
    assert pk_a.battle is not None
    pk_a.tick(pk_a.battle.row.expires_at)  # the clock at the invite's expiry
    await host_b.expect("pk_invite", pk_id=pk3, status="expired")
    assert code(await answer(host_b, pk3, True, "a3")) == "pk.expired"
    for room_id in ("demo", "b"):
        assert await logged(node, room_id, "pk.declined") == 3
        assert await logged(node, room_id, "pk.started") == 0


async def test_every_refusal(node: Node, connect: Callable[..., Any]) -> None:
    await live_room(node, "b")
    await live_room(node, "c", "第三间")
    await live_room(node, "off", "未开播", live=False)
    host_a = await connect(node, user="ha", role=Role.HOST)
    host_b = await connect(node, user="hb", role=Role.HOST, room="b")
    host_c = await connect(node, user="hc", role=Role.HOST, room="c")
    viewer = await connect(node, user="u1")
    helper = await connect(node, user="as", role=Role.ASSISTANT)

    assert code(await invite(host_a, "demo", "x1")) == "pk.self"
    assert code(await invite(host_a, "nope", "x2")) == "pk.unknown_room"
    assert code(await invite(host_a, "off", "x3")) == "pk.not_live"
    assert code(await invite(viewer, "b", "x4")) == "pk.not_host"
    assert code(await invite(helper, "b", "x5")) == "pk.not_host"
    pk_id = (await invite(host_a, "b", "i1"))["pk"]["pk_id"]
    assert code(await invite(host_c, "b", "x6")) == "pk.busy"  # b is invited
    assert code(await invite(host_c, "demo", "x7")) == "pk.busy"  # demo invited b
    assert code(await invite(host_a, "c", "x8")) == "pk.busy"
    assert code(await answer(host_a, pk_id, True, "x9")) == "pk.unknown"  # not the invited room
    assert code(await answer(host_c, pk_id, True, "x10")) == "pk.unknown"
    assert code(await answer(host_b, "nope", True, "x11")) == "pk.unknown"
    assert code(await act(host_b, "x12", type="pk_cancel", pk_id=pk_id)) == "pk.unknown"  # only A withdraws
    assert code(await act(host_a, "x13", type="pk_end", pk_id=pk_id)) == "pk.unknown"  # not live yet
    assert code(await act(viewer, "x14", type="pk_end", pk_id=pk_id)) == "pk.not_host"
    again = await invite(host_a, "b", "i1")  # a re-sent cid gets its first answer
    assert again["pk"]["pk_id"] == pk_id
    room_b = node.registry.loaded("b")
    assert room_b is not None
    await room_b.end_session()  # off air: its pending invite is cancelled
    await host_a.expect("pk_invite", pk_id=pk_id, status="cancelled")
    assert code(await answer(host_b, pk_id, True, "x15")) == "pk.unknown"
    assert code(await invite(host_a, "b", "x16")) == "pk.not_live"
    await host_c.send({"type": "pk_invite", "room_id": "off"})  # no cid: an error frame
    assert (await host_c.expect("error"))["code"] == "pk.not_live"


async def test_going_off_air_stops_the_battle_and_cancels_an_invite(
    node: Node, connect: Callable[..., Any]
) -> None:
    await live_room(node, "b")
    await live_room(node, "c", "第三间")
    host_a = await connect(node, user="ha", role=Role.HOST)
    host_b = await connect(node, user="hb", role=Role.HOST, room="b")
    host_c = await connect(node, user="hc", role=Role.HOST, room="c")
    b1 = await connect(node, user="b1", room="b")
    pk_id = (await invite(host_a, "b"))["pk"]["pk_id"]
    await answer(host_b, pk_id, True)
    await b1.expect("pk", pk_id=pk_id, phase="live")
    room_a = node.registry.loaded("demo")
    assert room_a is not None
    await room_a.end_session()  # the host of A goes off air mid-battle
    ended = await b1.expect("pk", pk_id=pk_id, phase="punish")
    assert ended["reason"] == "stopped"
    assert (await act(host_b, "e1", type="pk_end", pk_id=pk_id))["pk"]["status"] == "closed"

    pk2 = (await invite(host_b, "c", "i2"))["pk"]["pk_id"]  # B is free again once that battle is closed
    await host_c.expect("pk_invite", pk_id=pk2, status="pending")
    room_c = node.registry.loaded("c")
    assert room_c is not None
    await room_c.end_session()
    await host_b.expect("pk_invite", pk_id=pk2, status="cancelled")
