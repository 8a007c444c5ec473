"""Every kind of bad input gets its documented code; the server keeps serving."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import websockets

from siyu.app import Node
from siyu.auth import Role, TokenSigner
from tests.conftest import Client

pytestmark = pytest.mark.integration


async def closed_with(
    node: Node, token: str, room: str = "demo", query: str = ""
) -> tuple[int, dict[str, Any]]:
    async with websockets.connect(f"{node.ws_url(room)}?token={token}{query}") as ws:
        first = orjson.loads(await ws.recv())
        with pytest.raises(websockets.ConnectionClosed) as info:
            await ws.recv()
    assert info.value.rcvd is not None
    return info.value.rcvd.code, first


async def test_bad_tokens_close_with_their_codes(sqlite_node: Node) -> None:
    node = sqlite_node
    assert (await closed_with(node, "not-a-jwt"))[0] == 4001
    forged = TokenSigner("another-secret-that-is-long-enough-123", 3600).issue(
        room="demo", user="x", role=Role.HOST
    )
    code, first = await closed_with(node, forged)
    assert code == 4001 and first == {
        "type": "error",
        "code": "auth.invalid_token",
        "message": first["message"],
    }
    expired = node.signer.issue(room="demo", user="x", role=Role.VIEWER, ttl_s=-30)
    code, first = await closed_with(node, expired)
    assert code == 4002 and first["code"] == "auth.expired_token"
    other_room = node.signer.issue(room="room-b", user="x", role=Role.HOST)
    code, first = await closed_with(node, other_room)
    assert code == 4003 and first["code"] == "auth.wrong_room"
    ghost = node.signer.issue(room="ghost", user="x", role=Role.VIEWER)
    code, first = await closed_with(node, ghost, room="ghost")
    assert code == 4004 and first["code"] == "room_not_found"
    ok = node.signer.issue(room="demo", user="x", role=Role.VIEWER)
    code, first = await closed_with(node, ok, query="&v=9")
    assert code == 4005 and first["code"] == "unsupported_version"
    with pytest.raises(websockets.InvalidStatus) as notfound:
        await websockets.connect(f"ws://127.0.0.1:{node.gateway.port}/elsewhere")
    assert notfound.value.response.status_code == 404


async def test_malformed_frames_get_codes_and_connection_stays(sqlite_node: Node, connect: Any) -> None:
    c: Client = await connect(sqlite_node, user="u")
    cases: list[tuple[str | bytes, str]] = [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_message"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": "comment", "text": "no cid"}', "bad_message"),
        ('{"type": "like", "count": 1000}', "bad_message"),
        ('{"type": "comment", "cid": "c", "text": "x", "html": "<b>"}', "bad_message"),
        (b'{"type": "ping"}', "binary_unsupported"),
        ('{"type": "comment", "cid": "c", "text": "' + "长" * 2000 + '"}', "frame_too_large"),
    ]
    for frame, code in cases:
        await c.send(frame)
        msg = await c.recv()
        got = msg["error"]["code"] if msg["type"] == "ack" else msg["code"]
        assert got == code, (frame[:40], msg)
    await c.send({"type": "comment", "cid": "long", "text": "啊" * 201})
    err = (await c.expect("ack", cid="long"))["error"]
    assert err["code"] == "comment_too_long" and err["limit"] == 200
    await c.send({"type": "comment", "cid": "blank", "text": "   "})
    assert (await c.expect("ack", cid="blank"))["error"]["code"] == "empty_comment"
    await c.send({"type": "comment", "cid": "fine", "text": "还能说话吗"})
    assert "seq" in await c.expect("ack", cid="fine")


async def test_comment_rate_limit_is_per_user(sqlite_node: Node, connect: Any) -> None:
    spammer: Client = await connect(sqlite_node, user="spam")
    calm: Client = await connect(sqlite_node, user="calm")
    for i in range(7):
        await spammer.send({"type": "comment", "cid": f"s{i}", "text": f"刷屏{i}"})
    by_cid: dict[str, dict[str, Any]] = {}
    while len(by_cid) < 7:  # refusals are immediate, successes follow the commit: order differs
        ack = await spammer.expect("ack")
        by_cid[ack["cid"]] = ack
    acks = [by_cid[f"s{i}"] for i in range(7)]
    assert [("seq" in a) for a in acks] == [True] * 5 + [False] * 2
    assert acks[5]["error"]["code"] == "rate_limited" and acks[5]["error"]["retry_after_ms"] > 0
    await calm.send({"type": "comment", "cid": "c", "text": "我只说一句"})
    assert "seq" in await calm.expect("ack", cid="c")


async def test_flooding_closes_with_4008_and_server_keeps_serving(sqlite_node: Node, connect: Any) -> None:
    flood: Client = await connect(sqlite_node, user="flood")
    for _ in range(200):
        await flood.send({"type": "ping"})
    codes = []
    with pytest.raises(websockets.ConnectionClosed) as info:
        while True:
            msg = await flood.recv()
            if msg["type"] == "error":
                codes.append(msg["code"])
    assert info.value.rcvd is not None and info.value.rcvd.code == 4008
    assert set(codes) == {"rate_limited"}
    other: Client = await connect(sqlite_node, user="other")
    await other.send({"type": "ping", "t": 5})
    assert (await other.expect("pong"))["t"] == 5


async def test_frame_over_hard_limit_is_closed_1009(sqlite_node: Node, connect: Any) -> None:
    c: Client = await connect(sqlite_node, user="big")
    await c.send("x" * (sqlite_node.settings.limits.hard_frame_bytes + 10))
    with pytest.raises(websockets.ConnectionClosed) as info:
        while True:
            await c.recv()
    assert info.value.rcvd is not None and info.value.rcvd.code == 1009
    fine: Client = await connect(sqlite_node, user="after")
    assert fine.welcome["type"] == "welcome"
