"""Helpers of the call and mic tests: a ready consultant, a ringing/connected call, the logged events, a
party's leave pending on a node (the leave grace: rtc/presence.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from siyu.app import Node
from siyu.auth import Role
from siyu.interactions.rtc import Calls
from siyu.interactions.rtc.presence import Left
from siyu.store.tables import events, rtc_calls
from tests.conftest import Client


async def ready_staff(connect: Any, node: Node, user: str = "c1", role: Role = Role.CONSULTANT) -> Client:
    staff: Client = await connect(node, user=user, role=role, nickname="顾问小美")
    await staff.send({"type": "call_ready", "ready": True, "cid": "ready"})
    ack = await staff.expect("ack", cid="ready")
    assert "error" not in ack, ack
    return staff


async def both(
    client: Client, first: dict[str, Any], second: dict[str, Any], timeout: float = 5.0
) -> list[Any]:
    """Read until a message matching each pattern (its fields equal) came, whichever comes first."""
    found: list[Any] = [None, None]
    skipped: list[dict[str, Any]] = []
    while None in found:
        msg = await client.recv(timeout)
        for i, pattern in enumerate((first, second)):
            if found[i] is None and all(msg.get(k) == v for k, v in pattern.items()):
                found[i] = msg
                break
        else:
            skipped.append(msg)
    return found


async def ring(viewer: Client, to: str, cid: str = "call") -> str:
    """Ring `to`: the ack (with the call id) and the caller's own `call` (ringing), in either order."""
    await viewer.send({"type": "call_request", "to": to, "cid": cid})
    ack, call = await both(viewer, {"type": "ack", "cid": cid}, {"type": "call", "state": "ringing"})
    assert "error" not in ack, ack
    assert call["call_id"] == ack["call_id"] and call["role"] == "caller"
    viewer.last_call = call  # type: ignore[attr-defined]
    return str(ack["call_id"])


async def connected(viewer: Client, staff: Client, to: str = "c1", tag: str = "") -> str:
    """A call rung and accepted (`tag`: what makes the cids new, for a second call of the same clients)."""
    call_id = await ring(viewer, to, f"call{tag}")
    await staff.expect("call", call_id=call_id, state="ringing")
    await staff.send({"type": "call_answer", "call_id": call_id, "accept": True, "cid": f"ans{tag}"})
    ack, staff.last_call = await both(  # type: ignore[attr-defined]
        staff, {"type": "ack", "cid": f"ans{tag}"}, {"type": "call", "state": "connected"}
    )
    assert "error" not in ack
    viewer.last_call = await viewer.expect("call", call_id=call_id, state="connected")  # type: ignore[attr-defined]
    return call_id


async def refused(client: Client, msg: dict[str, Any]) -> str:
    """Send `msg` (with a cid) and return the code of its failed ack."""
    await client.send(msg)
    ack = await client.expect("ack", cid=msg["cid"])
    assert "error" in ack, ack
    return str(ack["error"]["code"])


async def logged(node: Node, kind: str) -> list[tuple[str | None, dict[str, Any]]]:
    async with node.db.engine.connect() as conn:
        rows = await conn.execute(
            select(events.c.user_id, events.c.payload).where(events.c.type == kind).order_by(events.c.ts)
        )
        return [(r[0], dict(r[1])) for r in rows.all()]


def calls_of(node: Node, room_id: str = "demo") -> Calls:
    room = node.registry.loaded(room_id)
    assert room is not None
    return room.feature(Calls)


async def until(check: Any, what: str, timeout: float = 10.0) -> Any:
    """`check()` once it is truthy (a state the node reaches on its own), failing after `timeout`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (got := check()):
        assert asyncio.get_running_loop().time() < deadline, f"not {what} within {timeout}s"
        await asyncio.sleep(0.02)
    return got


async def left_here(node: Node, user: str, room_id: str = "demo") -> Left:
    """`user`'s leave pending on `node`, once the close of their last connection there reached it."""
    calls = calls_of(node, room_id)
    got: Left = await until(lambda: calls.grace.pending.get(user), f"{user} pending on the node")
    return got


async def settled(node: Node, call_id: str, room_id: str = "demo") -> None:
    """No timer of `node` is moving the call (an end it tried has answered)."""
    calls = calls_of(node, room_id)
    await until(lambda: not (c := calls.book.calls.get(call_id)) or not c.busy, "settled")


async def seen_at(node: Node, call_id: str) -> tuple[int | None, int | None]:
    """(caller_seen_at, callee_seen_at) of the call's row."""
    async with node.db.engine.connect() as conn:
        c = rtc_calls.c
        q = select(c.caller_seen_at, c.callee_seen_at).where(c.call_id == call_id)
        row = (await conn.execute(q)).one()
        return row[0], row[1]


async def seen_since(node: Node, call_id: str, party: str, at: int, timeout: float = 10.0) -> int:
    """The call row's seen_at of `party` ("caller" or "callee") once a node wrote it at `at` or later (the
    node a party enters writes it beside telling them)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while (got := (await seen_at(node, call_id))[party == "callee"]) is None or got < at:
        assert asyncio.get_running_loop().time() < deadline, f"{party} of {call_id} not seen since {at}"
        await asyncio.sleep(0.02)
    return got
