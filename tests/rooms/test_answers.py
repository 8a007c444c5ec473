"""rooms/answers: exactly one ack per cid for an action that awaits the database before it records."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import orjson

from siyu.realtime import protocol as wire
from siyu.rooms import answers
from siyu.rooms.acks import AckMemory


class Sent:
    def __init__(self, user_id: str = "u1") -> None:
        self.user_id = user_id
        self.frames: list[bytes] = []

    def send(self, data: bytes) -> None:
        self.frames.append(data)


class FakeRoom:
    def __init__(self) -> None:
        self.acks = AckMemory()
        self.info = SimpleNamespace(id="r1")

    def answer_known(self, m: Sent, cid: str) -> bool:
        return self.acks.answer(m, m.user_id, cid)


async def run(room: Any, m: Sent, cid: str | None, work: Any) -> None:
    assert answers.begin(room, m, cid)
    await answers.finish(room, m, cid, work)


async def test_the_works_fields_are_the_ack_and_a_resend_waits_for_it() -> None:
    room: Any = FakeRoom()
    m, again = Sent(), Sent()
    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def work() -> dict[str, Any]:
        await gate
        return {"seq": 7, "order": {"id": "o1"}}

    assert answers.begin(room, m, "c1")
    task = asyncio.ensure_future(answers.finish(room, m, "c1", work()))
    assert not answers.begin(room, again, "c1")  # in flight: waits
    gate.set_result(None)
    await task
    ack = b'{"type":"ack","cid":"c1","seq":7,"order":{"id":"o1"}}'
    assert m.frames == again.frames == [ack]
    late = Sent()
    assert not answers.begin(room, late, "c1") and late.frames == [ack]


async def test_a_refusal_is_kept_with_its_text_and_detail_fields() -> None:
    room: Any = FakeRoom()
    m = Sent()

    async def work() -> None:
        raise answers.Refused("order.out_of_stock", "库存不足", line=1, product_id="p1")

    await run(room, m, "c1", work())
    want = wire.ack_error("c1", "order.out_of_stock", "库存不足", line=1, product_id="p1")
    assert m.frames == [want]
    assert orjson.loads(want)["error"] == {"code": "order.out_of_stock", "message": "库存不足", "line": 1,
                                           "product_id": "p1"}  # fmt: skip
    assert not answers.begin(room, m, "c1") and m.frames == [want, want]  # kept


async def test_a_refusals_text_defaults_to_the_codes_text() -> None:
    room: Any = FakeRoom()
    m = Sent()

    async def work() -> None:
        raise answers.Refused("forbidden_role")

    await run(room, m, "c1", work())
    assert orjson.loads(m.frames[0])["error"]["message"] == wire.ERROR_TEXT["forbidden_role"]


async def test_an_unexpected_failure_is_store_unavailable_and_not_kept() -> None:
    room: Any = FakeRoom()
    m = Sent()

    async def work() -> None:
        raise RuntimeError("the database went away")

    await run(room, m, "c1", work())
    assert m.frames == [wire.ack_error("c1", "store_unavailable", "暂时无法保存，请重试")]
    assert answers.begin(room, m, "c1")  # a re-send may succeed


async def test_without_a_cid_only_a_refusal_is_sent_as_an_error_frame() -> None:
    room: Any = FakeRoom()
    m = Sent()

    async def refused() -> None:
        raise answers.Refused("poll.closed", "投票已结束")

    async def done() -> dict[str, Any]:
        return {"x": 1}

    await run(room, m, None, refused())
    await run(room, m, None, done())
    assert m.frames == [wire.error("poll.closed", "投票已结束")]
