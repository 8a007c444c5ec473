"""Calls and the mic on two nodes sharing one PostgreSQL and one Redis: the call's parties on different nodes
hear of every state, signalling crosses nodes between the two parties only, a consultant rung from both
nodes at once is busy for one of them (the party lock), and the mic's guests cap holds across nodes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from siyu.app import Node
from siyu.auth import Role
from tests.conftest import Client, RedisProcess, fresh_pg_database
from tests.interactions.rtc_helpers import both, logged, ready_staff, refused

pytestmark = pytest.mark.integration

OFFER = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


async def sees_callee(viewer: Client, user: str) -> None:
    """The viewer's node knows `user` is ready (in the welcome's state, or from the stream since)."""
    if any(c["user"]["id"] == user for c in viewer.welcome["state"]["callees"]):
        return
    while not any(c["user"]["id"] == user for c in (await viewer.expect("callees"))["callees"]):
        pass


async def two_nodes(
    redis_server: RedisProcess, node_factory: Callable[..., Any], pg: str
) -> tuple[Node, Node]:
    db = await fresh_pg_database(pg)
    a: Node = await node_factory(db, redis_url=redis_server.url)
    b: Node = await node_factory(db, redis_url=redis_server.url, demo=False)
    await b.registry.get("demo")
    return a, b


async def test_a_call_across_two_nodes(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Any, pg_server: str
) -> None:
    a, b = await two_nodes(redis_server, node_factory, pg_server)
    staff = await ready_staff(connect, a)  # the consultant on node A
    viewer: Client = await connect(b, user="v1", nickname="小王")  # the caller on node B
    stranger_a: Client = await connect(a, user="v2")
    stranger_b: Client = await connect(b, user="v3")
    await sees_callee(viewer, "c1")

    await viewer.send({"type": "call_request", "to": "c1", "cid": "r"})
    ack, _ = await both(viewer, {"type": "ack", "cid": "r"}, {"type": "call", "state": "ringing"})
    call_id = ack["call_id"]
    ringing = await staff.expect("call", call_id=call_id, state="ringing")
    assert ringing["peer"]["nick"] == "小王"
    await staff.send({"type": "call_answer", "call_id": call_id, "accept": True, "cid": "a"})
    await both(staff, {"type": "ack", "cid": "a"}, {"type": "call", "state": "connected"})
    await viewer.expect("call", call_id=call_id, state="connected")

    # signalling crosses nodes, both ways, between the two parties only
    await viewer.send({"type": "rtc_signal", "call_id": call_id, "to": "c1", "kind": "offer", "sdp": OFFER,
                       "cid": "o"})  # fmt: skip
    await viewer.expect("ack", cid="o")
    assert (await staff.expect("rtc_signal")) == {
        "type": "rtc_signal", "call_id": call_id, "from": "v1", "kind": "offer", "sdp": OFFER,
    }  # fmt: skip
    cand = {"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host", "sdpMid": "0", "sdpMLineIndex": 0}
    await staff.send({"type": "rtc_signal", "call_id": call_id, "to": "v1", "kind": "candidate",
                      "candidate": cand})  # fmt: skip
    assert (await viewer.expect("rtc_signal"))["candidate"] == cand
    for outsider, cid in ((stranger_a, "x1"), (stranger_b, "x2")):
        msg = {"type": "rtc_signal", "call_id": call_id, "to": "c1", "kind": "offer", "sdp": OFFER}
        msg["cid"] = cid
        assert await refused(outsider, msg) == "rtc.not_party"
        msg = {**msg, "to": "v1", "cid": cid + "b"}
        assert await refused(outsider, msg) == "rtc.not_party"
    # a second caller on either node: busy
    assert await refused(stranger_a, {"type": "call_request", "to": "c1", "cid": "b1"}) == "call.busy"
    assert await refused(stranger_b, {"type": "call_request", "to": "c1", "cid": "b2"}) == "call.busy"

    await viewer.send({"type": "call_hangup", "call_id": call_id, "cid": "h"})
    await viewer.expect("ack", cid="h")
    assert (await staff.expect("call", call_id=call_id, state="ended"))["reason"] == "hangup"
    [(_u, end)] = await logged(a, "call.ended")
    assert end["by"] == "v1" and end["duration_ms"] >= 0
    # nobody hears a signal of an ended call, and outsiders never heard one
    for c in (stranger_a, stranger_b):
        assert "rtc_signal" not in c.kinds


async def test_one_consultant_rung_from_two_nodes_at_once_is_busy_for_one(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Any, pg_server: str
) -> None:
    a, b = await two_nodes(redis_server, node_factory, pg_server)
    await ready_staff(connect, a)
    callers: list[Client] = []
    for i in range(6):  # rounds: each time two viewers, one on each node, ring the same consultant
        callers = [await connect(a, user=f"a{i}"), await connect(b, user=f"b{i}")]
        for c in callers:
            await sees_callee(c, "c1")
        await asyncio.gather(*(c.send({"type": "call_request", "to": "c1", "cid": "r"}) for c in callers))
        acks = [await c.expect("ack", cid="r") for c in callers]
        won = [ack for ack in acks if "error" not in ack]
        assert len(won) == 1, acks
        assert [ack["error"]["code"] for ack in acks if "error" in ack] == ["call.busy"]
        winner = callers[acks.index(won[0])]
        await winner.send({"type": "call_hangup", "call_id": won[0]["call_id"], "cid": "h"})
        await winner.expect("ack", cid="h")
        for c in callers:  # both nodes know the consultant is free again before the next round
            while any(x["busy"] for x in (await c.expect("callees"))["callees"]):
                pass
    assert len(await logged(a, "call.requested")) == 6


async def test_the_mic_cap_holds_across_nodes(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Any, pg_server: str
) -> None:
    a, b = await two_nodes(redis_server, node_factory, pg_server)
    host: Client = await connect(a, user="host", role=Role.HOST)
    helper: Client = await connect(b, user="asst", role=Role.ASSISTANT)
    g1: Client = await connect(a, user="g1")
    g2: Client = await connect(b, user="g2")
    for g in (g1, g2):
        await g.send({"type": "mic_request", "cid": "m"})
        assert "error" not in await g.expect("ack", cid="m")
    for staff in (host, helper):  # both consoles see both requests
        while len((await staff.expect("mic_queue"))["queue"]) < 2:
            pass
    await asyncio.gather(
        host.send({"type": "mic_accept", "user_id": "g1", "cid": "x"}),
        helper.send({"type": "mic_accept", "user_id": "g2", "cid": "x"}),
    )
    acks = [await host.expect("ack", cid="x"), await helper.expect("ack", cid="x")]
    assert sorted("error" in ack for ack in acks) == [False, True], acks
    assert [ack["error"]["code"] for ack in acks if "error" in ack] == ["mic.full"]
    guest, staff = (g1, host) if "error" not in acks[0] else (g2, helper)
    call_id = next(ack["call_id"] for ack in acks if "error" not in ack)
    await guest.expect("call", call_id=call_id, state="connected")
    for viewer in (g1, g2):  # the room on both nodes shows the one guest
        while not (await viewer.expect("mic"))["guests"]:
            pass
    await guest.send({"type": "rtc_signal", "call_id": call_id, "to": staff.welcome["you"]["id"],
                      "kind": "offer", "sdp": OFFER})  # fmt: skip
    assert (await staff.expect("rtc_signal"))["from"] == guest.welcome["you"]["id"]
