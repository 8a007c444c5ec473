"""``siyu bench claims``: CLAIMERS real WebSocket clients claim one QUANTITY-coupon drop at once.

One process runs the node and the clients (picows on both sides, one loop: the latency includes the
clients' own work). Reported: grants (must equal QUANTITY), refusals by code, claim -> ack p50/p99, claims/s.
In the same run, a naive read-then-write claim (read `claimed`, then write `claimed + 1` and the grant in a
second transaction, as one would without the conditional UPDATE) runs with the same number of concurrent
claimers directly against the same database, on a fresh drop: it oversells.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from siyu.app import Node
from siyu.auth import Role
from siyu.bench.harness import raise_fd_limit
from siyu.config import load_settings
from siyu.events import new_id, now_ms
from siyu.interactions.store import Batch
from siyu.realtime.client import RoomClient, connect
from siyu.store.db import Database
from siyu.store.tables import coupon_batches, coupon_grants


@dataclass(slots=True)
class ClaimsResult:
    claimers: int
    quantity: int
    backend: str
    granted: int
    refused: dict[str, int]
    ack_p50_ms: float
    ack_p99_ms: float
    claims_per_s: float
    naive_granted: int
    naive_oversold: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * p))] if s else 0.0


async def _client(node: Node, user: str, role: Role = Role.VIEWER) -> RoomClient:
    token = node.signer.issue(room="demo", user=user, role=role, nickname=user, level=1)
    c = await connect(f"{node.ws_url('demo')}?token={token}", timeout=60)
    while (await c.recv(60))["type"] != "welcome":
        pass
    return c


async def crowd(node: Node, n: int, prefix: str) -> list[RoomClient]:
    """`n` viewers (`<prefix>0`, `<prefix>1` …) in the demo room, connected 250 at a time."""
    clients: list[RoomClient] = []
    for start in range(0, n, 250):
        k = min(250, n - start)
        clients += await asyncio.gather(*(_client(node, f"{prefix}{start + i}") for i in range(k)))
    return clients


@contextlib.asynccontextmanager
async def demo_node(name: str, db_url: str | None, **settings: Any) -> AsyncIterator[Node]:
    """A node with the demo room, on `db_url` or a temp SQLite file, stopped on exit (the room benchmarks);
    `settings` override the node's settings (e.g. `limits=`)."""
    raise_fd_limit()
    url = db_url or f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp(prefix=f'siyu-{name}-')) / f'{name}.db'}"
    node = Node(load_settings(db_url=url, port=0, ws_port=0, **settings))
    await node.start()
    try:
        await node.ensure_demo_room("demo")
        yield node
    finally:
        await node.stop()


async def _ack(c: RoomClient, cid: str) -> tuple[dict[str, Any], float]:
    while True:
        msg = await c.recv(120)
        if msg.get("type") == "ack" and msg.get("cid") == cid:
            return msg, time.perf_counter()


async def naive_claims(db: Database, room_id: str, claimers: int, quantity: int) -> int:
    """The baseline without the database deciding: read, then write what was read plus one."""
    now = now_ms()
    batch = Batch(new_id(), room_id, "C01", quantity, 0, 1, now, now + 600_000, None)
    async with db.engine.begin() as conn:
        await conn.execute(coupon_batches.insert().values(**asdict(batch)))

    row = coupon_batches.c.id == batch.id

    async def claim(user: str) -> None:
        async with db.engine.connect() as conn:
            seen = int(await conn.scalar(select(coupon_batches.c.claimed).where(row)) or 0)
        if seen >= quantity:
            return
        async with db.engine.begin() as conn:
            await conn.execute(update(coupon_batches).where(row).values(claimed=seen + 1))
            await conn.execute(
                coupon_grants.insert().values(id=new_id(), batch_id=batch.id, user_id=user, n=1, ts=now_ms())
            )

    await asyncio.gather(*(claim(f"n{i}") for i in range(claimers)), return_exceptions=True)
    async with db.engine.connect() as conn:
        got = await conn.scalar(select(func.count()).where(coupon_grants.c.batch_id == batch.id))
    return int(got or 0)


async def run_claims(claimers: int = 5000, quantity: int = 100, db_url: str | None = None) -> ClaimsResult:
    async with demo_node("claims", db_url) as node:
        host = await _client(node, "host", Role.HOST)
        clients = await crowd(node, claimers, "u")
        host.send({"type": "coupon_push", "cid": "drop", "coupon_id": "C01", "quantity": quantity,
                   "seconds": 600})  # fmt: skip
        batch = (await _ack(host, "drop"))[0]["msg"]["batch_id"]
        began = time.perf_counter()
        sent = []
        for c in clients:
            sent.append(time.perf_counter())
            c.send({"type": "claim", "batch_id": batch, "cid": "grab"})
        answers = await asyncio.gather(*(_ack(c, "grab") for c in clients))
        took = max(t for _a, t in answers) - began
        lat = [(t - s) * 1000 for (_a, t), s in zip(answers, sent, strict=True)]
        refused = Counter(a["error"]["code"] for a, _t in answers if "error" in a)
        granted = sum(1 for a, _t in answers if "grant" in a)
        await asyncio.gather(*(c.close() for c in clients), host.close())
        naive = await naive_claims(node.db, "demo", claimers, quantity)
        return ClaimsResult(
            claimers=claimers, quantity=quantity, backend="sqlite" if node.db.is_sqlite else "postgresql",
            granted=granted, refused=dict(refused), ack_p50_ms=_pct(lat, 0.5), ack_p99_ms=_pct(lat, 0.99),
            claims_per_s=claimers / took if took > 0 else 0.0, naive_granted=naive,
            naive_oversold=max(0, naive - quantity),
        )  # fmt: skip
