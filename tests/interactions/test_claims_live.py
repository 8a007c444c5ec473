"""Many real WebSocket clients claiming one drop at once: exactly `quantity` grants, never more than
`per_user` per user, decided by the database (SQLite and PostgreSQL; two nodes on PostgreSQL + Redis)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from siyu.app import Node
from siyu.auth import Role
from siyu.interactions import Coupons
from siyu.realtime.client import RoomClient, connect
from siyu.store.tables import coupon_batches, coupon_grants, events
from tests.conftest import RedisProcess, fresh_pg_database

CLIENTS = 520  # 500 users; 20 of them twice (a second tab, on the other node when there are two)
USERS = 500
DROP = 100


async def open_client(node: Node, user: str, role: Role = Role.VIEWER) -> RoomClient:
    token = node.signer.issue(room="demo", user=user, role=role, nickname=user, level=1)
    client = await connect(f"{node.ws_url('demo')}?token={token}")
    while (await client.recv(10))["type"] != "welcome":
        pass
    return client


async def ack(client: RoomClient, cid: str, timeout: float = 60) -> dict[str, Any]:
    while True:
        msg = await client.recv(timeout)
        if msg.get("type") == "ack" and msg.get("cid") == cid:
            return msg


async def crowd(nodes: list[Node]) -> list[tuple[str, RoomClient]]:
    """CLIENTS connections of USERS users, spread over `nodes` (a user's second tab on the next node)."""
    plan = [(f"u{i % USERS}", nodes[(i + i // USERS) % len(nodes)]) for i in range(CLIENTS)]
    out: list[tuple[str, RoomClient]] = []
    for start in range(0, len(plan), 100):
        chunk = plan[start : start + 100]
        clients = await asyncio.gather(*(open_client(node, user) for user, node in chunk))
        out += [(user, c) for (user, _n), c in zip(chunk, clients, strict=True)]
    return out


async def claim_at_once(host_node: Node, nodes: list[Node]) -> tuple[str, list[dict[str, Any]]]:
    host = await open_client(host_node, "host", Role.HOST)
    people = await crowd(nodes)
    host.send({"type": "coupon_push", "cid": "drop", "coupon_id": "C01", "quantity": DROP, "seconds": 600})
    batch = (await ack(host, "drop"))["msg"]["batch_id"]
    # a user's second tab: users 0-9 re-send the first tab's cid, users 10-19 claim with a cid of their own
    cids = [("grab" if i < USERS or i - USERS < 10 else "grab-2") for i in range(len(people))]
    for (_user, c), cid in zip(people, cids, strict=True):  # everybody at once
        c.send({"type": "claim", "batch_id": batch, "cid": cid})
    answers = await asyncio.gather(*(ack(c, cid) for (_u, c), cid in zip(people, cids, strict=True)))
    answers = [{**a, "user": u} for (u, _c), a in zip(people, answers, strict=True)]
    await asyncio.gather(*(c.close() for _u, c in people), host.close())
    return batch, answers


async def check(node: Node, batch: str, answers: list[dict[str, Any]]) -> None:
    granted = [a for a in answers if "grant" in a]
    codes = {a["error"]["code"] for a in answers if "error" in a}
    by_user: dict[str, set[str]] = {}
    for a in granted:
        by_user.setdefault(a["user"], set()).add(a["grant"]["grant_id"])
    assert len({g for gs in by_user.values() for g in gs}) == DROP  # exactly the drop, never more
    assert all(len(gs) == 1 for gs in by_user.values())  # per_user_limit 1 (a user's two tabs: one grant)
    assert codes <= {"coupon.sold_out", "coupon.limit"}
    async with node.db.engine.connect() as conn:
        grants = (await conn.execute(
            select(coupon_grants.c.user_id, func.count()).where(coupon_grants.c.batch_id == batch)
            .group_by(coupon_grants.c.user_id)
        )).all()  # fmt: skip
        claimed = await conn.scalar(select(coupon_batches.c.claimed).where(coupon_batches.c.id == batch))
        logged = await conn.scalar(select(func.count()).where(events.c.type == "coupon.claimed"))
    assert len(grants) == DROP and max(n for _u, n in grants) == 1
    assert claimed == DROP and logged == DROP  # the grant and its event committed together
    assert {u for u, _n in grants} == set(by_user)
    first = {a["user"]: a for a in answers[:USERS]}
    for a in answers[USERS : USERS + 10]:  # the same cid on two tabs: one answer, the same for both
        other = first[a["user"]]
        assert a.get("grant") == other.get("grant") and a.get("error") == other.get("error")


async def test_500_clients_claim_a_100_coupon_drop(node: Node) -> None:
    batch, answers = await claim_at_once(node, [node])
    assert len(answers) == CLIENTS
    await check(node, batch, answers)


@pytest.mark.integration
async def test_two_nodes_on_postgresql_never_oversell(
    redis_server: RedisProcess, node_factory: Callable[..., Any], pg_server: str
) -> None:
    db = await fresh_pg_database(pg_server)
    a: Node = await node_factory(db, redis_url=redis_server.url)
    b: Node = await node_factory(db, redis_url=redis_server.url, demo=False)
    await b.registry.get("demo")
    batch, answers = await claim_at_once(a, [a, b])
    await check(a, batch, answers)
    room_b = await b.registry.get("demo")  # the other node learns the room-wide count at its tick
    assert room_b is not None
    drop = room_b.feature(Coupons).drops[batch]
    for _ in range(100):
        if drop.left == 0:
            break
        await asyncio.sleep(0.1)
    assert drop.left == 0
