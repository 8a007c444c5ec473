"""The co-host mic over real WebSocket clients on one node: the queue (fans first, then level, then time),
accept (a call of kind "mic", connected at once), decline, cancel, end, the guests cap, every refusal, the
host's WebSocket dropping for less than the leave grace."""

from __future__ import annotations

from typing import Any

from siyu.app import Node
from siyu.auth import Role
from tests.conftest import Client
from tests.interactions.rtc_helpers import both, calls_of, left_here, logged, refused, seen_since

OFFER = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


async def queue_of(host: Client, n: int) -> list[str]:
    """The staff's mic_queue once it holds `n` entries (it comes at most once a second, when it changed)."""
    while True:
        msg = await host.expect("mic_queue")
        if len(msg["queue"]) == n:
            return [e["user"]["id"] for e in msg["queue"]]


async def ask(viewer: Client, cid: str = "m") -> dict[str, Any]:
    await viewer.send({"type": "mic_request", "cid": cid})
    ack = await viewer.expect("ack", cid=cid)
    assert "error" not in ack, ack
    return dict(ack["msg"])


async def settings(host: Client, cid: str, **values: Any) -> dict[str, Any]:
    body = {"open": True, "max_guests": 1, "fans_first": False, **values}
    await host.send({"type": "mic_settings", "cid": cid, **body})
    ack = await host.expect("ack", cid=cid)
    assert "error" not in ack, ack
    return dict(ack["msg"])


async def test_queue_order_fans_first_then_level_then_time(sqlite_node: Node, connect: Any) -> None:
    node = sqlite_node
    host: Client = await connect(node, user="host", role=Role.HOST, nickname="晚晚")
    a: Client = await connect(node, user="a", level=3)
    b: Client = await connect(node, user="b", level=10)
    c: Client = await connect(node, user="c", level=1)
    d: Client = await connect(node, user="d", level=10)
    await c.send({"type": "fanclub_join", "cid": "j"})
    assert "error" not in await c.expect("ack", cid="j")
    for viewer in (a, b, c, d):
        mic = await ask(viewer)
    assert mic["queued"] == 4 and mic["open"] and mic["guests"] == []
    assert await queue_of(host, 4) == ["a", "b", "c", "d"]  # fans_first off: the earliest first
    msg = await settings(host, "s1", fans_first=True, max_guests=2)
    assert msg["fans_first"] and msg["max_guests"] == 2
    while (order := await queue_of(host, 4)) == ["a", "b", "c", "d"]:
        pass
    assert order == ["c", "b", "d", "a"]  # the fan first, then the higher level, then the earlier
    late: Client = await connect(node, user="host2", role=Role.ASSISTANT)
    snapshot = await late.expect("questions")
    assert [e["user"]["id"] for e in snapshot["mic_queue"]] == ["c", "b", "d", "a"]
    assert snapshot["mic_queue"][0]["fan"]["level"] >= 1 and snapshot["mic_queue"][1]["fan"] is None
    await settings(host, "s2", open=False)  # the mic closes: the queue is gone
    await a.expect("mic_status", state="closed")
    assert await queue_of(host, 0) == []


async def test_accept_a_guest_signal_and_end(node: Node, connect: Any) -> None:
    host: Client = await connect(node, user="host", role=Role.HOST, nickname="晚晚")
    g: Client = await connect(node, user="g", nickname="小粉丝", level=5)
    other: Client = await connect(node, user="o")
    await ask(g)
    await host.send({"type": "mic_accept", "user_id": "g", "cid": "acc"})
    ack, mine = await both(host, {"type": "ack", "cid": "acc"}, {"type": "call", "state": "connected"})
    assert "error" not in ack
    call_id = ack["call_id"]
    assert mine["call_id"] == call_id and mine["kind"] == "mic"
    assert mine["role"] == "callee" and mine["polite"]
    theirs = await g.expect("call", call_id=call_id, state="connected")
    assert theirs["role"] == "caller" and theirs["peer"]["id"] == "host" and theirs["video"]["height"] == 720
    while not (mic := await other.expect("mic"))["guests"]:
        pass
    [guest] = mic["guests"]
    assert guest["user"] == {"id": "g", "nick": "小粉丝", "lvl": 5, "role": "viewer"}
    assert guest["badge"] is None
    assert mic["queued"] == 0 and mic["open"] and guest["since"] > 0
    assert (await g.expect("mic_status"))["state"] == "on_mic"

    await g.send({"type": "rtc_signal", "call_id": call_id, "to": "host", "kind": "offer", "sdp": OFFER})
    assert (await host.expect("rtc_signal"))["from"] == "g"
    signal = {"type": "rtc_signal", "call_id": call_id, "to": "g", "kind": "offer", "sdp": OFFER, "cid": "x"}
    assert await refused(other, signal) == "rtc.not_party"

    await host.send({"type": "mic_end", "user_id": "g", "cid": "end"})
    await both(host, {"type": "ack", "cid": "end"}, {"type": "call", "state": "ended"})
    ended = await g.expect("call", call_id=call_id, state="ended")
    assert ended["reason"] == "ended_by_staff"
    await other.expect("mic", guests=[])
    [(_u, asked)] = await logged(node, "call.requested")
    assert (asked["kind"], asked["caller"], asked["callee"]) == ("mic", "g", "host")
    [(_u, end)] = await logged(node, "call.ended")
    assert end["reason"] == "ended_by_staff" and end["by"] == "host" and end["kind"] == "mic"
    assert len(await logged(node, "mic.requested")) == 1


async def test_two_guests_decline_cancel_and_leave(sqlite_node: Node, connect: Any) -> None:
    node = sqlite_node
    host: Client = await connect(node, user="host", role=Role.HOST)
    g1: Client = await connect(node, user="g1")
    g2: Client = await connect(node, user="g2")
    g3: Client = await connect(node, user="g3")
    g4: Client = await connect(node, user="g4")
    g5: Client = await connect(node, user="g5")
    await settings(host, "s", max_guests=2)
    for g in (g1, g2, g3, g4, g5):
        await ask(g)
    for user in ("g1", "g2"):  # the host is a party of both mic calls
        await host.send({"type": "mic_accept", "user_id": user, "cid": f"a-{user}"})
        assert "error" not in await host.expect("ack", cid=f"a-{user}")
    while len((mic := await g5.expect("mic"))["guests"]) < 2:
        pass
    assert [x["user"]["id"] for x in mic["guests"]] == ["g1", "g2"] and mic["queued"] == 3
    assert await refused(host, {"type": "mic_accept", "user_id": "g3", "cid": "f"}) == "mic.full"
    await host.send({"type": "mic_decline", "user_id": "g3", "cid": "d"})
    assert "error" not in await host.expect("ack", cid="d")
    await g3.expect("mic_status", state="declined")
    await g4.send({"type": "mic_cancel", "cid": "c"})
    assert "error" not in await g4.expect("ack", cid="c")
    await g5.close()  # a queued viewer leaves: out of the queue
    await g1.send({"type": "mic_end", "user_id": "g1", "cid": "e"})  # a guest ends their own turn
    await both(g1, {"type": "ack", "cid": "e"}, {"type": "call", "state": "ended", "reason": "hangup"})
    await g2.close()  # a guest leaves the room: their call ends when the grace is over (not back)
    gone = await left_here(node, "g2")
    calls_of(node).tick(gone.at + calls_of(node).grace.grace_ms)
    await host.expect("call", state="ended", reason="left")
    while (mic := await g4.expect("mic"))["guests"] or mic["queued"]:
        pass
    assert mic["max_guests"] == 2
    reasons = sorted(p["reason"] for _u, p in await logged(node, "mic.cancelled"))
    assert reasons == ["cancelled", "left"]
    assert [p["user_id"] for _u, p in await logged(node, "mic.declined")] == ["g3"]


async def test_mic_refusals(sqlite_node: Node, connect: Any) -> None:
    node = sqlite_node
    host: Client = await connect(node, user="host", role=Role.HOST)
    v: Client = await connect(node, user="v")
    w: Client = await connect(node, user="w")
    assert await refused(host, {"type": "mic_request", "cid": "1"}) == "forbidden_role"
    assert await refused(v, {"type": "mic_accept", "user_id": "w", "cid": "2"}) == "forbidden_role"
    assert await refused(v, {"type": "mic_decline", "user_id": "w", "cid": "2b"}) == "forbidden_role"
    assert await refused(v, {"type": "mic_end", "user_id": "w", "cid": "2c"}) == "forbidden_role"
    settings_msg = {"type": "mic_settings", "open": True, "max_guests": 1, "fans_first": False}
    assert await refused(v, {**settings_msg, "cid": "2d"}) == "forbidden_role"
    assert await refused(host, {**settings_msg, "max_guests": 5, "cid": "3"}) == "bad_message"  # limit 4
    assert await refused(v, {"type": "mic_cancel", "cid": "4"}) == "mic.not_queued"
    assert await refused(host, {"type": "mic_accept", "user_id": "v", "cid": "5"}) == "mic.not_queued"
    assert await refused(host, {"type": "mic_decline", "user_id": "v", "cid": "6"}) == "mic.not_queued"
    assert await refused(host, {"type": "mic_end", "user_id": "v", "cid": "7"}) == "mic.not_queued"
    await ask(v)
    assert await refused(v, {"type": "mic_request", "cid": "8"}) == "mic.queued"
    await host.send({"type": "mic_accept", "user_id": "v", "cid": "9"})
    assert "error" not in await host.expect("ack", cid="9")
    assert await refused(v, {"type": "mic_request", "cid": "10"}) == "call.busy"  # on the mic already
    await ask(w)
    assert await refused(host, {"type": "mic_accept", "user_id": "w", "cid": "11"}) == "mic.full"
    await settings(host, "12", open=False)
    assert await refused(w, {"type": "mic_request", "cid": "13"}) == "mic.closed"


async def test_the_host_back_within_the_grace_keeps_the_guests(sqlite_node: Node, connect: Any) -> None:
    """The host holds a mic call per guest (the party lock holds the guests only): each call's row says when
    the host was last seen (callee_seen_at); back within the grace, no guest's call ends."""
    node = sqlite_node
    host: Client = await connect(node, user="host", role=Role.HOST)
    guests: list[Client] = [await connect(node, user=f"g{i}") for i in (1, 2)]
    await settings(host, "s", max_guests=2)
    for g in guests:
        await ask(g)
    ids = []
    for user in ("g1", "g2"):
        await host.send({"type": "mic_accept", "user_id": user, "cid": f"a-{user}"})
        ack = await host.expect("ack", cid=f"a-{user}")
        assert "error" not in ack, ack
        ids.append(ack["call_id"])
    await host.close()
    gone = await left_here(node, "host")
    assert sorted(gone.call_ids) == sorted(ids)
    host = await connect(node, user="host", role=Role.HOST)
    for call_id in ids:  # told again where it was
        await host.expect("call", call_id=call_id, state="connected")
        await seen_since(node, call_id, "callee", gone.at)
    calls = calls_of(node)
    calls.tick(gone.at + calls.grace.grace_ms)
    assert [calls.book.calls[i].status for i in ids] == ["connected", "connected"]
    await host.send({"type": "mic_end", "user_id": "g1", "cid": "e"})
    assert "error" not in await host.expect("ack", cid="e")
    await guests[0].expect("call", call_id=ids[0], state="ended", reason="ended_by_staff")
    assert [p["reason"] for _u, p in await logged(node, "call.ended")] == ["ended_by_staff"]
