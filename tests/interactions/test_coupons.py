"""Coupons on the room runtime (SQLite file, MemoryBroker): push, claim, each refusal, re-sent cids, the
personal card, and the drops rebuilt from the log when a room loads."""

from __future__ import annotations

import asyncio
from typing import Any

from siyu.auth import Role
from siyu.interactions import ClaimIn, CouponPushIn, Coupons
from siyu.rooms.acks import AckMemory
from siyu.rooms.room import Room
from tests.rooms.test_runtime import FakeMember, room, settled

__all__ = ["room"]


async def ack_of(m: FakeMember, cid: str) -> dict[str, Any]:
    """The ack of `cid` once it came (claims run off the hot path; the ack follows the commit)."""
    for _ in range(500):
        got = [f for f in m.of("ack") if f["cid"] == cid]
        if got:
            return got[-1]
        await asyncio.sleep(0.01)
    raise AssertionError(f"no ack for {cid}: {m.frames}")


async def push(room: Room, host: FakeMember, cid: str, **fields: Any) -> dict[str, Any]:
    room.dispatch(host, CouponPushIn(type="coupon_push", cid=cid, **fields))
    ack = await ack_of(host, cid)
    assert "error" not in ack, ack
    return ack


async def claim(room: Room, m: FakeMember, batch_id: str, cid: str) -> dict[str, Any]:
    before = len([f for f in m.of("ack") if f["cid"] == cid])
    room.dispatch(m, ClaimIn(type="claim", batch_id=batch_id, cid=cid))
    for _ in range(500):
        got = [f for f in m.of("ack") if f["cid"] == cid]
        if len(got) > before:
            return got[-1]
        await asyncio.sleep(0.01)
    raise AssertionError(f"no ack for {cid}")


def code(ack: dict[str, Any]) -> str | None:
    return ack["error"]["code"] if "error" in ack else None


async def test_a_room_drop_is_a_sequenced_card_and_a_claim_is_granted_once(room: Room) -> None:
    host, viewer = FakeMember("h", Role.HOST), FakeMember("u1")
    room.enter(host)
    room.enter(viewer)
    ack = await push(room, host, "p1", coupon_id="C01", quantity=5, seconds=60)
    card = ack["msg"]
    assert card["type"] == "coupon_card" and card["seq"] == ack["seq"]
    coupon = card["coupon"]
    assert coupon["id"] == "C01" and coupon["amount"] == 20 and coupon["threshold"] == 199
    assert card["quantity"] == 5 and card["left"] == 5 and card["until"] > 0
    await settled(room)
    assert viewer.of("coupon_card")[0]["batch_id"] == card["batch_id"]
    assert room.state_values()["coupons"][0]["batch_id"] == card["batch_id"]

    first = await claim(room, viewer, card["batch_id"], "c1")
    grant = first["grant"]
    assert grant["coupon_id"] == "C01" and grant["grant_id"] and grant["expires_at"] > card["ts"]
    assert (await claim(room, viewer, card["batch_id"], "c1"))["grant"] == grant  # re-sent: the first answer
    again = await claim(room, viewer, card["batch_id"], "c2")  # per_user_limit 1
    assert code(again) == "coupon.limit"
    assert code(await claim(room, viewer, card["batch_id"], "c2")) == "coupon.limit"  # refused again

    room.flush()  # the tick: the left count, once, while the drop is live
    room.flush()
    assert [m["left"] for m in viewer.of("coupon_left")] == [4]


async def test_refusals_unknown_sold_out_expired_condition(room: Room) -> None:
    host, a, b = FakeMember("h", Role.HOST), FakeMember("a"), FakeMember("b")
    for m in (host, a, b):
        room.enter(m)
    assert code(await claim(room, a, "no-such-batch", "x")) == "coupon.unknown"

    one = (await push(room, host, "p1", coupon_id="C02", quantity=1))["msg"]["batch_id"]
    assert "grant" in await claim(room, a, one, "a1")
    assert code(await claim(room, b, one, "b1")) == "coupon.sold_out"
    assert code(await claim(room, a, one, "a2")) == "coupon.limit"  # what a holder hears, not sold out
    assert code(await claim(room, b, one, "b1")) == "coupon.sold_out"  # re-sent: refused again

    fans = (await push(room, host, "p2", coupon_id="C03"))["msg"]["batch_id"]
    assert code(await claim(room, a, fans, "a3")) == "coupon.condition"  # 加入粉丝团: not a member
    newbie = (await push(room, host, "p3", coupon_id="C05"))["msg"]["batch_id"]
    assert "grant" in await claim(room, a, newbie, "a4")  # 新客首单: nobody has an order yet

    late = (await push(room, host, "p4", coupon_id="C06", seconds=10))["msg"]["batch_id"]
    await room.feature(Coupons).store.close_batch(late, 1)  # the window is over
    assert code(await claim(room, a, late, "a5")) == "coupon.expired"


async def test_only_staff_push_and_only_catalog_coupons(room: Room) -> None:
    viewer, host = FakeMember("v"), FakeMember("h", Role.ASSISTANT)
    room.enter(viewer)
    room.enter(host)
    room.dispatch(viewer, CouponPushIn(type="coupon_push", coupon_id="C01", cid="v1"))
    assert code(await ack_of(viewer, "v1")) == "forbidden_role"
    room.dispatch(host, CouponPushIn(type="coupon_push", coupon_id="C99", cid="h1"))
    assert code(await ack_of(host, "h1")) == "coupon.unknown"


async def test_a_resent_push_makes_one_drop(room: Room) -> None:
    host = FakeMember("h", Role.HOST)
    room.enter(host)
    first = await push(room, host, "p1", coupon_id="C01", quantity=3)
    room.dispatch(host, CouponPushIn(type="coupon_push", cid="p1", coupon_id="C01", quantity=3))
    await settled(room)
    assert [a["seq"] for a in host.of("ack") if a["cid"] == "p1"] == [first["seq"], first["seq"]]
    assert len(room.feature(Coupons).drops) == 1


async def test_a_personal_card_reaches_its_viewer_only(room: Room) -> None:
    host, mine, other = FakeMember("h", Role.HOST), FakeMember("u2"), FakeMember("u3")
    for m in (host, mine, other):
        room.enter(m)
    await push(room, host, "p1", coupon_id="C04", to_user="u2", seconds=120)
    await settled(room)
    (card,) = mine.of("coupon_card")
    assert card["personal"] is True and card["countdown_s"] == 120 and card["quantity"] == 1
    assert card["coupon"]["rate"] == 0.9 and card["coupon"]["cap"] == 100
    assert "seq" not in card
    assert other.of("coupon_card") == [] and host.of("coupon_card") == []
    assert room.state_values()["coupons"] == []  # not a room drop
    assert code(await claim(room, other, card["batch_id"], "o1")) == "coupon.unknown"
    assert "grant" in await claim(room, mine, card["batch_id"], "m1")


async def test_drops_and_their_left_counts_are_rebuilt_from_the_log(room: Room) -> None:
    host = FakeMember("h", Role.HOST)
    room.enter(host)
    batch = (await push(room, host, "p1", coupon_id="C01", quantity=10))["msg"]["batch_id"]
    viewers = [FakeMember(f"u{i}") for i in range(3)]
    grants = {}
    for i, v in enumerate(viewers):
        room.enter(v)
        grants[v.user_id] = (await claim(room, v, batch, f"c{i}"))["grant"]
    await settled(room)

    again = await Room.load("demo", room.deps)  # another node, or this one after a restart
    try:
        drop = again.feature(Coupons).drops[batch]
        assert drop.claimed.value == 3 and drop.left == 7
        back = FakeMember("u0")
        again.enter(back)
        assert (await claim(again, back, batch, "c0"))["grant"] == grants["u0"]  # the held grant
        fresh = FakeMember("u9")
        again.enter(fresh)
        assert "grant" in await claim(again, fresh, batch, "c9")
        assert again.feature(Coupons).drops[batch].left == 6
    finally:
        await again.stop()


async def test_a_resent_granted_cid_the_memory_forgot_gets_the_grant_the_log_holds(room: Room) -> None:
    host, v = FakeMember("h", Role.HOST), FakeMember("u1")
    room.enter(host)
    room.enter(v)
    batch = (await push(room, host, "p1", coupon_id="C01", quantity=1))["msg"]["batch_id"]
    grant = (await claim(room, v, batch, "c1"))["grant"]
    room.acks = AckMemory()  # another node, or past the memory's window: only the log knows
    assert (await claim(room, v, batch, "c1"))["grant"] == grant  # sold out since, still the first answer
    room.acks = AckMemory()
    assert code(await claim(room, v, batch, "c2")) == "coupon.limit"  # a new cid of a holder
