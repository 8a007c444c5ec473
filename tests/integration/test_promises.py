"""The room's promises about cids, acks and rate budgets (issue 9, points 1-4), with real clients."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import websockets
from sqlalchemy import select

from siyu.app import Node, demo_catalog
from siyu.auth import ANY_ROOM, Role, TokenSigner
from siyu.config import DEFAULT_SECRET
from siyu.store.db import Database
from siyu.store.tables import events
from tests.conftest import Client, free_port
from tests.integration.test_durability import _wait_ready

pytestmark = pytest.mark.integration


def comment(cid: str, text: str = "好看") -> dict[str, Any]:
    return {"type": "comment", "cid": cid, "text": text}


async def test_a_known_cid_is_answered_before_any_rate_limit(sqlite_node: Node, connect: Any) -> None:
    v: Client = await connect(sqlite_node, user="v")
    first = None
    for i in range(5):  # the comment budget: 5 per 10 s
        await v.send(comment(f"c{i}"))
        ack = await v.expect("ack", cid=f"c{i}")
        first = first or ack
    await v.send(comment("c5"))
    assert (await v.expect("ack", cid="c5"))["error"]["code"] == "rate_limited"
    await v.send(comment("c0"))
    again = await v.expect("ack", cid="c0")
    assert first is not None and again["seq"] == first["seq"] and "error" not in again


async def test_refused_actions_spend_no_budget(sqlite_node: Node, connect: Any) -> None:
    v: Client = await connect(sqlite_node, user="v")
    for i in range(5):
        await v.send(comment(f"e{i}", "   "))
        assert (await v.expect("ack", cid=f"e{i}"))["error"]["code"] == "empty_comment"
        await v.send({"type": "gift", "gift_id": "nope", "cid": f"g{i}"})
        assert (await v.expect("ack", cid=f"g{i}"))["error"]["code"] == "unknown_gift"
        await v.send({"type": "moderate", "action": "mute", "user_id": "x", "cid": f"m{i}"})
        assert (await v.expect("ack", cid=f"m{i}"))["error"]["code"] == "forbidden_role"
    for i in range(5):  # the whole budget is still there
        await v.send(comment(f"ok{i}"))
        assert "seq" in await v.expect("ack", cid=f"ok{i}")
    await v.send(comment("ok5"))
    assert (await v.expect("ack", cid="ok5"))["error"]["code"] == "rate_limited"


async def test_staff_actions_are_bounded_by_the_frame_rate_only(sqlite_node: Node, connect: Any) -> None:
    host: Client = await connect(sqlite_node, user="h", role=Role.HOST)
    for i in range(8):
        await host.send({"type": "moderate", "action": "mute", "user_id": f"spam{i}", "cid": f"mu{i}"})
        assert "seq" in await host.expect("ack", cid=f"mu{i}")
    for i, status in enumerate(["busy", "live", "away", "live", "busy", "live"]):
        await host.send({"type": "host_status", "status": status, "cid": f"hs{i}"})
        assert "seq" in await host.expect("ack", cid=f"hs{i}")


async def test_every_frame_with_a_cid_gets_exactly_one_ack_even_under_the_frame_rate(
    sqlite_node: Node, connect: Any
) -> None:
    v: Client = await connect(sqlite_node, user="v")
    frames = [comment(f"f{i}") for i in range(55)]  # 40 frames/s pass, the rest are refused
    frames.append({"type": "like", "count": 1, "cid": "f-like"})
    frames.append({"type": "nope", "cid": "f-unknown"})
    for f in frames:
        await v.send(f)
    wanted = {f["cid"] for f in frames}
    acks: Counter[str] = Counter()
    while set(acks) != wanted:
        try:
            msg = await v.recv(5)
        except TimeoutError:
            raise AssertionError(f"no ack for {sorted(wanted - set(acks))}") from None
        if msg.get("type") == "ack":
            acks[msg["cid"]] += 1
        assert msg.get("type") != "error", msg  # a frame with a cid never gets a bare error
    # nothing more comes for these cids: a ping's pong arrives after any late ack would have (a ping the
    # frame rate refuses says when to ask again)
    await v.send({"type": "ping", "t": 1})
    while (msg := await v.recv(5)).get("type") != "pong":
        if msg.get("type") == "ack":
            acks[msg["cid"]] += 1
        elif msg.get("type") == "error" and msg.get("code") == "rate_limited":
            await asyncio.sleep(msg["retry_after_ms"] / 1000)
            await v.send({"type": "ping", "t": 1})
    assert set(acks.values()) == {1}, [c for c, n in acks.items() if n != 1]


async def _serve(db_url: str, tmp_path: Path, port: int, ws_port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SIYU_SECRET": DEFAULT_SECRET}
    cmd = [sys.executable, "-m", "siyu", "serve", "--port", str(port), "--ws-port", str(ws_port),
           "--db", db_url]  # fmt: skip
    with (tmp_path / f"server-{port}.log").open("ab") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    await _wait_ready(f"http://127.0.0.1:{port}", proc)
    return proc


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)


async def test_a_resent_cid_never_posts_twice_across_a_sigkill(db_url: str, tmp_path: Path) -> None:
    """Acked before the kill, or committed and never acked (a row the log holds, as a kill between commit
    and ack leaves it): re-sent after the restart, the cid is answered with its first seq."""
    port, ws_port = free_port(), free_port()
    signer = TokenSigner(DEFAULT_SECRET, 3600)
    proc = await _serve(db_url, tmp_path, port, ws_port)
    try:
        op = {"Authorization": f"Bearer {signer.issue(room=ANY_ROOM, user='op', role=Role.OPERATOR)}"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=op) as http:
            assert (await http.put("/api/shops/s1/catalog", json=demo_catalog())).status_code == 200
            r = await http.post("/api/rooms", json={"id": "r1", "shop_id": "s1", "title": "t"})
            assert r.status_code == 201
            assert (await http.post("/api/rooms/r1/live", json={"title": "测试"})).status_code == 201
        token = signer.issue(room="r1", user="u1", role=Role.VIEWER)
        url = f"ws://127.0.0.1:{ws_port}/ws/rooms/r1?token={token}"

        async def ack_of(frame: dict[str, Any]) -> dict[str, Any]:
            async with websockets.connect(url) as ws:
                assert orjson.loads(await ws.recv())["type"] == "welcome"
                await ws.send(orjson.dumps(frame).decode())
                async for raw in ws:
                    msg = orjson.loads(raw)
                    if msg.get("type") == "ack" and msg.get("cid") == frame["cid"]:
                        return dict(msg)
            raise AssertionError("no ack")

        first = await ack_of(comment("c1", "第一条"))
        liked = await ack_of({"type": "like", "count": 3, "cid": "l1"})
        assert "seq" in first and "error" not in liked
        _kill(proc)
        proc = await _serve(db_url, tmp_path, port, ws_port)
        again = await ack_of(comment("c1", "第一条"))
        assert again["seq"] == first["seq"] and "error" not in again
        assert "error" not in await ack_of({"type": "like", "count": 3, "cid": "l1"})
    finally:
        _kill(proc)
    db = Database(db_url)
    try:
        async with db.engine.connect() as conn:
            q = select(events.c.type, events.c.cid).where(events.c.user_id == "u1")
            rows = (await conn.execute(q)).all()
    finally:
        await db.close()
    counts = Counter((t, c) for t, c in rows if c is not None)
    assert counts == {("comment.posted", "c1"): 1, ("like.sent", "l1"): 1}


async def test_resume_from_beyond_the_newest_seq_is_a_resync(sqlite_node: Node, connect: Any) -> None:
    v: Client = await connect(sqlite_node, user="v")
    newest = v.welcome["seq"]
    await v.resume(newest + 50, v.welcome["epoch"])
    msg = await v.expect("resync")
    assert msg["seq"] == newest and msg["epoch"] == v.welcome["epoch"] and msg["state"]["type"] == "state"


async def test_one_frame_of_100_likes_fits_the_like_budget(sqlite_node: Node, connect: Any) -> None:
    v: Client = await connect(sqlite_node, user="v")
    await v.send({"type": "like", "count": 100, "cid": "l1"})
    assert "error" not in await v.expect("ack", cid="l1")
    await v.send({"type": "like", "count": 1, "cid": "l2"})
    assert (await v.expect("ack", cid="l2"))["error"]["code"] == "rate_limited"


async def test_a_room_id_outside_the_id_alphabet_is_no_room(sqlite_node: Node) -> None:
    token = sqlite_node.signer.issue(room=ANY_ROOM, user="op", role=Role.OPERATOR)
    for rid in ("a%00b", "x" * 65, "%E2%80%AE"):
        async with websockets.connect(f"{sqlite_node.ws_url(rid)}?token={token}") as ws:
            first = orjson.loads(await ws.recv())
            assert first["type"] == "error" and first["code"] == "room_not_found"
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4004


async def test_a_room_that_cannot_open_says_so_before_closing(tmp_path: Path) -> None:
    """Whatever breaks while a room loads, the client gets an `error` frame (`internal`) and then 1011:
    never a silent 1011 (a client following the docs would retry forever without knowing why)."""
    from siyu.app import FEATURES
    from siyu.rooms.feature import Feature
    from tests.conftest import make_settings

    class Broken(Feature):
        name = "broken"

        def __init__(self, room: Any) -> None:
            raise RuntimeError("a feature that cannot start")

    node = Node(make_settings(f"sqlite+aiosqlite:///{tmp_path}/b.db"), features=[*FEATURES, Broken])
    await node.start()
    try:
        await node.rooms.load_catalog("s1", demo_catalog())
        await node.rooms.create_room("demo", "s1", "t")
        token = node.signer.issue(room="demo", user="v", role=Role.VIEWER)
        async with websockets.connect(f"{node.ws_url('demo')}?token={token}") as ws:
            first = orjson.loads(await ws.recv())
            assert first == {"type": "error", "code": "internal", "message": first["message"]}
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1011
    finally:
        await node.stop()
