"""The room runtime without sockets: a Room built from in-memory parts (SQLite file, MemoryBroker, Bus)
and fake members that record what they are sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from siyu.app import FEATURES, demo_catalog
from siyu.auth import Role
from siyu.events import Bus, Event, Followed, now_ms
from siyu.realtime.broker import MemoryBroker
from siyu.realtime.fanout import FanoutStats, Priority
from siyu.rooms.feature import FeatureSet
from siyu.rooms.features import CommentIn, FollowIn, LikeIn, Questions, Reactions
from siyu.rooms.features.reactions import FollowMessage
from siyu.rooms.room import Room, RoomDeps
from siyu.rooms.service import RoomService
from siyu.store import Database, EventLog
from tests.conftest import make_settings


class FakeMember:
    def __init__(self, user_id: str, role: Role = Role.VIEWER, nickname: str | None = None) -> None:
        self.user_id = user_id
        self.nickname = nickname or user_id
        self.level = 3
        self.role = role
        self.joined_at_ms = now_ms()
        self.is_staff = role.is_staff
        self.behind = False
        self.frames: list[dict[str, Any]] = []
        self.closed: int | None = None
        self.charged = 0

    def send(self, data: bytes) -> None:
        self.frames.append(orjson.loads(data))

    def buffered(self) -> int:
        return 0

    def evict(self) -> None:
        self.closed = 4009

    def close(self, code: int, reason: str) -> None:
        self.closed = code

    def charge(self) -> None:
        self.charged += 1

    def messages(self) -> list[dict[str, Any]]:
        """Frames with batches unpacked."""
        out: list[dict[str, Any]] = []
        for f in self.frames:
            out.extend(f["msgs"] if f.get("type") == "batch" else [f])
        return out

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages() if m.get("type") == kind]


@pytest.fixture
async def room(tmp_path: Path) -> AsyncIterator[Room]:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path}/room.db")
    db = Database(settings.db_url)
    await db.migrate()
    bus, broker = Bus(), MemoryBroker()
    eventlog = EventLog(db, bus)
    eventlog.start()
    service = RoomService(db)
    await service.load_catalog("wanwan", demo_catalog())
    await service.create_room("demo", "wanwan", "测试直播间")
    await service.start_session("demo", "测试")
    deps = RoomDeps(service, eventlog, broker, bus, settings, FanoutStats(), FeatureSet(FEATURES))
    r = await Room.load("demo", deps)
    try:
        yield r
    finally:
        await r.stop()
        await eventlog.stop()
        await db.close()


async def settled(room: Room) -> None:
    """Let the event log commit what is queued and the channel flush it."""
    for _ in range(50):
        await asyncio.sleep(0.01)
        if room._log._queue.empty():  # noqa: SLF001 - the test drives the runtime directly
            break
    await asyncio.sleep(0.02)
    room.channel.flush()


async def test_enter_sends_the_welcome_first_with_every_features_state(room: Room) -> None:
    viewer, host = FakeMember("u1"), FakeMember("h", Role.HOST)
    room.enter(viewer)
    room.enter(host)
    welcome = viewer.frames[0]
    assert welcome["type"] == "welcome" and welcome["you"]["id"] == "u1"
    assert {"online", "live", "likes", "pinned", "host_status"} <= set(welcome["state"])
    assert [f["type"] for f in viewer.frames] == ["welcome"]  # viewers get no staff snapshot
    snapshot = host.frames[1]
    assert snapshot["type"] == "questions" and {"items", "groups", "host_status"} <= set(snapshot)


async def test_a_comment_is_acked_after_commit_with_its_echo_and_reaches_the_panel(room: Room) -> None:
    viewer, host = FakeMember("u1", nickname="小美"), FakeMember("h", Role.HOST)
    room.enter(viewer)
    room.enter(host)
    room.dispatch(viewer, CommentIn(type="comment", cid="c1", text="这件有XL码吗？"))
    assert viewer.of("ack") == []  # not before the commit
    await settled(room)
    (ack,) = viewer.of("ack")
    assert ack["cid"] == "c1" and ack["msg"]["text"] == "这件有XL码吗？" and ack["msg"]["seq"] == ack["seq"]
    question = host.of("question")[0]
    assert question["seq"] == ack["seq"] and question["user"]["nick"] == "小美"
    assert room.feature(Questions).board.items[ack["seq"]].text == "这件有XL码吗？"
    assert [c["seq"] for c in host.of("comment")] == [ack["seq"]]


async def test_a_follow_seen_from_another_node_counts_here(room: Room) -> None:
    """`followed` follows the stream: a viewer who followed on another node cannot follow again here."""
    other_node_event = Event(room_id="demo", user_id="u9", payload=Followed("阿九", 2),
                             session_id=room.session.id if room.session else None)  # fmt: skip
    other_node_event.seq = room.channel.published_seq + 1
    msg = FollowMessage(user=room.user_ref("u9"), seq=other_node_event.seq, ts=other_node_event.ts)
    from siyu.realtime.protocol import encode

    room._broker.publish("demo", other_node_event.seq, encode(msg), Priority.NORMAL, other_node_event)  # noqa: SLF001
    assert "u9" in room.feature(Reactions).followed
    u9 = FakeMember("u9")
    room.enter(u9)
    room.dispatch(u9, FollowIn(type="follow", cid="f1"))
    (ack,) = u9.of("ack")
    assert ack == {"type": "ack", "cid": "f1"}  # acknowledged, not posted again


async def test_likes_are_a_broker_counter_of_the_session(room: Room) -> None:
    viewer = FakeMember("u1")
    room.enter(viewer)
    for cid in ("l1", "l2"):
        room.dispatch(viewer, LikeIn(type="like", count=5, cid=cid))
    await settled(room)
    await room.sync()
    assert room.state()["likes"] == 10
    key = f"likes:{room.session.id if room.session else None}"
    assert await room._broker.add_counters("demo", {key: 0}) == {key: 10}  # noqa: SLF001
    await room.start_session("新的一场")
    assert room.state()["likes"] == 0  # a new session counts from zero


async def test_several_observers_follow_one_channel(room: Room) -> None:
    seen: list[int] = []
    room.channel.observers.append(lambda seq, data, event: seen.append(seq))
    viewer = FakeMember("u1")
    room.enter(viewer)
    room.dispatch(viewer, CommentIn(type="comment", cid="c1", text="好看"))
    await settled(room)
    assert seen == [viewer.of("ack")[0]["seq"]]
    assert len(room.channel.observers) == 2  # the room's own and this one


async def test_services_say_push_a_card_and_adjust_stock_through_one_path(room: Room) -> None:
    from siyu.catalog import OutOfStock
    from siyu.rooms import services

    viewer = FakeMember("u1")
    room.enter(viewer)
    assert room.catalog is not None
    product = room.catalog.products[0]
    color, size = next((c, s) for c in product.colors for s in product.sizes if product.count(c, s) > 0)
    before = product.count(color, size)
    change = await services.adjust_stock(room, product.id, color, size, delta=-1, reason="order", buyer="u1")
    assert (change.before, change.after) == (before, before - 1)
    with pytest.raises(OutOfStock):
        await services.adjust_stock(room, product.id, color, size, delta=-(before + 5), reason="order")
    assert product.count(color, size) == before - 1  # a refused change changes nothing
    services.say(room, "宝宝们好", "playbook")
    assert services.push_card(room, product.id, "限时秒杀")
    assert not services.push_card(room, "nope")
    await settled(room)
    stock = viewer.of("stock")[0]
    assert (stock["product_id"], stock["count"]) == (product.id, before - 1)
    assert viewer.of("assistant")[0]["text"] == "宝宝们好"
    card = viewer.of("card")[0]
    assert card["product"]["id"] == product.id and card["title"] == "限时秒杀" and card["seq"] > stock["seq"]


async def test_direct_messages_reach_one_user_one_role_or_the_staff(room: Room) -> None:
    from siyu.rooms.messages import Notice

    viewer, host, helper = FakeMember("u1"), FakeMember("h", Role.HOST), FakeMember("a", Role.ASSISTANT)
    for m in (viewer, host, helper):
        room.enter(m)
    room.to_staff_everywhere(Notice(text="全体场控", ts=1))
    room.to_staff_everywhere(Notice(text="只给主播", ts=2), role="host")
    room.to_user("u1", Notice(text="只给你", ts=3))
    assert [n["text"] for n in host.of("notice")] == ["全体场控", "只给主播"]
    assert [n["text"] for n in helper.of("notice")] == ["全体场控"]
    assert [n["text"] for n in viewer.of("notice")] == ["只给你"]


async def test_a_broker_outage_is_one_warning_and_a_counter_and_the_room_goes_on(
    room: Room, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 10, point 5: no traceback per second per room while Redis is away; banners and state go on."""
    import logging

    from siyu.realtime.broker import BrokerUnavailable
    from siyu.rooms import ticks

    broker = room.deps.broker
    real = broker.sync_online
    down = {"now": True}

    async def sync_online(room_id: str, online: int) -> int:
        if down["now"]:
            raise BrokerUnavailable("redis unavailable")
        return await real(room_id, online)

    broker.sync_online = sync_online  # type: ignore[method-assign]
    viewer = FakeMember("u1")
    room.enter(viewer)
    with caplog.at_level(logging.INFO, logger="siyu.rooms.ticks"):
        for _ in range(3):
            await ticks.tick(room)
        down["now"] = False
        await ticks.tick(room)
    records = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "siyu.rooms.ticks"]
    assert [lvl for lvl, _ in records] == ["WARNING", "INFO"], records
    assert not any(r.exc_info for r in caplog.records)
    assert room.deps.stats.sync_failures == 3
    assert room.online == 1 and viewer.of("state")  # this node's own figures, still posted
