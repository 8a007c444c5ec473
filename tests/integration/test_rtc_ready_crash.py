"""A staff member ready for calls whose node dies (SIGKILLed `siyu serve`): nothing logs their leave, so
the other nodes find their `rtc_ready` row stale and one of them records `call.ready` false, once; the room's
`callees` drop them. A staff member still connected to a live node stays ready. On SQLite, a single node
killed and restarted drops the gone staff member on its first refresh (docs/protocol.md section 12).

The nodes' clocks are moved past STALE_S by calling the refresh (or the tick) with an explicit time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from siyu.app import Node
from siyu.auth import Role
from siyu.events import now_ms
from siyu.interactions.rtc import Calls
from siyu.interactions.rtc.store import STALE_S
from siyu.store.db import Database
from siyu.store.tables import rtc_ready
from tests.conftest import Client, RedisProcess
from tests.integration.procs import Server, serving
from tests.integration.test_crash import pg_url, servers
from tests.integration.test_rtc_scaleout import sees_callee
from tests.interactions.rtc_helpers import logged, refused

pytestmark = pytest.mark.integration
__all__ = ["pg_url", "servers"]

LATER = (STALE_S + 1) * 1000  # past STALE_S after now


def calls_of(node: Node, room_id: str = "r1") -> Calls:
    room = node.registry.loaded(room_id)
    assert room is not None
    return room.feature(Calls)


async def rows(db_url: str) -> dict[str, int]:
    db = Database(db_url)
    try:
        async with db.engine.connect() as conn:
            got = await conn.execute(select(rtc_ready.c.user_id, rtc_ready.c.seen_at))
            return {str(r[0]): int(r[1]) for r in got.all()}
    finally:
        await db.close()


async def until_rows(db_url: str, want: set[str], timeout: float = 10.0) -> dict[str, int]:
    """The ready rows once exactly `want` have one (written beside the `call.ready` event)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while set(got := await rows(db_url)) != want:
        assert asyncio.get_running_loop().time() < deadline, f"rows {sorted(got)}, want {sorted(want)}"
        await asyncio.sleep(0.05)
    return got


async def go_ready(staff: Client, cid: str = "ready") -> None:
    await staff.send({"type": "call_ready", "ready": True, "cid": cid})
    assert "error" not in await staff.expect("ack", cid=cid)


async def barrier(*clients: Client) -> None:
    """A committed comment from each client's node: what that node recorded before is committed too."""
    for i, c in enumerate(clients):
        await c.send({"type": "comment", "cid": f"barrier{i}", "text": "在吗"})
        assert "error" not in await c.expect("ack", cid=f"barrier{i}")


async def readiness(node: Node) -> list[tuple[str | None, bool]]:
    return [(user, p["ready"]) for user, p in await logged(node, "call.ready")]


async def test_a_ready_consultant_whose_node_dies_is_unready_once(
    pg_url: str, redis_server: RedisProcess, servers: list[Server], tmp_path: Path,
    node_factory: Callable[..., Any], connect: Any,
) -> None:  # fmt: skip
    a = await serving(servers, tmp_path, pg_url, redis_server.url, "r1")
    b: Node = await node_factory(pg_url, redis_url=redis_server.url, demo=False)
    c: Node = await node_factory(pg_url, redis_url=redis_server.url, demo=False)
    await go_ready(await a.join("r1", "c1", Role.CONSULTANT, nickname="顾问小美"))
    viewers = [await connect(b, user="v1", room="r1"), await connect(c, user="v2", room="r1")]
    for v in viewers:
        await sees_callee(v, "c1")
    await until_rows(pg_url, {"c1"})

    a.kill()  # no leave is recorded: c1 stays ready in the log and on B and C
    a.clients.clear()
    assert "c1" in calls_of(b).book.ready and "c1" in calls_of(c).book.ready
    later = now_ms() + LATER
    await asyncio.gather(calls_of(b).refresh(later), calls_of(c).refresh(later))  # both check at once
    for v in viewers:
        assert (await v.expect("callees", callees=[]))["callees"] == []
    await barrier(*viewers)
    assert await readiness(b) == [("c1", True), ("c1", False)]  # one of the two nodes recorded it
    assert await refused(viewers[0], {"type": "call_request", "to": "c1", "cid": "r"}) == "call.unavailable"
    # the node whose look came after the other's delete started the row's clock again: it goes when stale
    assert set(await rows(pg_url)) <= {"c1"}
    await asyncio.gather(calls_of(b).refresh(later + LATER), calls_of(c).refresh(later + LATER))
    await barrier(*viewers)
    assert await readiness(b) == [("c1", True), ("c1", False)]  # and nothing more later
    assert await rows(pg_url) == {}


async def test_a_consultant_connected_to_a_live_node_too_stays_ready(
    pg_url: str, redis_server: RedisProcess, servers: list[Server], tmp_path: Path,
    node_factory: Callable[..., Any], connect: Any,
) -> None:  # fmt: skip
    a = await serving(servers, tmp_path, pg_url, redis_server.url, "r1")
    b: Node = await node_factory(pg_url, redis_url=redis_server.url, demo=False)
    c: Node = await node_factory(pg_url, redis_url=redis_server.url, demo=False)
    await go_ready(await a.join("r1", "c1", Role.CONSULTANT, nickname="顾问小美"))
    on_b: Client = await connect(b, user="c1", role=Role.CONSULTANT, room="r1", nickname="顾问小美")
    viewer: Client = await connect(c, user="v1", room="r1")
    await sees_callee(viewer, "c1")
    await until_rows(pg_url, {"c1"})

    a.kill()
    a.clients.clear()
    later = now_ms() + LATER
    await calls_of(b).refresh(later)  # B serves c1: its refresh says c1 is there at `later`
    assert (await rows(pg_url))["c1"] == later
    await calls_of(c).refresh(later)  # C finds the row fresh
    await barrier(viewer, on_b)
    assert await readiness(c) == [("c1", True)]
    assert "c1" in calls_of(c).book.ready and "c1" in calls_of(b).book.ready

    await on_b.close()  # c1's last connection on a live node leaves: that node records it, the row goes
    assert (await viewer.expect("callees", callees=[]))["callees"] == []
    await until_rows(pg_url, set())
    assert await readiness(c) == [("c1", True), ("c1", False)]


async def test_a_single_sqlite_node_restarted_drops_the_staff_who_did_not_come_back(
    servers: list[Server], tmp_path: Path, node_factory: Callable[..., Any], connect: Any
) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path}/one.db"
    a = await serving(servers, tmp_path, db_url, None, "r1")
    for user in ("c1", "c2", "c3"):
        await go_ready(await a.join("r1", user, Role.CONSULTANT))
    await until_rows(db_url, {"c1", "c2", "c3"})
    a.kill()
    a.clients.clear()
    db = Database(db_url)  # c3's row is missing (as for staff ready from before the table existed)
    async with db.engine.begin() as conn:
        await conn.execute(delete(rtc_ready).where(rtc_ready.c.user_id == "c3"))
    await db.close()

    node: Node = await node_factory(db_url, demo=False)  # the node again, on the same database
    await connect(node, user="c2", role=Role.CONSULTANT, room="r1")  # c2 comes back, c1 and c3 do not
    viewer: Client = await connect(node, user="v1", room="r1")
    assert [x["user"]["id"] for x in viewer.welcome["state"]["callees"]] == ["c1", "c2", "c3"]  # the log's
    first = now_ms() + LATER
    calls_of(node).tick(first)  # its first refresh past STALE_S: c1's row is stale, c3's clock starts
    msg = await viewer.expect("callees")
    assert [x["user"]["id"] for x in msg["callees"]] == ["c2", "c3"]
    assert (await rows(db_url)) == {"c2": first, "c3": first}
    calls_of(node).tick(first + LATER)  # nobody refreshed c3's row since
    msg = await viewer.expect("callees")
    assert [x["user"]["id"] for x in msg["callees"]] == ["c2"]
    await barrier(viewer)
    ready = [(u, True) for u in ("c1", "c2", "c3")] + [("c1", False), ("c3", False)]
    assert await readiness(node) == ready
