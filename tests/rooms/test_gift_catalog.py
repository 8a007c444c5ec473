"""The gift catalogue per shop: the catalog document's `gifts` (checked entry by entry, the default six
without it), a room taking only its shop's gifts, tiers (effect and priority), and the HTTP side."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from siyu.app import FEATURES, Node, demo_catalog
from siyu.auth import Role
from siyu.catalog import Catalog, CatalogError
from siyu.catalog.gifts import EFFECT_TIER, Gift, parse_gifts, tier_for
from siyu.events import Bus
from siyu.realtime.broker import MemoryBroker
from siyu.realtime.fanout import FanoutStats, Priority
from siyu.rooms.feature import FeatureSet
from siyu.rooms.features import GiftIn, Reactions
from siyu.rooms.gifts import GIFTS
from siyu.rooms.room import Room, RoomDeps
from siyu.rooms.service import RoomService
from siyu.store import Database, EventLog
from siyu.store.tables import events
from tests.conftest import make_settings
from tests.interactions.waiting import Waiting

SHOP_GIFTS = [
    {"id": "candy", "name": "棒棒糖", "coins": 9, "icon": "🍭"},
    {"id": "bouquet", "name": "花束", "coins": 199, "icon": "💐"},
    {"id": "yacht", "name": "游艇", "coins": 20000, "icon": "🛥️", "tier": 3},
    {"id": "crown", "name": "皇冠", "coins": 520, "icon": "👑", "tier": 3},
]


def test_the_default_list_and_its_tiers() -> None:
    assert list(GIFTS) == ["heart", "fanclub_light", "lightstick", "rose", "sportscar", "rocket", "carnival"]
    assert {g.id: g.tier for g in GIFTS.values()} == {
        "heart": 1, "fanclub_light": 1, "lightstick": 1, "rose": 1,
        "sportscar": 3, "rocket": 3, "carnival": 3,
    }  # fmt: skip
    assert [g.effect for g in GIFTS.values()] == [None] * 4 + ["fullscreen"] * 3
    assert (tier_for(99), tier_for(100), tier_for(999), tier_for(1000)) == (1, 2, 2, 3)
    assert Gift("x", "x", 5, "x", tier=3).effect == "fullscreen" and EFFECT_TIER == 3
    assert parse_gifts(None, GIFTS.values()) == tuple(GIFTS.values())  # no `gifts`: the defaults


def test_a_shop_list_is_read_with_tiers_given_or_by_coins() -> None:
    gifts = parse_gifts(SHOP_GIFTS, GIFTS.values())
    assert [(g.id, g.tier) for g in gifts] == [("candy", 1), ("bouquet", 2), ("yacht", 3), ("crown", 3)]
    assert gifts[1] == Gift("bouquet", "花束", 199, "💐", 2)


@pytest.mark.parametrize(
    ("gifts", "message"),
    [
        ({"id": "x"}, "gifts: expected a list"),
        ([], "gifts: 1 to 40 gifts"),
        ([{"id": "a", "name": "甲", "coins": 1, "icon": "🎁"}] * 41, "gifts: 1 to 40 gifts"),
        (["rose"], "gifts[0]: expected an object"),
        ([{"id": "Rose!", "name": "玫瑰", "coins": 1, "icon": "🌹"}], "gifts[0] ('Rose!'): id must be"),
        ([{"name": "玫瑰", "coins": 1, "icon": "🌹"}], "gifts[0]: id must be"),
        ([{"id": "rose", "name": " ", "coins": 1, "icon": "🌹"}], "gifts[0] ('rose'): name must be"),
        ([{"id": "rose", "name": "玫瑰", "coins": 0, "icon": "🌹"}], "gifts[0] ('rose'): coins must be"),
        ([{"id": "rose", "name": "玫瑰", "coins": True, "icon": "🌹"}], "gifts[0] ('rose'): coins must be"),
        ([{"id": "rose", "name": "玫瑰", "coins": 1.5, "icon": "🌹"}], "gifts[0] ('rose'): coins must be"),
        ([{"id": "rose", "name": "玫瑰", "coins": 10**7, "icon": "🌹"}], "gifts[0] ('rose'): coins must be"),
        ([{"id": "rose", "name": "玫瑰", "coins": 1}], "gifts[0] ('rose'): icon must be"),
        ([{"id": "rose", "name": "玫瑰", "coins": 1, "icon": "🌹", "tier": 4}], "gifts[0] ('rose'): tier"),
        ([{"id": "rose", "name": "玫瑰", "coins": 1, "icon": "🌹", "fx": 1}], "gifts[0] ('rose'): unknown"),
        (
            [*SHOP_GIFTS, {"id": "candy", "name": "糖", "coins": 1, "icon": "🍬"}],
            "gifts[4] ('candy'): duplicate gift id",
        ),
    ],
)
def test_a_bad_entry_is_named_in_the_error(gifts: Any, message: str) -> None:
    with pytest.raises(CatalogError) as err:
        parse_gifts(gifts, GIFTS.values())
    assert str(err.value).startswith(message), str(err.value)


def test_the_catalog_document_carries_the_gifts() -> None:
    doc = {**demo_catalog(), "gifts": SHOP_GIFTS}
    catalog = Catalog.from_document(doc)
    assert [g.id for g in catalog.gifts] == ["candy", "bouquet", "yacht", "crown"]
    again = Catalog.from_document(catalog.to_document())
    assert again.gifts == catalog.gifts
    assert Catalog.from_document(demo_catalog()).gifts == ()  # the shop takes the defaults
    with pytest.raises(CatalogError, match=r"gifts\[1\] \('bouquet'\): coins"):
        Catalog.from_document({**doc, "gifts": [SHOP_GIFTS[0], {**SHOP_GIFTS[1], "coins": -1}]})


@pytest.fixture
async def shop_room(tmp_path: Path) -> AsyncIterator[Room]:
    """A room of a shop with its own gift list."""
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path}/room.db")
    db = Database(settings.db_url)
    await db.migrate()
    bus, broker = Bus(), MemoryBroker()
    eventlog = EventLog(db, bus)
    eventlog.start()
    service = RoomService(db)
    await service.load_catalog("gifty", {**copy.deepcopy(demo_catalog()), "gifts": SHOP_GIFTS})
    await service.create_room("demo", "gifty", "礼物测试")
    await service.start_session("demo", "测试")
    deps = RoomDeps(service, eventlog, broker, bus, settings, FanoutStats(), FeatureSet(FEATURES))
    room = await Room.load("demo", deps)
    try:
        yield room
    finally:
        await room.stop()
        await eventlog.stop()
        await db.close()


async def gift(room: Room, m: Waiting, gift_id: str, cid: str, count: int = 1) -> dict[str, Any]:
    room.dispatch(m, GiftIn(type="gift", gift_id=gift_id, count=count, cid=cid))
    return await m.ack(cid)


async def prio_of(room: Room, seq: int) -> Priority:
    async with room.service.db.engine.connect() as conn:
        q = select(events.c.prio).where(events.c.room_id == room.info.id, events.c.seq == seq)
        return Priority(await conn.scalar(q))


async def test_a_room_takes_its_shops_gifts_only(shop_room: Room) -> None:
    room, viewer = shop_room, Waiting("u1", nickname="小鹿")
    room.enter(viewer)
    assert [g["id"] for g in room.feature(Reactions).gift_list()] == ["candy", "bouquet", "yacht", "crown"]
    refused = await gift(room, viewer, "rose", "g1")  # a default gift, not in this shop's list
    assert refused["error"]["code"] == "unknown_gift" and "seq" not in refused
    ok = await gift(room, viewer, "candy", "g2", count=3)
    assert ok["msg"]["gift"] == {"id": "candy", "name": "棒棒糖", "coins": 9} and ok["msg"]["count"] == 3
    assert ok["seq"] == ok["msg"]["seq"]


async def test_the_tier_makes_the_effect_and_the_priority(shop_room: Room) -> None:
    room, viewer, host = shop_room, Waiting("u1"), Waiting("h", Role.HOST)
    room.enter(viewer)
    room.enter(host)
    small = (await gift(room, viewer, "candy", "g1"))["msg"]
    medium = (await gift(room, viewer, "bouquet", "g2"))["msg"]
    big = (await gift(room, viewer, "crown", "g3"))["msg"]  # 520 coins, tier 3 as the shop says
    assert (small["effect"], medium["effect"], big["effect"]) == (None, None, "fullscreen")
    # a small gift travels like a comment (normal: sampled for viewers under load); banner and effect first
    assert await prio_of(room, small["seq"]) is Priority.NORMAL
    assert await prio_of(room, medium["seq"]) is Priority.HIGH
    assert await prio_of(room, big["seq"]) is Priority.HIGH
    shown = await host.first(lambda m: m.get("type") == "gift" and m.get("seq") == big["seq"])
    assert shown["effect"] == "fullscreen" and shown["gift"]["id"] == "crown"


async def test_the_http_side(node_factory: Any) -> None:
    node: Node = await node_factory()
    operator = {"Authorization": f"Bearer {node.signer.issue(room='*', user='op', role=Role.OPERATOR)}"}
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        default = (await http.get("/api/rooms/demo/gifts")).json()
        assert [g["id"] for g in default["items"]] == list(GIFTS) and default["effect_tier"] == EFFECT_TIER
        assert default["items"][5] == {"id": "rocket", "name": "火箭", "coins": 5000, "icon": "🚀", "tier": 3}
        protocol = (await http.get("/api/protocol")).json()
        assert protocol["gifts"] == default["items"]  # the global list stays the default

        bad = {**demo_catalog(), "gifts": [SHOP_GIFTS[0], {**SHOP_GIFTS[2], "tier": 9}]}
        r = await http.put("/api/shops/gifty/catalog", json=bad, headers=operator)
        assert r.status_code == 422 and r.json()["error"]["code"] == "catalog.gifts"
        assert r.json()["error"]["message"].startswith("gifts[1] ('yacht'): tier must be")

        good = {**demo_catalog(), "gifts": SHOP_GIFTS}
        r = await http.put("/api/shops/gifty/catalog", json=good, headers=operator)
        assert r.status_code == 200, r.text
        room = {"id": "g1", "shop_id": "gifty", "title": "礼物"}
        assert (await http.post("/api/rooms", json=room, headers=operator)).status_code == 201
        own = (await http.get("/api/rooms/g1/gifts")).json()
        tiers = [(g["id"], g["tier"]) for g in own["items"]]
        assert tiers == [("candy", 1), ("bouquet", 2), ("yacht", 3), ("crown", 3)]
        assert (await http.get("/api/rooms/nope/gifts")).status_code == 404
