"""Lucky bags with real WebSocket clients and real servers: a bag from start to prizes on one node checked by
`siyu luckybag verify` against the HTTP audit (and a tampered file failing); two nodes on PostgreSQL +
Redis drawing once with viewers entering on both; an open bag surviving a restart and drawn after it."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

import siyu
from siyu.app import Node
from siyu.auth import Role
from siyu.interactions.luckybag import canonical, draw, verify
from siyu.store.tables import coupon_grants, events
from tests.conftest import Client, RedisProcess, fresh_pg_database, make_settings

pytestmark = pytest.mark.integration

START = {"type": "luckybag_start", "prize": {"kind": "coupon", "coupon_id": "C01"}, "seconds": 60}


async def siyu_cli(*args: str) -> tuple[int, str]:
    """`python -m siyu …` in its own process (this worktree's sources), as a user runs it."""
    env = {**os.environ, "PYTHONPATH": str(Path(siyu.__file__).parents[1]), "COLUMNS": "300"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "siyu", *args, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return int(proc.returncode or 0), out.decode()


async def count(node: Node, kind: str) -> int:
    q = select(func.count()).where(events.c.room_id == "demo", events.c.type == kind)
    async with node.db.engine.connect() as conn:
        return int(await conn.scalar(q) or 0)


async def test_a_bag_from_start_to_prizes_and_its_audit_verifies(
    sqlite_node: Node, connect: Callable[..., Any], tmp_path: Path
) -> None:
    node = sqlite_node
    host: Client = await connect(node, user="host", role=Role.HOST, nickname="晚晚")
    viewers: list[Client] = [await connect(node, user=f"u{i}", nickname=f"观众{i}") for i in range(5)]
    await host.send({**START, "cid": "s1", "winners": 2, "entry": {"kind": "phrase", "phrase": "来福袋"}})
    card = (await host.expect("ack", cid="s1"))["msg"]
    bag_id = card["bag_id"]
    assert (await viewers[0].expect("luckybag"))["seed_hash"] == card["seed_hash"]

    for i, c in enumerate(viewers[:3]):
        await c.send({"type": "luckybag_join", "bag_id": bag_id, "cid": "j1"})
        assert (await c.expect("ack", cid="j1"))["luckybag"] == {"bag_id": bag_id, "joined": True}, i
    await viewers[0].send({"type": "luckybag_join", "bag_id": bag_id, "cid": "j2"})  # twice: same answer
    assert (await viewers[0].expect("ack", cid="j2"))["luckybag"] == {"bag_id": bag_id, "joined": True}
    await viewers[3].send({"type": "comment", "cid": "c1", "text": "来福袋"})  # the 口令 as a comment
    assert (await viewers[3].expect("luckybag_mine"))["joined"] is True
    await host.send({"type": "luckybag_join", "bag_id": bag_id, "cid": "j3"})
    assert (await host.expect("ack", cid="j3"))["error"]["code"] == "luckybag.staff"
    assert (await viewers[4].expect("luckybag_count", entries=4))["bag_id"] == bag_id

    async with httpx.AsyncClient(base_url=node.http_url) as http:
        before = (await http.get(f"/api/rooms/demo/luckybags/{bag_id}")).json()
        assert before["seed"] is None and before["entries_count"] == 4 and before["winners"] == []
        await host.send({"type": "luckybag_draw", "bag_id": bag_id, "cid": "d1"})
        assert (await host.expect("ack", cid="d1"))["msg"]["type"] == "luckybag_closed"
        await viewers[4].send({"type": "luckybag_join", "bag_id": bag_id, "cid": "late"})
        assert (await viewers[4].expect("ack", cid="late"))["error"]["code"] == "luckybag.closed"
        result = await viewers[4].expect("luckybag_result", timeout=15)
        winners = [w["id"] for w in result["winners"]]
        assert winners == draw(canonical(["u0", "u1", "u2", "u3"]), bytes.fromhex(result["seed"]), 2)
        for c in viewers:
            if c.welcome["you"]["id"] in winners:
                won = await c.expect("luckybag_won")
                assert won["grant"]["coupon_id"] == "C01"

        r = await http.get(f"/api/rooms/demo/luckybags/{bag_id}")
        assert r.status_code == 200
        audit = r.json()
        assert audit["seed"] == result["seed"] and audit["entries"] == ["u0", "u1", "u2", "u3"]
        assert [w["id"] for w in audit["winners"]] == winners and verify(audit) == []
        missing = await http.get("/api/rooms/demo/luckybags/nope")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "luckybag.unknown"
        spec = (await http.get("/openapi.json")).json()
        assert "/api/rooms/{room_id}/luckybags/{bag_id}" in spec["paths"]
        assert "LuckyBagAudit" in spec["components"]["schemas"]

    saved = tmp_path / "audit.json"
    code, out = await siyu_cli(
        "luckybag", "verify", "--url", node.http_url, "--room", "demo", "--bag", bag_id, "--save", str(saved)
    )
    assert code == 0 and "OK" in out, out
    tampered = json.loads(saved.read_text(encoding="utf-8"))
    loser = next(e for e in tampered["entries"] if e not in winners)
    tampered["winners"][0] = {"id": loser, "nick": loser}  # a winner swapped for someone who lost
    saved.write_text(json.dumps(tampered), encoding="utf-8")
    code, out = await siyu_cli("luckybag", "verify", "--file", str(saved))
    assert code == 1 and "winners differ" in out, out
    code, out = await siyu_cli(
        "luckybag", "verify", "--url", node.http_url, "--room", "demo", "--bag", "nope"
    )
    assert code == 2 and "luckybag.unknown" in out, out


VIEWERS = 20


async def test_two_nodes_draw_once_with_viewers_entering_on_both(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Callable[..., Any], pg_server: str
) -> None:
    db = await fresh_pg_database(pg_server)
    a: Node = await node_factory(db, redis_url=redis_server.url)
    b: Node = await node_factory(db, redis_url=redis_server.url, demo=False)
    await b.registry.get("demo")
    nodes = (a, b)
    host: Client = await connect(a, user="host", role=Role.HOST, nickname="晚晚")
    home = [await connect(nodes[i % 2], user=f"u{i}") for i in range(VIEWERS)]
    away = [await connect(nodes[(i + 1) % 2], user=f"u{i}") for i in range(VIEWERS)]  # the same viewer

    await host.send({**START, "cid": "s1", "winners": 5, "entry": {"kind": "follow"}})
    bag_id = (await host.expect("ack", cid="s1"))["msg"]["bag_id"]
    for c in (home[0], home[1]):
        assert (await c.expect("luckybag"))["bag_id"] == bag_id
    await asyncio.gather(*(c.send({"type": "follow", "cid": "f1"}) for c in home))
    for c in home:
        await c.expect("ack", cid="f1")
    await asyncio.gather(*(c.send({"type": "luckybag_join", "bag_id": bag_id, "cid": "j1"}) for c in home))
    for c in home:
        assert (await c.expect("ack", cid="j1", timeout=20))["luckybag"]["joined"] is True
    await asyncio.gather(*(c.send({"type": "luckybag_join", "bag_id": bag_id, "cid": "j2"}) for c in away))
    for c in away:  # entered already, on the other node: the same answer, no second entry
        assert (await c.expect("ack", cid="j2", timeout=20))["luckybag"]["joined"] is True
    for c in (home[0], home[1]):  # the count (room counters summed by the broker) on each node
        await c.expect("luckybag_count", timeout=20, entries=VIEWERS)

    await host.send({"type": "luckybag_draw", "bag_id": bag_id, "cid": "d1"})
    await host.expect("ack", cid="d1")
    results = [await c.expect("luckybag_result", timeout=20) for c in (home[0], home[1], away[0], away[1])]
    assert len({r["seq"] for r in results}) == 1 and results[0]["entries"] == VIEWERS
    winners = [w["id"] for w in results[0]["winners"]]
    assert len(set(winners)) == 5
    entries = canonical(f"u{i}" for i in range(VIEWERS))
    assert winners == draw(entries, bytes.fromhex(results[0]["seed"]), 5)
    for user in winners:  # told privately on one of their two connections (after `luckybag.won` committed)
        i = int(user[1:])
        tasks = [asyncio.ensure_future(c.expect("luckybag_won", timeout=20)) for c in (home[i], away[i])]
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for t in pending:
            t.cancel()
        assert next(iter(done)).result()["grant"]["coupon_id"] == "C01"
    # both nodes' ticks drew at the deadline: one decision (the row), one result (the once-key)
    assert await count(a, "luckybag.drawn") == 1 and await count(a, "luckybag.entered") == VIEWERS
    assert await count(a, "luckybag.won") == 5
    async with a.db.engine.connect() as conn:
        holders = [u for (u,) in (await conn.execute(select(coupon_grants.c.user_id))).all()]
    assert sorted(holders) == sorted(winners)


async def test_an_open_bag_survives_a_restart_and_is_drawn_once_after_it(
    db_url: str, connect: Callable[..., Any]
) -> None:
    node = Node(make_settings(db_url))
    await node.start()
    await node.ensure_demo_room("demo")
    try:
        host: Client = await connect(node, user="host", role=Role.HOST)
        await host.send({**START, "cid": "s1", "winners": 3, "entry": {"kind": "phrase", "phrase": "福袋"}})
        card = (await host.expect("ack", cid="s1"))["msg"]
        for i in range(3):
            c: Client = await connect(node, user=f"u{i}")
            await c.send({"type": "luckybag_join", "bag_id": card["bag_id"], "cid": "j1"})
            await c.expect("ack", cid="j1")
    finally:
        await node.stop()

    node = Node(make_settings(db_url))  # a fresh process on the same database
    await node.start()
    try:
        back: Client = await connect(node, user="u0", welcome=False)  # the room loads on this first join
        back.welcome = await back.expect("welcome", timeout=20)
        assert back.welcome["state"]["luckybag"]["bag_id"] == card["bag_id"]
        assert back.welcome["state"]["luckybag"]["seed_hash"] == card["seed_hash"]
        assert (await back.expect("luckybag_mine")) == {"type": "luckybag_mine", "bag_id": card["bag_id"],
                                                        "joined": True, "won": None}  # fmt: skip
        new: Client = await connect(node, user="u3")
        assert (await new.expect("luckybag_mine"))["joined"] is False
        await new.send({"type": "comment", "cid": "c1", "text": "福袋"})
        await new.expect("luckybag_mine", joined=True)
        host2: Client = await connect(node, user="host", role=Role.HOST)
        product = {"kind": "product", "product_id": "P01"}
        await host2.send({**START, "cid": "s2", "prize": product, "entry": {"kind": "follow"}})
        assert (await host2.expect("ack", cid="s2"))["error"]["code"] == "luckybag.already_open"
        await host2.send({"type": "luckybag_draw", "bag_id": card["bag_id"], "cid": "d1"})
        await host2.expect("ack", cid="d1")
        result = await back.expect("luckybag_result", timeout=15)
        assert result["seed_hash"] == card["seed_hash"] and result["entries"] == 4
        async with httpx.AsyncClient(base_url=node.http_url) as http:
            audit = (await http.get(f"/api/rooms/demo/luckybags/{card['bag_id']}")).json()
        assert verify(audit) == [] and audit["entries"] == ["u0", "u1", "u2", "u3"]
        assert await count(node, "luckybag.drawn") == 1
    finally:
        await node.stop()
