"""Crashes with real processes (issue 10): `siyu serve` nodes on one PostgreSQL and one Redis, killed with
SIGKILL. Each test checks the promise from the clients' side and against the event log:

- every acknowledged room message reaches every connected host exactly once, and a viewer resuming on
  another node gets it, also when the node that committed it died before publishing it;
- no seq names two messages, through a Redis kill and restart;
- a re-sent cid is answered with its first ack on whichever node or worker receives it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from sqlalchemy import select

from siyu.auth import Role
from siyu.store.db import Database
from siyu.store.tables import events
from tests.conftest import Client, RedisProcess, fresh_pg_database
from tests.integration.procs import Server

pytestmark = pytest.mark.integration


class Reader:
    """Reads a client's room messages in the background: (type, seq) of each, in arrival order."""

    def __init__(self, client: Client, kinds: tuple[str, ...]) -> None:
        self.client, self.kinds = client, kinds
        self.got: list[tuple[str, int]] = []
        self.other: list[dict[str, Any]] = []
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed, asyncio.CancelledError):
            while True:
                msg = await self.client.recv(timeout=3600)
                if msg.get("type") in self.kinds and "seq" in msg:
                    self.got.append((msg["type"], msg["seq"]))
                else:
                    self.other.append(msg)

    def seqs(self, kind: str) -> list[int]:
        return [s for k, s in self.got if k == kind]

    async def until(self, kind: str, want: set[int], timeout: float = 15.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not want <= set(self.seqs(kind)):
            missing = sorted(want - set(self.seqs(kind)))
            assert asyncio.get_running_loop().time() < deadline, f"missing {missing}"
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


async def log_rows(db_url: str, kind: str) -> list[tuple[int | None, str | None]]:
    db = Database(db_url)
    try:
        async with db.engine.connect() as conn:
            q = select(events.c.seq, events.c.cid).where(events.c.type == kind)
            return [(r[0], r[1]) for r in (await conn.execute(q)).all()]
    finally:
        await db.close()


@pytest.fixture
async def pg_url(pg_server: str) -> str:
    return await fresh_pg_database(pg_server)


@pytest.fixture
async def servers(tmp_path: Path) -> AsyncIterator[list[Server]]:
    made: list[Server] = []
    yield made
    for s in made:
        await s.close_clients()
        s.kill()


async def test_a_node_killed_during_a_gift_burst_loses_no_acked_gift(
    pg_url: str, redis_server: RedisProcess, servers: list[Server], tmp_path: Path
) -> None:
    """Eight viewers on node A send a rocket at once; A is SIGKILLed as the first ack arrives. Whatever A
    had committed (every acked gift among it) reaches B's host exactly once, and a viewer that resumes on
    B from before the burst gets every one of them. Three rounds, A restarted in between."""
    a = Server(tmp_path, "a", pg_url, redis_server.url)
    b = Server(tmp_path, "b", pg_url, redis_server.url)
    servers += [a, b]
    a.start()
    await a.ready()
    await a.setup_room("r1")
    b.start()
    await b.ready()
    host = Reader(await b.join("r1", "host", Role.HOST, nickname="主播"), ("gift",))
    try:
        for rnd in range(3):
            quiet = await a.join("r1", f"quiet{rnd}")  # resumes on B afterwards, from before the burst
            viewers = [await a.join("r1", f"v{rnd}-{i}") for i in range(8)]
            cids = [f"g{rnd}-{i}" for i in range(8)]
            for v, cid in zip(viewers, cids, strict=True):
                await v.send({"type": "gift", "gift_id": "rocket", "count": 1, "cid": cid})
            waits = [asyncio.create_task(v.expect("ack", timeout=10, cid=cid))
                     for v, cid in zip(viewers, cids, strict=True)]  # fmt: skip
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            a.kill()  # as soon as the first ack is in
            results = await asyncio.gather(*waits, return_exceptions=True)  # acks already sent still arrive
            acked = {r["cid"]: r["seq"] for r in results if isinstance(r, dict)}
            assert acked
            committed = {cid: seq for seq, cid in await log_rows(pg_url, "gift.sent") if cid in cids}
            assert set(acked.items()) <= set(committed.items())  # acked = committed, with that seq
            want = {s for s in committed.values() if s is not None}
            await host.until("gift", want)
            mine = [s for s in host.seqs("gift") if s in want]
            assert sorted(mine) == sorted(want)  # each exactly once

            again = await b.join("r1", f"quiet{rnd}")
            resumer = Reader(again, ("gift",))
            await again.resume(quiet.welcome["seq"], quiet.welcome["epoch"])
            await resumer.until("gift", want)
            assert not [m for m in resumer.other if m.get("type") == "resync"]
            await resumer.stop()
            assert sorted(s for s in resumer.seqs("gift") if s in want) == sorted(want)
            if rnd < 2:
                a.start()
                await a.ready()
    finally:
        await host.stop()


async def test_redis_killed_and_restarted_during_traffic_keeps_seqs_unique_and_hosts_complete(
    pg_url: str, redis_server: RedisProcess, servers: list[Server], tmp_path: Path
) -> None:
    """Viewers on two nodes comment while Redis is SIGKILLed and restarted empty. No seq is acked
    twice, the log holds each seq once, and the host on each node gets every acked comment once."""
    a = Server(tmp_path, "a", pg_url, redis_server.url)
    b = Server(tmp_path, "b", pg_url, redis_server.url)
    servers += [a, b]
    a.start()
    await a.ready()
    await a.setup_room("r1")
    b.start()
    await b.ready()
    hosts = [Reader(await n.join("r1", f"host-{n.name}", Role.HOST), ("comment",)) for n in (a, b)]
    acked: dict[str, int] = {}

    async def talk(node: Server, user: str, phase: str) -> None:
        client = await node.join("r1", user)  # fresh users per phase: 4 comments is under the per-user limit
        for i in range(4):
            cid = f"{user}-{phase}-{i}"
            await client.send({"type": "comment", "cid": cid, "text": f"{phase}第{i}条"})
            ack = await client.expect("ack", timeout=15, cid=cid)
            assert "seq" in ack, ack
            acked[cid] = ack["seq"]

    try:
        def phase(name: str) -> list[Any]:
            return [talk(n, f"{name}-{n.name}{i}", name) for n in (a, b) for i in range(3)]

        await asyncio.gather(*phase("before"))
        redis_server.kill()
        await asyncio.gather(*phase("down"))
        redis_server.start()  # traffic goes on at once, while the nodes find Redis again
        await asyncio.gather(*phase("back"))
        seqs = list(acked.values())
        assert len(seqs) == 72 and len(set(seqs)) == 72  # no seq acked twice
        logged = [s for s, _c in await log_rows(pg_url, "comment.posted")]
        assert sorted(logged) == sorted(seqs)  # the log holds each once, nothing unacked
        for host in hosts:
            await host.until("comment", set(seqs), timeout=20)
            assert sorted(host.seqs("comment")) == sorted(seqs)  # every one, exactly once
            assert not [m for m in host.other if m.get("type") == "resync"]
    finally:
        for host in hosts:
            await host.stop()


async def test_a_resent_cid_gets_its_first_ack_on_any_node_and_worker(
    pg_url: str, redis_server: RedisProcess, servers: list[Server], tmp_path: Path
) -> None:
    """One user acks cid s2-1 on node A, then re-sends it on node B and on a `--workers 2` server's
    workers (each reconnect lands on either worker): every answer is the first ack, one row in the log.
    A follow repeated on every connection counts once in the live session."""
    a = Server(tmp_path, "a", pg_url, redis_server.url)
    w = Server(tmp_path, "w", pg_url, redis_server.url, workers=2)
    b = Server(tmp_path, "b", pg_url, redis_server.url)
    servers += [a, w, b]
    a.start()
    await a.ready()
    await a.setup_room("r1")
    b.start()
    w.start()
    await b.ready()
    await w.ready()
    first: dict[str, int] = {}
    for user in ("u1", "u2", "u3"):
        c = await a.join("r1", user)
        await c.send({"type": "comment", "cid": "s2-1", "text": "有XL码吗"})
        first[user] = (await c.expect("ack", cid="s2-1"))["seq"]
        await c.send({"type": "follow", "cid": "f-a"})
        await c.expect("ack", cid="f-a")
        await c.close()
    nodes_seen: set[str] = set()
    for rnd in range(4):
        for user in ("u1", "u2", "u3"):
            for server in (b, w):
                c = await server.join("r1", user)
                await c.send({"type": "comment", "cid": "s2-1", "text": "有XL码吗"})
                assert (await c.expect("ack", cid="s2-1"))["seq"] == first[user]
                await c.send({"type": "follow", "cid": f"f-{server.name}{rnd}"})
                await c.expect("ack", cid=f"f-{server.name}{rnd}")
                nodes_seen.add(server.name)
                await c.close()
    comments = [cid for _s, cid in await log_rows(pg_url, "comment.posted")]
    assert comments == ["s2-1"] * 3  # one row per user
    follows = await log_rows(pg_url, "viewer.followed")
    assert len(follows) == 3  # once per user in the live session, whichever node or worker
    assert nodes_seen == {"b", "w"}


def worker_pids(supervisor: int) -> list[int]:
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    return [int(c) for c in children]


async def test_a_worker_killed_during_a_gift_burst_loses_no_acked_gift(
    pg_url: str, redis_server: RedisProcess, servers: list[Server], tmp_path: Path
) -> None:
    """`--workers 2`: a host and eight viewers land on either worker; one worker is SIGKILLed as the first
    ack of a rocket burst arrives. The host gets every committed gift once: live if its worker survived,
    else in the gap of its resume on the worker that is left."""
    import os
    import signal

    w = Server(tmp_path, "w", pg_url, redis_server.url, workers=2)
    servers.append(w)
    w.start()
    await w.ready()
    await w.setup_room("r1")
    assert w.proc is not None
    for _ in range(100):  # both workers up (the supervisor starts them together)
        if len(worker_pids(w.proc.pid)) == 2:
            break
        await asyncio.sleep(0.05)
    host_client = await w.join("r1", "host", Role.HOST)
    host = Reader(host_client, ("gift",))
    viewers = [await w.join("r1", f"v{i}") for i in range(8)]
    cids = [f"w-{i}" for i in range(8)]
    for v, cid in zip(viewers, cids, strict=True):
        await v.send({"type": "gift", "gift_id": "rocket", "count": 1, "cid": cid})
    waits = [asyncio.create_task(v.expect("ack", timeout=10, cid=cid))
             for v, cid in zip(viewers, cids, strict=True)]  # fmt: skip
    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    os.kill(worker_pids(w.proc.pid)[0], signal.SIGKILL)
    results = await asyncio.gather(*waits, return_exceptions=True)
    acked = {r["cid"]: r["seq"] for r in results if isinstance(r, dict)}
    committed = {cid: seq for seq, cid in await log_rows(pg_url, "gift.sent") if cid in cids}
    assert acked and set(acked.items()) <= set(committed.items())
    want = {s for s in committed.values() if s is not None}
    live = asyncio.create_task(host.until("gift", want))
    await asyncio.wait([live, host.task], return_when=asyncio.FIRST_COMPLETED)
    if not live.done():  # the host's connection closed first: its worker died
        live.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await live
    if host.task.done() and not (live.done() and not live.cancelled() and live.exception() is None):
        # its worker died: reconnect (to the worker left) and resume
        last = max([b["to"] for b in host_client.batches if "to" in b] + [host_client.welcome["seq"]])
        again = await w.join("r1", "host", Role.HOST)
        resumed = Reader(again, ("gift",))
        await again.resume(last, host_client.welcome["epoch"])
        await resumed.until("gift", want - set(host.seqs("gift")))
        got = host.seqs("gift") + resumed.seqs("gift")
        await resumed.stop()
    else:
        await live  # every committed gift arrived live (or the bound's failure)
        got = host.seqs("gift")
    await host.stop()
    assert sorted(s for s in got if s in want) == sorted(want)  # every committed gift, once
