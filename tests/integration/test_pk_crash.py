"""A node killed during a PK: room A's people on a real `siyu serve` process (SIGKILLed in a gift burst and
restarted), room B's on an in-process node (whose clock the test moves to the end). After recovery both
rooms' scoreboards equal the recount from the log, and the timer ends the battle exactly once: one
`pk.ended` in each room's log, with the recount's scores."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from siyu.app import Node
from siyu.auth import Role
from tests.conftest import Client, RedisProcess
from tests.integration.procs import Server, serving
from tests.integration.test_crash import pg_url, servers
from tests.interactions.pk_helpers import answer, gift, invite, logged, pk_of, recount

pytestmark = pytest.mark.integration
__all__ = ["pg_url", "servers"]


async def _burst(viewers: list[Client], prefix: str) -> list[asyncio.Task[dict[str, Any]]]:
    for i, v in enumerate(viewers):
        await v.send({"type": "gift", "gift_id": "rose", "count": 1 + i % 3, "cid": f"{prefix}{i}"})
    return [asyncio.create_task(v.expect("ack", timeout=10, cid=f"{prefix}{i}"))
            for i, v in enumerate(viewers)]  # fmt: skip


async def test_a_node_killed_during_a_pk_recovers_the_recount_and_ends_once(
    pg_url: str, redis_server: RedisProcess, servers: list[Server], tmp_path: Path,
    node_factory: Callable[..., Any], connect: Any,
) -> None:  # fmt: skip
    a = await serving(servers, tmp_path, pg_url, redis_server.url, "r1", "r2")
    n2: Node = await node_factory(pg_url, redis_url=redis_server.url, demo=False)
    host_a = await a.join("r1", "ha", Role.HOST)
    host_b = await connect(n2, user="hb", role=Role.HOST, room="r2")
    watch_b = await connect(n2, user="wb", room="r2")
    pk_id = (await invite(host_a, "r2"))["pk"]["pk_id"]
    assert (await answer(host_b, pk_id, True))["pk"]["status"] == "live"
    ends_at = (await watch_b.expect("pk", pk_id=pk_id, phase="live"))["ends_at"]

    side_b = [await connect(n2, user=f"b{i}", room="r2") for i in range(4)]
    for i, v in enumerate(side_b):
        assert "error" not in await gift(v, "lightstick", f"b{i}")
    for rnd in range(2):
        side_a = [await a.join("r1", f"a{rnd}-{i}") for i in range(8)]
        waits = await _burst(side_a, f"r{rnd}-")
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        a.kill()  # mid-burst: some gifts committed, some not, some committed and never published
        await asyncio.gather(*waits, return_exceptions=True)
        a.clients.clear()
        a.start()
        await a.ready()
    for i, v in enumerate(side_b):  # B's side goes on during and after the outage
        assert "error" not in await gift(v, "rose", f"b2-{i}")
    late_a = [await a.join("r1", f"late{i}") for i in range(3)]
    for i, v in enumerate(late_a):
        assert "error" not in await gift(v, "heart", f"h{i}")

    score_a, score_b = await recount(n2, "r1", pk_id, ends_at), await recount(n2, "r2", pk_id, ends_at)
    assert score_a > 3 and score_b == 4 * 10 + 4 * 20
    watcher = await a.join("r1", "wa")  # on the restarted node: its scoreboard from the log and the stream
    await watcher.expect("pk_score", pk_id=pk_id, scores=[score_a, score_b], timeout=15)
    await watch_b.expect("pk_score", pk_id=pk_id, scores=[score_b, score_a], timeout=15)

    pk_of(n2, "r2").tick(ends_at + 2_000)  # the timer (node 2's clock moved to the end)
    ended = await watcher.expect("pk", pk_id=pk_id, phase="punish", timeout=15)
    assert [s["score"] for s in ended["sides"]] == [score_a, score_b] and ended["reason"] == "time"
    assert (await watch_b.expect("pk", pk_id=pk_id, phase="punish"))["sides"][0]["score"] == score_b
    pk_of(n2, "r1").tick(ends_at + 60_000)  # a later tick of the other room: the table says it is over
    for room_id in ("r1", "r2"):
        assert await logged(n2, room_id, "pk.started") == 1
        assert await logged(n2, room_id, "pk.ended") == 1
