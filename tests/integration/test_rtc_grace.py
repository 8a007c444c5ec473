"""The leave grace of a call across two nodes sharing one PostgreSQL and one Redis (rtc/presence.py,
docs/protocol.md section 12): a viewer whose WebSocket on node A drops and who comes back on node B within
`rtc.leave_grace_s` stays in the call, whether B's connection opened after A's closed or before; a party who
is not back ends the call once, also when the node that saw the leave is gone (every node's backstop).

The nodes' clocks are moved past the grace by calling the tick (or the refresh) with an explicit time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from siyu.events import now_ms
from siyu.interactions.rtc.store import STALE_S
from tests.conftest import Client, RedisProcess
from tests.integration.test_rtc_scaleout import sees_callee, two_nodes
from tests.interactions.rtc_helpers import (
    calls_of,
    connected,
    left_here,
    logged,
    ready_staff,
    seen_at,
    seen_since,
    settled,
)
from tests.interactions.test_calls import signals_both_ways

pytestmark = pytest.mark.integration


async def test_a_viewer_back_on_the_other_node_within_the_grace_keeps_the_call(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Any, pg_server: str
) -> None:
    a, b = await two_nodes(redis_server, node_factory, pg_server)
    staff = await ready_staff(connect, a)
    viewer: Client = await connect(a, user="v1")
    call_id = await connected(viewer, staff)
    grace = calls_of(a).grace.grace_ms

    # 1. the viewer's socket on A closes; it reconnects on B: B writes that it is there at once
    await viewer.close()
    gone = await left_here(a, "v1")
    on_b: Client = await connect(b, user="v1")
    assert (await on_b.expect("call", call_id=call_id, state="connected"))["peer"]["id"] == "c1"
    await seen_since(a, call_id, "caller", gone.at)
    calls_of(a).tick(gone.at + grace)  # A's grace is over: its compare-and-set finds v1 seen since
    await settled(a, call_id)
    assert calls_of(a).book.calls[call_id].status == "connected"
    await signals_both_ways(on_b, staff, call_id, "b")  # relayed across the nodes, both ways

    # 2. a connection on A opens before the one on B closes (A's enter is older than B's leave): A's next
    # refresh says v1 is there, within B's grace
    on_a: Client = await connect(a, user="v1")
    await on_a.expect("call", call_id=call_id, state="connected")
    await on_b.close()
    gone_b = await left_here(b, "v1")
    await calls_of(a).grace.refresh(gone_b.at + 1)  # A's periodic touch, after B saw the leave
    calls_of(b).tick(gone_b.at + grace)
    await settled(b, call_id)
    assert calls_of(b).book.calls[call_id].status == "connected"
    await signals_both_ways(on_a, staff, call_id, "a")

    await staff.send({"type": "call_hangup", "call_id": call_id, "cid": "h"})
    assert "error" not in await staff.expect("ack", cid="h")
    await on_a.expect("call", call_id=call_id, state="ended", reason="hangup")
    assert [p["reason"] for _u, p in await logged(a, "call.ended")] == ["hangup"]


async def test_a_party_not_back_ends_the_call_once_from_either_node(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Any, pg_server: str
) -> None:
    a, b = await two_nodes(redis_server, node_factory, pg_server)
    staff = await ready_staff(connect, b)  # the consultant on B, the viewers on A
    grace = calls_of(a).grace.grace_ms
    ended: list[str] = []
    for i, lost_node in enumerate((False, True)):
        viewer: Client = await connect(a, user="v1")
        await sees_callee(viewer, "c1")
        call_id = await connected(viewer, staff, tag=str(i))
        await viewer.close()
        gone = await left_here(a, "v1")
        if lost_node:  # A stops (or dies) during the grace: its pending end is gone, B's backstop ends it
            calls_of(a).grace.pending.clear()
            last, _ = await seen_at(b, call_id)  # when a node last saw v1 (A, before the leave)
            assert last is not None and last <= gone.at
            await calls_of(b).grace.refresh(last + grace + STALE_S * 1000)  # not yet
            await settled(b, call_id)
            assert calls_of(b).book.calls[call_id].status == "connected"
            await calls_of(b).grace.refresh(last + grace + STALE_S * 1000 + 1)
        else:  # A's grace is over, and B's backstop looks at the same moment: one of them records
            later = max(gone.at + grace + STALE_S * 1000 + 1, now_ms())
            calls_of(a).tick(gone.at + grace)
            await calls_of(b).grace.refresh(later)
        msg = await staff.expect("call", call_id=call_id, state="ended")
        assert msg["reason"] == "left"
        ended.append(call_id)
        await asyncio.gather(settled(a, call_id), settled(b, call_id))
        ends = [(u, p["call_id"], p["reason"], p["by"]) for u, p in await logged(b, "call.ended")]
        assert ends == [("v1", c, "left", "v1") for c in ended], i
