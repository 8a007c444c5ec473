"""The products feature as a host and a viewer meet it: pin by what the host sees, the 小黄车 listing."""

from __future__ import annotations

import asyncio

from siyu.auth import Role
from siyu.rooms.features import PinIn, Products
from siyu.rooms.room import Room
from tests.rooms.test_runtime import FakeMember, room, settled

__all__ = ["room"]


async def test_the_host_pins_by_link_number_short_name_or_id(room: Room) -> None:
    products = room.feature(Products)
    by_link = {c["link_no"]: pid for pid, c in room.products.items()}
    pid3 = by_link[3]
    short, name = room.products[pid3]["short_name"], room.products[pid3]["name"]
    for ref in ("3", "3号", "3号链接", "链接3", "三号", "3#", " 3 号 ", "小黄车3", pid3, short, name):
        assert products.resolve(ref) == pid3, ref
    assert by_link[2] != pid3 and products.resolve("2号") == by_link[2]
    for ref in ("99号", "", "号", "不存在的商品"):
        assert products.resolve(ref) is None, ref

    host = FakeMember("h", Role.HOST)
    room.dispatch(host, PinIn(type="pin", product_id="3号链接", cid="p1"))
    await settled(room)
    assert room.state_values()["pinned"]["id"] == pid3
    room.dispatch(host, PinIn(type="pin", product_id="99号", cid="p2"))
    await asyncio.sleep(0)
    assert [f for f in host.frames if f.get("cid") == "p2"][0]["error"]["code"] == "unknown_product"


async def test_the_listing_is_by_link_number_with_live_stock_and_the_one_being_presented(room: Room) -> None:
    products = room.feature(Products)
    pid = products.resolve("2号")
    assert pid is not None and products.pin(pid)
    await settled(room)
    items = products.listing()
    assert [i["link_no"] for i in items] == sorted(i["link_no"] for i in items)
    assert [i["id"] for i in items if i["explaining"]] == [pid]
    two = next(i for i in items if i["id"] == pid)
    assert two["colors"] and two["sizes"] and two["live_price"] <= two["price"]
    assert room.catalog is not None
    assert two["stock"] == room.catalog.product(pid).stock  # live counts, per 颜色/尺码


async def test_the_session_figures_count_this_live_session_and_survive_a_restart(room: Room) -> None:
    from siyu.rooms.features import CommentIn, GiftIn, LikeIn

    viewer = FakeMember("u1")
    room.enter(viewer)
    room.dispatch(viewer, CommentIn(type="comment", cid="c1", text="好看"))
    room.dispatch(viewer, CommentIn(type="comment", cid="c2", text="想要"))
    room.dispatch(viewer, GiftIn(type="gift", gift_id="rose", count=3, cid="g1"))
    room.dispatch(viewer, LikeIn(type="like", count=7, cid="l1"))
    await settled(room)
    await room.sync()
    figures = {k: room.state_values()[k] for k in ("comments", "gifts", "gift_coins", "likes")}
    assert figures == {"comments": 2, "gifts": 3, "gift_coins": 60, "likes": 7}  # a rose is 20 coins

    again = await Room.load(room.info.id, room.deps)  # a restart recounts the session from the log
    try:
        assert {k: again.state_values()[k] for k in figures} == figures
    finally:
        await again.stop()
    await room.start_session("新的一场")
    assert {k: room.state_values()[k] for k in figures} == dict.fromkeys(figures, 0)
