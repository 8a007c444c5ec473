"""The demo's PK, mic and calls (issue 14, "Done when"): the demo room's simulated host invites the partner
room (the demo's own `open_partner_room`), its simulated host accepts, both audiences gift during the battle,
a simulated viewer gets on the mic and another calls the consultant, with aiortc peers through siyu's
signalling; the summary's PK result equals the recount from the log (the summary's own and the pk
package's), the mic guest and the call are there with their lengths.

Real parts: the node's gateway, real WebSocket clients, the SQLite log. No timed waits: each step awaits a
state the participants saw (a battle live, both scores above 0, remote video played)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from sqlalchemy import select

from siyu.app import Node
from siyu.auth import Role
from siyu.cli.demo import PARTNER_ROOM, ROOM, open_partner_room
from siyu.interactions.pk.score import recount
from siyu.sim.audience import Audience, AudienceConfig
from siyu.sim.host_pk import PkPlan
from siyu.sim.mic_calls import TogetherPlan
from siyu.sim.peer import Peer
from siyu.sim.shopper import ShopperConfig
from siyu.sim.together import Together, TogetherConfig
from siyu.sim.together_report import together_report
from siyu.store.tables import pk_battles

pytestmark = pytest.mark.integration

BOUND_S = 60.0  # a bound for a failure, never a wait for success


async def until(what: str, ok: Callable[[], bool]) -> None:
    """Await a state the simulation reaches (checked as its messages come in)."""
    deadline = asyncio.get_running_loop().time() + BOUND_S
    while not ok():
        assert asyncio.get_running_loop().time() < deadline, f"never reached: {what}"
        await asyncio.sleep(0.05)


async def test_demo_pk_with_gifts_on_both_sides_a_mic_guest_and_a_call(sqlite_node: Node) -> None:
    node = sqlite_node
    assert ROOM == "demo"  # the fixture's demo room is the demo's
    await open_partner_room(node)
    config = TogetherConfig(
        pk=PkPlan(first_after_s=0, seconds=300, punish_s=60, answer_after_s=0),
        plan=TogetherPlan(mic_after_s=0, mic_accept_after_s=0, mic_hold_s=600, call_after_s=0, ring_s=0,
                          call_hold_s=600),
    )  # fmt: skip
    stop = asyncio.Event()
    together = Together(node.ws_url, node.signer, ROOM, PARTNER_ROOM, config)
    fans = ShopperConfig(pk_gift_share=0.9, fan_share=0, buy_share=0)
    audiences = [
        Audience(node.ws_url, node.signer, room, AudienceConfig(
            arrivals_per_s=20, max_online=8, bounce_share=0, mean_stay_s=600, mean_comment_gap_s=0.3,
            seed=n, shopper=fans))  # fmt: skip
        for n, room in enumerate((ROOM, PARTNER_ROOM))
    ]
    sims = [asyncio.create_task(a.run(stop)) for a in audiences]
    await together.start(stop)
    try:
        challenger, partner = together.challenger, together.partner
        await until("the battle is live", lambda: (together.challenger.current or {}).get("phase") == "live")
        assert partner.accepted and challenger.log.accepted >= 1
        await until("gifts on both sides", lambda: min(challenger.scores or [0]) > 0)
        guest, caller = together.guest, together.caller
        assert guest is not None and caller is not None
        await until("the mic guest's video plays", lambda: bool(guest.rtc.connected))
        await until("the host sees the guest", lambda: bool(together.mic_host.rtc.connected))
        await until("the 1v1 call's video plays", lambda: bool(caller.rtc.connected))
    finally:
        stop.set()
        await asyncio.gather(*sims)  # as the demo stops: the audiences leave with their gifts acked, then
        await together.finish()  # the battle is stopped (its result recorded) and closed, calls end
    assert all(a.stats.gifts > 0 for a in audiences)
    assert challenger.log.phases[-1][1] == "closed"
    room = await node.services.room(ROOM)
    assert room.session is not None
    report = await together_report(node.db, ROOM, room.session.id)
    assert len(report.battles) == 1
    battle = report.battles[0]
    assert set(battle.scores) == {ROOM, PARTNER_ROOM} and min(battle.scores.values()) > 0
    assert battle.reason == "stopped" and battle.agrees, battle
    # the pk package's own recount of each side equals what the summary prints
    ends_at = await _ends_at(node, battle.pk_id)
    async with node.db.engine.connect() as conn:
        for side in (ROOM, PARTNER_ROOM):
            tally = await recount(conn, side, battle.pk_id, ends_at)
            assert tally is not None and tally.score == battle.scores[side] == battle.recount[side]
            assert [row[0] for row in battle.top[side]] == [t.user.id for t in tally.top()]
    assert [c.caller for c in report.mic_guests] == [config.cast.guest]
    calls = [c for c in report.calls if c.kind == "call"]
    assert [(c.caller, c.callee) for c in calls] == [(config.cast.caller, config.cast.consultant)]
    assert all(c.duration_ms > 0 for c in report.calls)
    text = "\n".join(report.lines())
    assert "与结果一致" in text and "连麦嘉宾 1 位次" in text and config.cast.guest in text, text
    assert together.refusals() == {}, [(p.user_id, p.refused) for p in together.peers if p.refused]


async def _ends_at(node: Node, pk_id: str) -> int:
    """The battle's scoring end as the authoritative row has it."""
    async with node.db.engine.connect() as conn:
        got = await conn.scalar(select(pk_battles.c.ends_at).where(pk_battles.c.pk_id == pk_id))
    return int(got)


async def test_gifts_after_a_stop_do_not_change_the_recount(sqlite_node: Node) -> None:
    """A host stops a live battle (`pk_end`, reason "stopped"); a gift sent in the punishment phase after it
    must not count: the recount from the log with the battle's window equals the recorded result."""
    node = sqlite_node
    await open_partner_room(node)
    host_a = Peer(node.ws_url, node.signer, ROOM, "h-a", Role.HOST, "晚晚")
    host_b = Peer(node.ws_url, node.signer, PARTNER_ROOM, "h-b", Role.HOST, "小柚")
    fan = Peer(node.ws_url, node.signer, ROOM, "fan-1", Role.VIEWER, "铁粉")
    invites: asyncio.Queue[dict[str, object]] = asyncio.Queue()
    host_b.handlers.append(lambda m: invites.put_nowait(m) if m.get("type") == "pk_invite" else None)
    phases: list[str] = []
    fan.handlers.append(lambda m: phases.append(str(m.get("phase"))) if m.get("type") == "pk" else None)
    for p in (host_a, host_b, fan):
        await p.open()
    try:
        ack = await host_a.ask({"type": "pk_invite", "room_id": PARTNER_ROOM, "seconds": 300})
        assert not ack.get("error"), ack
        invite = await asyncio.wait_for(invites.get(), BOUND_S)
        pk_id = str(invite["pk_id"])
        assert not (await host_b.ask({"type": "pk_answer", "pk_id": pk_id, "accept": True})).get("error")
        await until("the fan sees the battle live", lambda: "live" in phases)
        assert not (await fan.ask({"type": "gift", "gift_id": "rose"})).get("error")
        assert not (await host_a.ask({"type": "pk_end", "pk_id": pk_id})).get("error")  # stopped: the result
        # a gift in the punishment phase
        assert not (await fan.ask({"type": "gift", "gift_id": "rose"})).get("error")
        async with node.db.engine.connect() as conn:
            row = (await conn.execute(select(pk_battles).where(pk_battles.c.pk_id == pk_id))).mappings().one()
            tally = await recount(conn, ROOM, pk_id, int(row["ends_at"]))
        assert row["result"]["scores"][ROOM] == 20
        assert tally is not None and tally.score == row["result"]["scores"][ROOM]
    finally:
        for p in (host_a, host_b, fan):
            await p.close()
