"""Typed events, their Context, and the in-process Bus."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
import time
from typing import Any, ClassVar

import pytest

from siyu import events
from siyu.events import (
    PAYLOAD_TYPES,
    AssistantAnswered,
    Bus,
    CommentHidden,
    CommentPosted,
    Context,
    Event,
    Followed,
    GiftSent,
    HostReplied,
    HostStatusChanged,
    LikeSent,
    ModerationActed,
    ProductInterest,
    ProductPinned,
    QuestionDismissed,
    QuestionGrouped,
    SessionEnded,
    SessionStarted,
    StockChanged,
    ViewerEntered,
    ViewerLeft,
    decode_event,
    decode_payload,
    encode_event,
    payload,
)

SAMPLES: list[Any] = [
    ViewerEntered(nickname="小美", level=3, role="viewer", returning=False),
    ViewerLeft(dwell_ms=1200, close_code=1000),
    CommentPosted(text="包邮吗", cid="c1", question=True, nickname="小美"),
    HostReplied(text="包邮的", cid="c2", to_seq=5, to_user="u1", nickname="主播"),
    QuestionDismissed(seq=5, nickname="主播"),
    LikeSent(count=3),
    GiftSent(gift_id="rose", count=1, coins=1, nickname="小美"),
    Followed(nickname="小美"),
    ProductPinned(product_id="P01"),
    SessionStarted(title="秋冬上新"),
    SessionEnded(duration_ms=3_600_000),
    AssistantAnswered(7, "u1", "stock", "P01", "亲，XL码有货哦", False, 0.9, "user"),
    CommentHidden("加V看福利", "c3", "contact_ad", ["加v"]),
    ModerationActed("mute", "u2", "host1", "manual", "禁言10分钟", None, 1_700_000_600_000),
    HostStatusChanged("away"),
    StockChanged("P01", "碎花蓝", "XL", 0, -1, "order"),
    ProductInterest("P01", "XL", "asked"),
    QuestionGrouped("size:P01:XL", 3, "有XL吗", "XL有货哦", "stock", "P01"),
]


def ev(payload: Any, room: str = "r1", user: str | None = "u1") -> Event[Any]:
    return Event(room_id=room, user_id=user, payload=payload)


# --- subscribe / publish -----------------------------------------------------------------------


def test_subscribe_by_payload_class_only() -> None:
    bus = Bus()
    likes: list[Event[LikeSent]] = []
    comments: list[Event[CommentPosted]] = []
    bus.subscribe(LikeSent, likes.append)
    bus.subscribe(CommentPosted, comments.append)
    like = ev(LikeSent(count=2))
    comment = ev(CommentPosted(text="hi", cid=None, question=False, nickname="n"))
    bus.publish(like)
    bus.publish(comment)
    bus.publish(ev(Followed(nickname="n")))
    assert likes == [like]
    assert comments == [comment]


def test_publish_without_subscribers_is_a_no_op() -> None:
    bus = Bus()
    bus.publish(ev(LikeSent(count=1)))  # must not raise
    seen: list[Event[Any]] = []
    bus.subscribe(LikeSent, seen.append)
    assert seen == []  # nothing replayed to late subscribers


def test_handlers_called_in_subscription_order() -> None:
    bus = Bus()
    order: list[str] = []
    bus.subscribe(LikeSent, lambda e: order.append("a"))
    bus.subscribe(LikeSent, lambda e: order.append("b"))
    bus.subscribe(LikeSent, lambda e: order.append("c"))
    bus.publish(ev(LikeSent(count=1)))
    assert order == ["a", "b", "c"]


def test_room_filter() -> None:
    bus = Bus()
    r1: list[str] = []
    everywhere: list[str] = []
    bus.subscribe(LikeSent, lambda e: r1.append(e.room_id), room="r1")
    bus.subscribe(LikeSent, lambda e: everywhere.append(e.room_id))
    for room in ("r1", "r2", "r1", "r3"):
        bus.publish(ev(LikeSent(count=1), room=room))
    assert r1 == ["r1", "r1"]
    assert everywhere == ["r1", "r2", "r1", "r3"]


def test_unsubscribe_stops_delivery() -> None:
    bus = Bus()
    kept: list[int] = []
    dropped: list[int] = []
    bus.subscribe(LikeSent, lambda e: kept.append(e.payload.count))
    unsubscribe = bus.subscribe(LikeSent, lambda e: dropped.append(e.payload.count))
    bus.publish(ev(LikeSent(count=1)))
    unsubscribe()
    bus.publish(ev(LikeSent(count=2)))
    unsubscribe()  # idempotent
    bus.publish(ev(LikeSent(count=3)))
    assert dropped == [1]
    assert kept == [1, 2, 3]


def test_same_handler_twice_unsubscribes_one_at_a_time() -> None:
    bus = Bus()
    seen: list[int] = []
    first = bus.subscribe(LikeSent, lambda e: seen.append(1), room="r1")
    bus.subscribe(LikeSent, lambda e: seen.append(2), room="r1")
    first()
    bus.publish(ev(LikeSent(count=1)))
    assert seen == [2]


def test_unsubscribe_during_publish_does_not_skip_others() -> None:
    bus = Bus()
    seen: list[str] = []
    unsub: list[Any] = []

    def once(e: Event[LikeSent]) -> None:
        seen.append("once")
        unsub[0]()

    unsub.append(bus.subscribe(LikeSent, once))
    bus.subscribe(LikeSent, lambda e: seen.append("other"))
    bus.publish(ev(LikeSent(count=1)))
    bus.publish(ev(LikeSent(count=1)))
    assert seen == ["once", "other", "other"]


# --- async handlers ----------------------------------------------------------------------------


async def test_async_handler_runs_and_drain_waits() -> None:
    bus = Bus()
    done: list[int] = []
    release = asyncio.Event()

    async def slow(e: Event[LikeSent]) -> None:
        await release.wait()
        done.append(e.payload.count)

    bus.subscribe(LikeSent, slow)
    bus.publish(ev(LikeSent(count=7)))  # returns at once: the publisher is not blocked
    assert done == []
    await asyncio.sleep(0)
    assert done == []
    release.set()
    await asyncio.wait_for(bus.drain(), 2)
    assert done == [7]


async def test_drain_waits_for_handlers_started_while_draining() -> None:
    bus = Bus()
    seen: list[str] = []

    async def on_like(e: Event[LikeSent]) -> None:
        await asyncio.sleep(0.01)
        seen.append("like")
        bus.publish(ev(Followed(nickname="n")))

    async def on_follow(e: Event[Followed]) -> None:
        await asyncio.sleep(0.01)
        seen.append("follow")

    bus.subscribe(LikeSent, on_like)
    bus.subscribe(Followed, on_follow)
    bus.publish(ev(LikeSent(count=1)))
    await asyncio.wait_for(bus.drain(), 2)
    assert seen == ["like", "follow"]


async def test_drain_with_nothing_pending() -> None:
    bus = Bus()
    await asyncio.wait_for(bus.drain(), 1)
    assert bus._tasks == set()


async def test_failing_async_handler_is_logged_and_drain_succeeds(caplog: pytest.LogCaptureFixture) -> None:
    bus = Bus()
    ok: list[int] = []

    async def boom(e: Event[LikeSent]) -> None:
        raise RuntimeError("async kaboom")

    async def fine(e: Event[LikeSent]) -> None:
        ok.append(e.payload.count)

    bus.subscribe(LikeSent, boom)
    bus.subscribe(LikeSent, fine)
    with caplog.at_level(logging.ERROR, logger="siyu.events"):
        bus.publish(ev(LikeSent(count=4)))
        await asyncio.wait_for(bus.drain(), 2)
    assert ok == [4]
    failures = [r for r in caplog.records if r.levelno == logging.ERROR and r.exc_info]
    assert len(failures) == 1
    assert "async kaboom" in str(failures[0].exc_info[1])  # type: ignore[index]


# --- failing sync handler ----------------------------------------------------------------------


def test_failing_sync_handler_does_not_stop_others(caplog: pytest.LogCaptureFixture) -> None:
    bus = Bus()
    seen: list[str] = []

    def before(e: Event[LikeSent]) -> None:
        seen.append("before")

    def boom(e: Event[LikeSent]) -> None:
        raise ValueError("sync kaboom")

    def after(e: Event[LikeSent]) -> None:
        seen.append("after")

    for handler in (before, boom, after):
        bus.subscribe(LikeSent, handler)
    with caplog.at_level(logging.ERROR, logger="siyu.events"):
        bus.publish(ev(LikeSent(count=1)))
    assert seen == ["before", "after"]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "like.sent" in errors[0].getMessage()
    assert errors[0].exc_info is not None
    assert isinstance(errors[0].exc_info[1], ValueError)


# --- Event, Context, payload registry ----------------------------------------------------------


@pytest.mark.parametrize("payload", SAMPLES, ids=lambda p: type(p).__name__)
def test_event_type_is_payload_type(payload: Any) -> None:
    event = ev(payload)
    assert event.type == type(payload).TYPE
    assert PAYLOAD_TYPES[event.type] is type(payload)


def test_event_defaults() -> None:
    before = time.time_ns() // 1_000_000
    a = ev(LikeSent(count=1))
    b = ev(LikeSent(count=1))
    after = time.time_ns() // 1_000_000
    assert a.id != b.id
    assert a.context.id != b.context.id
    assert a.seq is None
    assert a.session_id is None
    assert before <= a.ts <= after


def test_context_child_links_parent() -> None:
    root = Context(actor="host-1")
    child = root.child()
    assert child.parent_id == root.id
    assert child.id != root.id
    assert child.actor == "host-1"  # inherited
    grandchild = child.child(actor="system")
    assert grandchild.parent_id == child.id
    assert grandchild.actor == "system"
    assert root.parent_id is None


def _payload_classes() -> set[type[Any]]:
    return {
        obj
        for _, obj in inspect.getmembers(events, inspect.isclass)
        if dataclasses.is_dataclass(obj) and obj.__module__ == events.__name__ and hasattr(obj, "TYPE")
    }


def test_payload_types_cover_every_payload_dataclass() -> None:
    classes = _payload_classes()
    assert len(classes) >= 10
    assert {c for c in PAYLOAD_TYPES.values() if c.__module__ == events.__name__} == classes
    assert {type(s) for s in SAMPLES} == classes
    for name, cls in PAYLOAD_TYPES.items():
        assert cls.TYPE == name
    assert len({cls.TYPE for cls in classes}) == len(classes)  # no two payloads share a TYPE


def test_payload_type_names_are_dotted_lowercase() -> None:
    for name in PAYLOAD_TYPES:
        noun, _, verb = name.partition(".")
        assert noun and verb and name == name.lower(), name


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: type(p).__name__)
def test_every_payload_crosses_nodes_intact(sample: Any) -> None:
    """The stream carries events between nodes with encode_event / decode_event: nothing is lost."""
    event = Event(room_id="r1", user_id="u1", payload=sample, session_id="s1",
                  context=Context(parent_id="p1", actor="h1"))  # fmt: skip
    event.seq = 42
    back = decode_event(encode_event(event))
    assert back == event
    assert type(back.payload) is type(sample)


def test_an_older_stored_payload_takes_the_defaults_of_newer_fields() -> None:
    """Events written before a field was added (e.g. a comment's level and role) still decode."""
    stored = {"text": "包邮吗", "cid": "c1", "question": True, "nickname": "小美"}
    old = decode_payload("comment.posted", stored)
    assert old == CommentPosted("包邮吗", "c1", True, "小美", level=0, role="viewer")
    newer = decode_payload("viewer.followed", {"nickname": "n", "level": 3, "badge": "from a newer node"})
    assert newer == Followed("n", 3)


def test_a_payload_type_name_cannot_be_registered_twice() -> None:
    @dataclasses.dataclass(frozen=True)
    class Impostor:
        TYPE: ClassVar[str] = "like.sent"
        count: int

    with pytest.raises(ValueError, match="registered twice"):
        payload(Impostor)
    with pytest.raises(TypeError):
        payload(int)
