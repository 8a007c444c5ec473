"""1v1 calls over real WebSocket clients on one node: ring, accept, signalling between the parties only,
the negotiated figures, hang up, every refusal, and a party who leaves: back within `rtc.leave_grace_s` the
call goes on, else it ends as `left` (docs/protocol.md section 12). The grace runs on the node's clock: the
tests call the tick with an explicit time past it."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from sqlalchemy import insert

from siyu.app import Node
from siyu.auth import Role
from siyu.events import now_ms
from siyu.interactions.rtc import Calls
from siyu.interactions.rtc.ice import turn_credential
from siyu.interactions.rtc.store import STALE_S
from siyu.store.tables import rtc_calls, rtc_parties
from tests.conftest import Client
from tests.interactions.rtc_helpers import (
    both,
    calls_of,
    connected,
    left_here,
    logged,
    ready_staff,
    refused,
    ring,
    seen_since,
    settled,
)

OFFER = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


async def test_call_rings_connects_relays_signals_and_hangs_up(node: Node, connect: Any) -> None:
    staff = await ready_staff(connect, node)
    viewer: Client = await connect(node, user="v1", nickname="小王", level=7)
    other: Client = await connect(node, user="v2")
    assert [c["user"]["id"] for c in viewer.welcome["state"]["callees"]] == ["c1"]

    call_id = await ring(viewer, "c1")
    mine = viewer.last_call  # type: ignore[attr-defined]
    theirs = await staff.expect("call", call_id=call_id, state="ringing")
    assert mine["role"] == "caller" and not mine["polite"] and mine["peer"]["id"] == "c1"
    assert theirs["role"] == "callee" and theirs["polite"] and theirs["peer"]["nick"] == "小王"
    assert theirs["peer"]["lvl"] == 7 and mine["kind"] == "call" and mine["ring_until"] > now_ms()
    assert mine["video"] == {"width": 1280, "height": 720, "fps": 30}
    assert mine["ice_servers"] == [] and mine["ice_transport_policy"] == "all"
    busy = await other.expect("callees")
    assert busy["callees"][0]["busy"] is True

    await staff.send({"type": "call_answer", "call_id": call_id, "accept": True, "cid": "a"})
    ack, _ = await both(staff, {"type": "ack", "cid": "a"}, {"type": "call", "state": "connected"})
    assert "error" not in ack
    await viewer.expect("call", call_id=call_id, state="connected")

    # an offer bigger than a plain frame (limits.max_frame_bytes 4096) is relayed: rtc_signal may be bigger
    sdp = OFFER + "a=x-pad:" + "p" * 6000 + "\r\n"
    await viewer.send({"type": "rtc_signal", "call_id": call_id, "to": "c1", "kind": "offer", "sdp": sdp,
                       "cid": "o1"})  # fmt: skip
    assert await viewer.expect("ack", cid="o1") == {"type": "ack", "cid": "o1"}
    got = await staff.expect("rtc_signal")
    assert got == {"type": "rtc_signal", "call_id": call_id, "from": "v1", "kind": "offer", "sdp": sdp}
    await staff.send({"type": "rtc_signal", "call_id": call_id, "to": "v1", "kind": "answer", "sdp": OFFER})
    assert (await viewer.expect("rtc_signal"))["kind"] == "answer"
    cand = {"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host", "sdpMid": "0"}
    await staff.send({"type": "rtc_signal", "call_id": call_id, "to": "v1", "kind": "candidate",
                      "candidate": cand, "cid": "k1"})  # fmt: skip
    await staff.expect("ack", cid="k1")
    assert (await viewer.expect("rtc_signal"))["candidate"] == cand

    # not a party, or addressed to someone outside the call
    base = {"type": "rtc_signal", "call_id": call_id, "kind": "offer", "sdp": OFFER}
    assert await refused(other, {**base, "to": "c1", "cid": "x1"}) == "rtc.not_party"
    assert await refused(viewer, {**base, "to": "v2", "cid": "x2"}) == "rtc.not_party"
    assert await refused(viewer, {**base, "to": "v1", "cid": "x3"}) == "rtc.not_party"
    assert await refused(viewer, {**base, "call_id": "nope", "to": "c1", "cid": "x4"}) == "rtc.not_party"
    # too large: an SDP above 16 KiB, a candidate above 2 KiB; a frame above 32 KiB is no frame at all
    big = {**base, "to": "c1", "sdp": "v" * (16 * 1024 + 1), "cid": "x5"}
    assert await refused(viewer, big) == "rtc.too_large"
    huge = {**base, "to": "c1", "kind": "candidate", "candidate": {"candidate": "c" * 2100}, "cid": "x6"}
    assert await refused(viewer, huge) == "rtc.too_large"
    assert await refused(viewer, {**base, "to": "c1", "sdp": "v" * 40_000, "cid": "x7"}) == "frame_too_large"
    assert await refused(viewer, {**base, "to": "c1", "kind": "candidate", "cid": "x8"}) == "bad_message"
    assert await refused(viewer, {"type": "comment", "text": "长" * 2000, "cid": "x9"}) == "frame_too_large"

    await viewer.send({"type": "call_report", "call_id": call_id, "state": "connected", "width": 1280,
                       "height": 720, "fps": 29.97, "cid": "r1"})  # fmt: skip
    assert "error" not in await viewer.expect("ack", cid="r1")
    await staff.send({"type": "call_report", "call_id": call_id, "state": "connected", "width": 640,
                      "height": 360, "fps": 15, "cid": "r2"})  # fmt: skip
    assert "error" not in await staff.expect("ack", cid="r2")

    await staff.send({"type": "call_hangup", "call_id": call_id, "cid": "h"})
    ended_msg = {"type": "call", "state": "ended", "reason": "hangup"}
    ack, _ = await both(staff, {"type": "ack", "cid": "h"}, ended_msg)
    assert "error" not in ack
    ended = await viewer.expect("call", call_id=call_id, state="ended")
    assert ended["reason"] == "hangup"
    assert await refused(viewer, {**base, "to": "c1", "cid": "x10"}) == "rtc.not_party"

    assert [p["call_id"] for _u, p in await logged(node, "call.requested")] == [call_id]
    assert len(await logged(node, "call.accepted")) == 1
    [(_u, conn)] = await logged(node, "call.connected")
    assert (conn["width"], conn["height"], conn["fps"], conn["by"]) == (1280, 720, 30.0, "v1")
    [(_u, end)] = await logged(node, "call.ended")
    assert end["reason"] == "hangup" and end["by"] == "c1" and end["duration_ms"] >= 0
    assert (end["caller"], end["callee"], end["kind"]) == ("v1", "c1", "call")


async def test_every_refusal_has_its_code(sqlite_node: Node, connect: Any) -> None:
    node = sqlite_node
    staff = await ready_staff(connect, node)
    idle: Client = await connect(node, user="c2", role=Role.CONSULTANT)  # staff, not ready
    v1: Client = await connect(node, user="v1")
    v2: Client = await connect(node, user="v2")
    assert await refused(v1, {"type": "call_request", "to": "v1", "cid": "s"}) == "call.self"
    assert await refused(v1, {"type": "call_request", "to": "c2", "cid": "u"}) == "call.unavailable"
    assert await refused(v1, {"type": "call_request", "to": "nobody", "cid": "u2"}) == "call.unavailable"
    assert await refused(idle, {"type": "call_request", "to": "c1", "cid": "f"}) == "forbidden_role"
    assert await refused(v1, {"type": "call_ready", "ready": True, "cid": "f2"}) == "forbidden_role"
    call_id = await ring(v1, "c1")
    again = {"type": "call_request", "to": "c1", "cid": "call"}  # the same cid: its first answer
    await v1.send(again)
    assert (await v1.expect("ack", cid="call"))["call_id"] == call_id
    assert await refused(v2, {"type": "call_request", "to": "c1", "cid": "b"}) == "call.busy"
    answer = {"type": "call_answer", "call_id": call_id, "accept": True}
    assert await refused(v1, {**answer, "cid": "k1"}) == "call.unknown"  # the caller cannot answer
    assert await refused(v2, {**answer, "cid": "k2"}) == "call.unknown"
    assert await refused(staff, {**answer, "call_id": "zzz", "cid": "k3"}) == "call.unknown"
    assert await refused(v2, {"type": "call_hangup", "call_id": call_id, "cid": "k4"}) == "call.unknown"
    report = {"type": "call_report", "call_id": call_id, "state": "connected", "cid": "k5"}
    assert await refused(v1, report) == "call.unknown"  # not connected yet
    await idle.send({"type": "call_ready", "ready": True, "cid": "r"})
    await idle.expect("ack", cid="r")
    assert await refused(v1, {"type": "call_request", "to": "c2", "cid": "b2"}) == "call.busy"  # the caller
    # without a cid, a refusal is an error frame
    await v2.send({"type": "call_request", "to": "v2"})
    assert (await v2.expect("error"))["code"] == "call.self"


async def test_decline_cancel_and_the_callee_leaving(sqlite_node: Node, connect: Any) -> None:
    node = sqlite_node
    staff = await ready_staff(connect, node)
    v1: Client = await connect(node, user="v1")
    call_id = await ring(v1, "c1", "r1")
    await staff.expect("call", call_id=call_id, state="ringing")
    await staff.send({"type": "call_answer", "call_id": call_id, "accept": False, "cid": "d"})
    await both(staff, {"type": "ack", "cid": "d"}, {"type": "call", "state": "ended"})
    await v1.expect("call", call_id=call_id, state="ended", reason="declined")

    call_id = await ring(v1, "c1", "r2")
    await v1.send({"type": "call_hangup", "call_id": call_id, "cid": "h"})
    await both(v1, {"type": "ack", "cid": "h"}, {"type": "call", "state": "ended", "reason": "cancelled"})
    await staff.expect("call", call_id=call_id, state="ended", reason="cancelled")

    call_id = await ring(v1, "c1", "r3")
    await v1.close()  # the caller leaves while it rings: it ends at once
    await staff.expect("call", call_id=call_id, state="ended", reason="left")
    v1 = await connect(node, user="v1")

    call_id = await connected(v1, staff)
    await staff.close()  # the callee's last connection leaves: they are not ready any more at once
    msg = await v1.expect("callees", callees=[])
    assert msg["callees"] == []
    gone = await left_here(node, "c1")
    calls_of(node).tick(gone.at + calls_of(node).grace.grace_ms)  # not back when the grace is over
    await v1.expect("call", call_id=call_id, state="ended", reason="left")
    ends = [(u, p["reason"], p["by"]) for u, p in await logged(node, "call.ended")]
    assert ends == [("c1", "declined", "c1"), ("v1", "cancelled", "v1"), ("v1", "left", "v1"),
                    ("c1", "left", "c1")]  # fmt: skip
    assert [p["ready"] for _u, p in await logged(node, "call.ready")] == [True, False]


async def test_an_unanswered_call_times_out(node_factory: Any, connect: Any) -> None:
    node = await node_factory(rtc={"ring_timeout_s": 5})
    staff = await ready_staff(connect, node)
    v1: Client = await connect(node, user="v1")
    call_id = await ring(v1, "c1")
    await staff.expect("call", call_id=call_id, state="ringing")
    ended = await v1.expect("call", timeout=15, call_id=call_id, state="ended")
    assert ended["reason"] == "timeout"
    await staff.expect("call", call_id=call_id, state="ended", reason="timeout")
    [(_u, end)] = await logged(node, "call.ended")
    assert end["duration_ms"] == 0 and end["by"] is None


async def test_a_call_past_the_longest_ends(sqlite_node: Node, connect: Any) -> None:
    node = sqlite_node
    staff = await ready_staff(connect, node)
    v1: Client = await connect(node, user="v1")
    call_id = await connected(v1, staff)
    calls = (await node.registry.get("demo")).feature(Calls)  # type: ignore[union-attr]
    live = calls.book.calls[call_id]
    assert live.accepted_at is not None
    live.accepted_at -= node.settings.rtc.max_call_s * 1000  # as if it had lasted max_call_s
    await v1.expect("call", call_id=call_id, state="ended", reason="max_duration")


async def test_a_lock_nobody_refreshes_is_taken_over(sqlite_node: Node, connect: Any) -> None:
    """A node died with the consultant in a call: its row is stale, the next request takes it over."""
    node = sqlite_node
    await ready_staff(connect, node)
    v1: Client = await connect(node, user="v1")
    old = now_ms() - 120_000
    async with node.db.engine.begin() as conn:
        await conn.execute(insert(rtc_calls).values(
            call_id="dead", room_id="demo", kind="call", caller="v0", callee="c1", status="connected",
            created_at=old, accepted_at=old, seen_at=old))  # fmt: skip
        await conn.execute(insert(rtc_parties), [{"user_id": u, "call_id": "dead"} for u in ("v0", "c1")])
    call_id = await ring(v1, "c1")
    assert call_id != "dead"
    [(_u, end)] = await logged(node, "call.ended")
    assert end["call_id"] == "dead" and end["reason"] == "lost" and end["duration_ms"] >= 120_000
    async with node.db.engine.begin() as conn:  # a fresh lock (just refreshed) is not taken over
        await conn.execute(insert(rtc_calls).values(
            call_id="alive", room_id="demo", kind="call", caller="v8", callee="v9", status="connected",
            created_at=now_ms(), accepted_at=now_ms(), seen_at=now_ms()))  # fmt: skip
        await conn.execute(insert(rtc_parties), [{"user_id": "v2", "call_id": "alive"}])
    v2: Client = await connect(node, user="v2")
    await ready_staff(connect, node, "c3")
    assert await refused(v2, {"type": "call_request", "to": "c3", "cid": "b"}) == "call.busy"


async def test_turn_rest_credentials_per_user(node_factory: Any, connect: Any) -> None:
    ice = [{"urls": ["stun:stun.example.com:3478"]},
           {"urls": ["turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:5349"]}]  # fmt: skip
    node = await node_factory(rtc={"ice_servers": ice, "turn_secret": "s3cret", "turn_ttl_s": 600,
                                   "ice_transport_policy": "relay"})  # fmt: skip
    staff = await ready_staff(connect, node)
    v1: Client = await connect(node, user="v1")
    call_id = await ring(v1, "c1")
    staff_call = await staff.expect("call", call_id=call_id, state="ringing")
    for msg, user in ((v1.last_call, "v1"), (staff_call, "c1")):  # type: ignore[attr-defined]
        assert msg["ice_transport_policy"] == "relay"
        stun, turn = msg["ice_servers"]
        assert stun == {"urls": ["stun:stun.example.com:3478"]}
        expiry, who = turn["username"].split(":")
        assert who == user and 0 < int(expiry) - now_ms() // 1000 <= 600
        mac = hmac.new(b"s3cret", turn["username"].encode(), hashlib.sha1).digest()
        assert turn["credential"] == base64.b64encode(mac).decode()
    assert turn_credential("k", "u", 100) == ("100:u", base64.b64encode(
        hmac.new(b"k", b"100:u", hashlib.sha1).digest()).decode())  # fmt: skip


async def signals_both_ways(viewer: Client, staff: Client, call_id: str, tag: str) -> None:
    """An offer from the viewer and an answer from the staff member reach the other party."""
    await viewer.send({"type": "rtc_signal", "call_id": call_id, "to": "c1", "kind": "offer", "sdp": OFFER,
                       "cid": f"o-{tag}"})  # fmt: skip
    assert await viewer.expect("ack", cid=f"o-{tag}") == {"type": "ack", "cid": f"o-{tag}"}
    assert (await staff.expect("rtc_signal", call_id=call_id))["from"] == "v1"
    await staff.send({"type": "rtc_signal", "call_id": call_id, "to": "v1", "kind": "answer", "sdp": OFFER})
    assert (await viewer.expect("rtc_signal", call_id=call_id))["kind"] == "answer"


async def test_a_viewer_back_within_the_grace_keeps_the_call(sqlite_node: Node, connect: Any) -> None:
    node = sqlite_node
    staff = await ready_staff(connect, node)
    viewer: Client = await connect(node, user="v1")
    call_id = await connected(viewer, staff)
    calls = calls_of(node)
    await viewer.close()  # the phone's WebSocket drops (Wi-Fi to 4G); the media would go on peer to peer
    gone = await left_here(node, "v1")
    viewer = await connect(node, user="v1")  # its reconnect, within the grace
    mine = await viewer.expect("call", call_id=call_id, state="connected")  # where it was
    assert mine["role"] == "caller" and mine["peer"]["id"] == "c1"
    assert "v1" not in calls.grace.pending
    await seen_since(node, call_id, "caller", gone.at)  # the enter says so at once
    calls.tick(gone.at + calls.grace.grace_ms)  # the grace is over: nothing is pending any more
    assert calls.book.calls[call_id].status == "connected" and not calls.book.calls[call_id].busy
    await signals_both_ways(viewer, staff, call_id, "back")
    await staff.send({"type": "call_hangup", "call_id": call_id, "cid": "h"})
    assert "error" not in await staff.expect("ack", cid="h")
    await viewer.expect("call", call_id=call_id, state="ended", reason="hangup")
    assert [p["reason"] for _u, p in await logged(node, "call.ended")] == ["hangup"]


async def test_a_viewer_not_back_within_the_grace_leaves_the_call_once(node: Node, connect: Any) -> None:
    staff = await ready_staff(connect, node)
    viewer: Client = await connect(node, user="v1")
    other: Client = await connect(node, user="v2")
    call_id = await connected(viewer, staff)
    calls = calls_of(node)
    await viewer.close()
    gone = await left_here(node, "v1")
    calls.tick(gone.at + calls.grace.grace_ms - 1)  # still within the grace
    assert calls.grace.pending["v1"] is gone and calls.book.calls[call_id].status == "connected"
    calls.tick(gone.at + calls.grace.grace_ms)
    calls.tick(gone.at + calls.grace.grace_ms + 1)  # a later tick ends nothing more
    ended = await staff.expect("call", call_id=call_id, state="ended")
    assert ended["reason"] == "left" and ended["peer"]["id"] == "v1"
    while any(c["busy"] for c in (await other.expect("callees"))["callees"]):  # the room sees c1 free
        pass
    [(user, end)] = await logged(node, "call.ended")
    assert (user, end["reason"], end["by"], end["call_id"]) == ("v1", "left", "v1", call_id)
    assert end["duration_ms"] >= 0
    viewer = await connect(node, user="v1")  # back after the end: a new call may start
    assert await ring(viewer, "c1", "again") != call_id


async def test_no_grace_ends_the_call_at_once(node_factory: Any, connect: Any) -> None:
    node = await node_factory(rtc={"leave_grace_s": 0})
    staff = await ready_staff(connect, node)
    viewer: Client = await connect(node, user="v1")
    call_id = await connected(viewer, staff)
    await viewer.close()
    await staff.expect("call", call_id=call_id, state="ended", reason="left")
    assert calls_of(node).grace.pending == {}


async def test_a_grace_longer_than_the_staleness_keeps_a_call_whose_parties_both_dropped(
    node_factory: Any, connect: Any
) -> None:
    """Both parties' sockets on this node drop: the node still refreshes the call while their leaves are
    pending here, so it is not `lost` after STALE_S when the grace is longer."""
    node = await node_factory(rtc={"leave_grace_s": 60})
    staff = await ready_staff(connect, node)
    viewer: Client = await connect(node, user="v1")
    call_id = await connected(viewer, staff)
    calls = calls_of(node)
    await viewer.close()
    await staff.close()
    gone = [await left_here(node, u) for u in ("v1", "c1")]
    await calls.refresh(max(g.at for g in gone) + (STALE_S + 1) * 1000)  # the calls' refresh, past STALE_S
    await settled(node, call_id)
    assert calls.book.calls[call_id].status == "connected"
    viewer = await connect(node, user="v1")
    await viewer.expect("call", call_id=call_id, state="connected")
    staff = await connect(node, user="c1", role=Role.CONSULTANT)
    await staff.expect("call", call_id=call_id, state="connected")
    await signals_both_ways(viewer, staff, call_id, "both")
    assert [p["reason"] for _u, p in await logged(node, "call.ended")] == []
