"""The PK repair path on a real node (SQLite and PostgreSQL) with real WebSocket clients: the node that won a
transition's compare-and-set died before recording the transition in the partner room (or in either room).
The test makes the table move itself, through the PK store's CAS as the transition would, records the events
in room A only (or nowhere), then moves room B's clock past the deadline + REPAIR_MS through the feature's
`tick(now_ms)`: B's log catches up with the table (one event per room, whatever runs the repair again) and
B's viewers and hosts see the board the table says."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from siyu.app import Node
from siyu.auth import Role
from siyu.events import now_ms
from siyu.interactions.pk import Pk
from siyu.interactions.pk.board import Battle, invite_message, pk_message
from siyu.interactions.pk.model import END_GRACE_MS, REPAIR_MS, PkDeclined, PkStarted, pk_user
from siyu.interactions.pk.store import CANCELLED, CLOSED, DECLINED, EXPIRED, INVITED, LIVE, PUNISH
from siyu.rooms.room import Room
from siyu.store.tables import events
from tests.conftest import Client
from tests.interactions.pk_helpers import act, answer, gift, invite, live_room, logged, pk_of


async def pk_events(node: Node, room_id: str, pk_id: str) -> list[tuple[str, dict[str, Any], str | None]]:
    """The battle's own events in the room's log: `pk.invited` (no room message, no seq) first, then the
    others in seq order; (type, payload, cid)."""
    q = select(events.c.type, events.c.payload, events.c.cid, events.c.seq).where(
        events.c.room_id == room_id, events.c.user_id == pk_user(pk_id)
    )
    async with node.db.engine.connect() as conn:
        rows = sorted((await conn.execute(q)).all(), key=lambda r: (r[3] is not None, r[3] or 0))
    return [(str(t), dict(p), c) for t, p, c, _ in rows]


def room_of(node: Node, room_id: str) -> Room:
    room = node.registry.loaded(room_id)
    assert room is not None
    return room


async def upto(client: Client, mtype: str, **match: Any) -> list[dict[str, Any]]:
    """The messages the client reads up to and with the first `mtype` whose fields equal `match`."""
    seen: list[dict[str, Any]] = []
    while True:
        msg = await client.recv(10)
        seen.append(msg)
        if msg.get("type") == mtype and all(msg.get(k) == v for k, v in match.items()):
            return seen


async def both(client: Client, first: tuple[str, dict[str, Any]], second: tuple[str, dict[str, Any]]) -> None:
    """Both messages reach the client, in either order (a room message and a staff message)."""
    got = await upto(client, first[0], **first[1])
    if not any(m.get("type") == second[0] and all(m.get(k) == v for k, v in second[1].items()) for m in got):
        await upto(client, second[0], **second[1])


async def nothing_more(host: Client, viewer: Client, pk_id: str, cid: str) -> None:
    """No `pk` message of the battle reaches the room before a gift the viewer sends now."""
    await gift(viewer, "heart", cid)
    before = await upto(host, "gift", gift={"id": "heart", "name": "小心心", "coins": 1})
    assert [m for m in before if m.get("type") == "pk" and m.get("pk_id") == pk_id] == []


async def live_battle(node: Node, connect: Callable[..., Any]) -> tuple[str, dict[str, Client]]:
    """Rooms demo (A) and b in a LIVE battle (both logs have `pk.started`), a host and a viewer in each."""
    await live_room(node, "b")
    c = {
        "ha": await connect(node, user="ha", role=Role.HOST, nickname="晚晚"),
        "hb": await connect(node, user="hb", role=Role.HOST, room="b", nickname="小美"),
        "a1": await connect(node, user="a1", nickname="阿一"),
        "b1": await connect(node, user="b1", room="b", nickname="贝一"),
    }
    pk_id = (await invite(c["ha"], "b", seconds=120, punish_s=60))["pk"]["pk_id"]
    assert (await answer(c["hb"], pk_id, True))["pk"]["status"] == LIVE
    await c["a1"].expect("pk", pk_id=pk_id, phase=LIVE)
    await c["b1"].expect("pk", pk_id=pk_id, phase=LIVE)
    return pk_id, c


async def repeat(pk: Pk, pk_id: str) -> None:
    """The repair run again, twice at once: the once-keys keep every event single."""
    assert await pk.moves.repair(pk_id)
    assert all(await asyncio.gather(pk.moves.repair(pk_id), pk.moves.repair(pk_id)))


# --- the end: LIVE -> PUNISH ----------------------------------------------------------------------------


@pytest.mark.parametrize("recorded_in", ["a", "neither"])
async def test_an_end_never_recorded_in_b_is_repaired_once(
    node: Node, connect: Callable[..., Any], recorded_in: str
) -> None:
    pk_id, c = await live_battle(node, connect)
    await gift(c["a1"], "rose", "g1")  # 20 for A
    await gift(c["b1"], "lightstick", "g1")  # 10 for B
    await c["b1"].expect("pk_score", pk_id=pk_id, scores=[10, 20])
    pk_a, pk_b = pk_of(node, "demo"), pk_of(node, "b")
    row = await pk_a.store.get(pk_id)
    assert row is not None and row.ends_at is not None
    ends_at = row.ends_at

    # the winner of the end: the CAS with the result, as Moves.end makes it; then it dies
    result = await pk_a.moves.result(row, "time", ends_at + END_GRACE_MS)
    values = {"ended_at": ends_at + END_GRACE_MS, "punish_until": result.punish_until,
              "result": dataclasses.asdict(result)}  # fmt: skip
    assert await pk_a.store.move(pk_id, LIVE, PUNISH, **values)
    ended = dataclasses.replace(row, status=PUNISH, punish_until=result.punish_until)
    titles = pk_a.moves.titles(room_of(node, "demo"), room_of(node, "b"))
    if recorded_in == "a":
        msg = pk_message(Battle(ended, dict(titles), ended=result), "demo", PUNISH)
        await pk_a.moves.record(room_of(node, "demo"), pk_id, None, result, msg, "pk-ended")
        await c["a1"].expect("pk", pk_id=pk_id, phase=PUNISH)
    assert await logged(node, "b", "pk.ended") == 0
    b = pk_b.battle
    assert b is not None and b.status == LIVE  # B's node knows nothing of the end

    late = ends_at + END_GRACE_MS + REPAIR_MS
    pk_b.tick(late)  # B's clock past the deadline + REPAIR_MS: its own end loses the CAS, then repairs
    if recorded_in == "neither":
        pk_a.tick(late)
    seen = {k: await c[k].expect("pk", pk_id=pk_id, phase=PUNISH, timeout=10) for k in ("b1", "hb")}
    for board in seen.values():
        assert board["winner"] == "demo" and board["reason"] == "time"
        assert [(s["room_id"], s["score"]) for s in board["sides"]] == [("b", 10), ("demo", 20)]
        assert board["punish_until"] == result.punish_until
    if recorded_in == "neither":
        punish_a = await c["a1"].expect("pk", pk_id=pk_id, phase=PUNISH, timeout=10)
        assert [(s["room_id"], s["score"]) for s in punish_a["sides"]] == [("demo", 20), ("b", 10)]
    assert b.status == PUNISH and b.ended == result  # B's feature followed the repaired event

    await repeat(pk_b, pk_id)
    await repeat(pk_a, pk_id)
    for room_id in ("demo", "b"):
        logs = await pk_events(node, room_id, pk_id)
        assert [t for t, _, _ in logs] == ["pk.invited", "pk.started", "pk.ended"], room_id
        assert logs[2][1] == dataclasses.asdict(result)  # the table's result, the same in both rooms
        assert logs[2][2] == f"~pk-ended:{pk_id}"
    await nothing_more(c["hb"], c["b1"], pk_id, "s1")

    closed = await act(c["hb"], "e1", type="pk_end", pk_id=pk_id)  # the battle goes on from there
    assert closed["pk"]["status"] == CLOSED
    assert (await c["b1"].expect("pk", pk_id=pk_id, phase=CLOSED))["winner"] == "demo"
    assert await logged(node, "b", "pk.closed") == 1 and pk_b.battle is None


# --- the start: INVITED -> LIVE -------------------------------------------------------------------------


@pytest.mark.parametrize("b_knows", ["invite", "table"])
async def test_a_start_never_recorded_in_b_is_repaired_once(
    node: Node, connect: Callable[..., Any], b_knows: str
) -> None:
    """B's node holds the invite (its repair runs when the invite's expiry is missed by REPAIR_MS), or B's
    node loaded the battle from the table after a restart (LIVE without a tally: repaired after REPAIR_MS)."""
    await live_room(node, "b")
    host_a = await connect(node, user="ha", role=Role.HOST)
    host_b = await connect(node, user="hb", role=Role.HOST, room="b")
    a1 = await connect(node, user="a1")
    b1 = await connect(node, user="b1", room="b", nickname="贝一")
    pk_id = (await invite(host_a, "b", seconds=120, punish_s=60))["pk"]["pk_id"]
    await host_b.expect("pk_invite", pk_id=pk_id, status="pending")
    pk_a, pk_b = pk_of(node, "demo"), pk_of(node, "b")
    row = await pk_b.store.get(pk_id)
    assert row is not None and row.status == INVITED

    # B's host accepted on a node that won the CAS, recorded the start in A and died
    now = now_ms()
    started = dataclasses.replace(row, status=LIVE, started_at=now, ends_at=now + row.seconds * 1000)
    assert await pk_b.store.move(pk_id, INVITED, LIVE, started_at=now, ends_at=started.ends_at)
    titles = pk_a.moves.titles(room_of(node, "demo"), room_of(node, "b"))
    body = PkStarted(pk_id, row.room_a, row.room_b, now, started.ends_at or 0, row.punish_s)
    msg = pk_message(Battle(started, dict(titles)), "demo", LIVE)
    await pk_a.moves.record(room_of(node, "demo"), pk_id, None, body, msg, "pk-started")
    await a1.expect("pk", pk_id=pk_id, phase=LIVE)
    assert await logged(node, "b", "pk.started") == 0

    if b_knows == "invite":
        b = pk_b.battle
        assert b is not None and b.status == INVITED
        pk_b.tick(row.expires_at + REPAIR_MS)  # its expiry loses the CAS (the row is LIVE), then repairs
    else:
        pk_b.battle = None
        await pk_b.load()  # B's node restarted: the table says LIVE, B's log has no start, so no tally
        b = pk_b.battle
        assert b is not None and b.status == LIVE and b.tally is None
        pk_b.tick(now + REPAIR_MS)
    live = await b1.expect("pk", pk_id=pk_id, phase=LIVE, timeout=10)
    assert live["started_at"] == now and live["ends_at"] == started.ends_at
    assert [s["room_id"] for s in live["sides"]] == ["b", "demo"]
    # B's host sees the board and its console learns that the invite was accepted
    accepted = ("pk_invite", {"pk_id": pk_id, "status": "accepted"})
    await both(host_b, ("pk", {"pk_id": pk_id, "phase": LIVE}), accepted)
    assert b.status == LIVE and b.tally is not None  # B's side counts from the repaired start

    await repeat(pk_b, pk_id)
    logs = await pk_events(node, "b", pk_id)
    assert [t for t, _, _ in logs] == ["pk.invited", "pk.started"]
    assert logs[1][1] == dataclasses.asdict(body) and logs[1][2] == f"~pk-started:{pk_id}"
    assert await logged(node, "demo", "pk.started") == 1
    await nothing_more(host_b, b1, pk_id, "s1")

    await gift(b1, "rose", "g1")  # B's gifts after the repaired start count for B, in both rooms
    await b1.expect("pk_score", pk_id=pk_id, scores=[21, 0])  # the heart above and the rose
    await a1.expect("pk_score", pk_id=pk_id, scores=[0, 21])


# --- the close: PUNISH -> CLOSED ------------------------------------------------------------------------


async def test_a_close_never_recorded_in_b_is_repaired_once(node: Node, connect: Callable[..., Any]) -> None:
    pk_id, c = await live_battle(node, connect)
    stopped = await act(c["ha"], "e1", type="pk_end", pk_id=pk_id)
    assert stopped["pk"]["status"] == PUNISH
    await c["b1"].expect("pk", pk_id=pk_id, phase=PUNISH)
    pk_a, pk_b = pk_of(node, "demo"), pk_of(node, "b")
    b = pk_b.battle
    assert b is not None and b.row.punish_until is not None
    punish_until = b.row.punish_until

    # the punishment timer's winner closed the row, recorded the close in A and died
    assert await pk_a.store.move(pk_id, PUNISH, CLOSED)
    row = await pk_a.store.get(pk_id)
    assert row is not None
    await pk_a.moves.closing(row, None, only=room_of(node, "demo"))
    await c["a1"].expect("pk", pk_id=pk_id, phase=CLOSED)
    assert await logged(node, "b", "pk.closed") == 0 and pk_b.battle is b

    pk_b.tick(punish_until + REPAIR_MS)  # B's close loses the CAS, then repairs
    for k in ("b1", "hb"):
        closed = await c[k].expect("pk", pk_id=pk_id, phase=CLOSED, timeout=10)
        assert closed["reason"] == "stopped" and closed["winner"] == "draw"
    assert pk_b.battle is None

    await repeat(pk_b, pk_id)
    for room_id in ("demo", "b"):
        logs = await pk_events(node, room_id, pk_id)
        assert [t for t, _, _ in logs] == ["pk.invited", "pk.started", "pk.ended", "pk.closed"], room_id
        assert logs[3][1] == {"pk_id": pk_id, "by": None}
    await nothing_more(c["hb"], c["b1"], pk_id, "s1")
    again = await invite(c["hb"], "demo", "i2")  # both rooms are free again
    assert again["pk"]["status"] == INVITED


# --- an invite that ended without a battle: INVITED -> declined / expired / cancelled ---------------------


@pytest.mark.parametrize("reason", [DECLINED, EXPIRED, CANCELLED])
async def test_an_invite_ended_in_a_only_is_repaired_in_b(
    node: Node, connect: Callable[..., Any], reason: str
) -> None:
    await live_room(node, "b")
    host_a = await connect(node, user="ha", role=Role.HOST)
    host_b = await connect(node, user="hb", role=Role.HOST, room="b")
    b1 = await connect(node, user="b1", room="b")
    pk_id = (await invite(host_a, "b"))["pk"]["pk_id"]
    await host_b.expect("pk_invite", pk_id=pk_id, status="pending")
    pk_a, pk_b = pk_of(node, "demo"), pk_of(node, "b")
    row = await pk_a.store.get(pk_id)
    assert row is not None

    # the winner of the decline recorded it in A (and told A's staff), then died
    assert await pk_a.store.move(pk_id, INVITED, reason, ended_at=now_ms())
    room_a = room_of(node, "demo")
    pk_a.battle = None
    await pk_a.moves.record(room_a, pk_id, None, PkDeclined(pk_id, reason), None, "pk-declined")
    room_a.to_staff_everywhere(invite_message(row, pk_a.moves.titles(room_a), reason))
    await host_a.expect("pk_invite", pk_id=pk_id, status=reason)
    b = pk_b.battle
    assert b is not None and b.status == INVITED and await logged(node, "b", "pk.declined") == 0

    pk_b.tick(row.expires_at + REPAIR_MS)  # B's own expiry loses the CAS, then repairs
    told = await host_b.expect("pk_invite", pk_id=pk_id, status=reason, timeout=10)
    assert told["from"]["room_id"] == "demo" and told["to"]["room_id"] == "b"
    assert pk_b.battle is None
    assert pk_b.staff_snapshot() == {"pk_invites": []}

    await repeat(pk_b, pk_id)
    for room_id in ("demo", "b"):
        logs = await pk_events(node, room_id, pk_id)
        assert [(t, p) for t, p, _ in logs][1:] == [("pk.declined", {"pk_id": pk_id, "reason": reason})]
        assert logs[1][2] == f"~pk-declined:{pk_id}"
    await nothing_more(host_b, b1, pk_id, "s1")
    again = await invite(host_b, "demo", "i2")  # B invites anew: its node holds the new invite
    assert again["pk"]["status"] == INVITED
    assert pk_b.battle is not None and pk_b.battle.pk_id == again["pk"]["pk_id"]



async def test_repairs_racing_in_both_rooms_record_each_event_once(
    node: Node, connect: Callable[..., Any]
) -> None:
    """The close recorded in neither room; the rooms' repairs run at once, two per room: every repair may
    find the log lacking the close, and the once-keys keep it one `pk.closed` per room."""
    pk_id, c = await live_battle(node, connect)
    assert (await act(c["hb"], "e1", type="pk_end", pk_id=pk_id))["pk"]["status"] == PUNISH
    await c["a1"].expect("pk", pk_id=pk_id, phase=PUNISH)
    pk_a, pk_b = pk_of(node, "demo"), pk_of(node, "b")
    assert await pk_a.store.move(pk_id, PUNISH, CLOSED)

    assert all(await asyncio.gather(*(pk.moves.repair(pk_id) for pk in (pk_a, pk_b, pk_a, pk_b))))
    for k in ("a1", "b1", "ha", "hb"):
        assert (await c[k].expect("pk", pk_id=pk_id, phase=CLOSED))["reason"] == "stopped"
    assert pk_a.battle is None and pk_b.battle is None
    for room_id in ("demo", "b"):
        assert await logged(node, room_id, "pk.closed") == 1, room_id
        assert await logged(node, room_id, "pk.ended") == 1, room_id
    await nothing_more(c["ha"], c["a1"], pk_id, "s1")
    await nothing_more(c["hb"], c["b1"], pk_id, "s1")
