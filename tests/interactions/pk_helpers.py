"""Shared by the PK tests: a second live room, host actions over real WebSocket clients, the log's recount."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from siyu.app import Node
from siyu.interactions.pk import Pk
from siyu.interactions.pk.model import pk_user
from siyu.store.tables import events
from tests.conftest import Client


async def live_room(node: Node, room_id: str, title: str = "小美的直播间", *, live: bool = True) -> None:
    """A second room of the demo shop (with a live session unless `live` is False)."""
    await node.rooms.create_room(room_id, "wanwan", title)
    if live:
        room = await node.registry.get(room_id)
        assert room is not None
        if room.session is None:
            await room.start_session("PK专场")


async def act(host: Client, cid: str, **frame: Any) -> dict[str, Any]:
    """Send a host's PK frame and return its ack."""
    await host.send({**frame, "cid": cid})
    return await host.expect("ack", cid=cid)


def code(ack: dict[str, Any]) -> str | None:
    return ack.get("error", {}).get("code")


async def invite(host: Client, to: str, cid: str = "i1", **extra: Any) -> dict[str, Any]:
    return await act(host, cid, type="pk_invite", room_id=to, **extra)


async def answer(host: Client, pk_id: str, accept: bool, cid: str = "a1") -> dict[str, Any]:
    return await act(host, cid, type="pk_answer", pk_id=pk_id, accept=accept)


async def gift(viewer: Client, gift_id: str, cid: str, count: int = 1) -> dict[str, Any]:
    await viewer.send({"type": "gift", "gift_id": gift_id, "count": count, "cid": cid})
    return await viewer.expect("ack", cid=cid)


def pk_of(node: Node, room_id: str) -> Pk:
    room = node.registry.loaded(room_id)
    assert room is not None
    return room.feature(Pk)


async def recount(node: Node, room_id: str, pk_id: str, ends_at: int) -> int:
    """The side's score read from the log directly (not through the feature's own recount)."""
    async with node.db.engine.connect() as conn:
        start = await conn.scalar(
            select(events.c.seq).where(
                events.c.room_id == room_id, events.c.type == "pk.started", events.c.user_id == pk_user(pk_id)
            )
        )
        assert start is not None
        rows = (
            await conn.execute(
                select(events.c.payload).where(
                    events.c.room_id == room_id, events.c.type == "gift.sent", events.c.seq > start,
                    events.c.ts < ends_at,
                )  # fmt: skip
            )
        ).all()
    return sum(int(p["coins"]) for (p,) in rows)


async def logged(node: Node, room_id: str, kind: str) -> int:
    """How many events of `kind` the room's log holds."""
    q = select(func.count()).where(events.c.room_id == room_id, events.c.type == kind)
    async with node.db.engine.connect() as conn:
        return int(await conn.scalar(q) or 0)
