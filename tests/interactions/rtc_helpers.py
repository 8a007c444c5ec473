"""Helpers of the call and mic tests: a ready consultant, a ringing/connected call, the logged events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from siyu.app import Node
from siyu.auth import Role
from siyu.store.tables import events
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


async def connected(viewer: Client, staff: Client, to: str = "c1") -> str:
    call_id = await ring(viewer, to)
    await staff.expect("call", call_id=call_id, state="ringing")
    await staff.send({"type": "call_answer", "call_id": call_id, "accept": True, "cid": "ans"})
    ack, _ = await both(staff, {"type": "ack", "cid": "ans"}, {"type": "call", "state": "connected"})
    assert "error" not in ack
    await viewer.expect("call", call_id=call_id, state="connected")
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
