"""Topics (话题) on the room runtime (SQLite file, MemoryBroker): pin and unpin, the seq-window link of
comments, the staff summary (keywords of a Chinese corpus, opinions grouped by similarity), refusals, the
`topic.closed` event, and the topic rebuilt from the log on load."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from sqlalchemy import select

from siyu.auth import Role
from siyu.config import Limits
from siyu.interactions import TopicPinIn, Topics, TopicUnpinIn
from siyu.interactions.topic_summary import Said, Words, cut, keywords, opinions
from siyu.interactions.topics import TopicClosed
from siyu.realtime.protocol import ErrorCode, ProtocolError
from siyu.realtime.router import Router
from siyu.rooms.feature import FeatureSet
from siyu.rooms.features import CommentIn
from siyu.rooms.room import Room
from siyu.store.tables import events
from tests.interactions.waiting import Waiting
from tests.rooms.test_runtime import room

__all__ = ["room"]

QUESTION = "你们希望下次直播有什么内容？"

# (user, comment): what forty viewers answer, with near-duplicates in other words
CORPUS = [
    *((f"a{i}", t) for i, t in enumerate([
        "希望下次多讲讲羽绒服", "想看羽绒服的搭配", "多讲讲羽绒服吧", "羽绒服多来几款！", "羽绒服羽绒服",
        "想看羽绒服～", "下次讲羽绒服", "羽绒服能不能便宜点", "主播多讲讲羽绒服", "羽绒服！！",
        "再讲一次羽绒服", "求羽绒服返场",
    ])),
    *((f"b{i}", t) for i, t in enumerate([
        "希望有福袋", "多发点福袋吧", "福袋福袋", "想要福袋", "来个福袋呀", "福袋安排一下", "求福袋！",
        "下次多点福袋",
    ])),
    *((f"c{i}", t) for i, t in enumerate([
        "能不能讲讲大码的衣服", "大码女装多来点", "大码的姐妹在这里", "希望多上点大码", "大码！",
    ])),
    *((f"d{i}", t) for i, t in enumerate(["想看男装", "希望多一些男装", "男装男装"])),
    *((f"e{i}", t) for i, t in enumerate(["666", "哈哈哈哈", "来了来了", "好的好的"])),
]  # fmt: skip


async def pin(room: Room, m: Waiting, cid: str, text: str = QUESTION) -> dict[str, Any]:
    room.dispatch(m, TopicPinIn(type="topic_pin", text=text, cid=cid))
    return await m.ack(cid)


async def unpin(room: Room, m: Waiting, cid: str) -> dict[str, Any]:
    room.dispatch(m, TopicUnpinIn(type="topic_unpin", cid=cid))
    return await m.ack(cid)


async def say(room: Room, m: Waiting, text: str, cid: str) -> int:
    room.dispatch(m, CommentIn(type="comment", cid=cid, text=text))
    ack = await m.ack(cid)
    assert "seq" in ack, ack
    return int(ack["seq"])


def enter(room: Room, *members: Waiting) -> None:
    for m in members:
        room.enter(m)


def code(ack: dict[str, Any]) -> str | None:
    return ack["error"]["code"] if "error" in ack else None


async def closed_events(room: Room) -> list[dict[str, Any]]:
    q = select(events.c.payload).where(events.c.room_id == room.info.id, events.c.type == TopicClosed.TYPE)
    async with room.service.db.engine.connect() as conn:
        return [dict(p) for (p,) in (await conn.execute(q.order_by(events.c.ts))).all()]


async def test_pin_unpin_and_the_room_state(room: Room) -> None:
    host, viewer = Waiting("h", Role.HOST, nickname="晚晚"), Waiting("u1")
    enter(room, host, viewer)
    assert viewer.frames[0]["state"]["topic"] is None
    ack = await pin(room, host, "t1", "  你们希望下次直播有什么内容？ ")
    topic = ack["msg"]
    assert topic["type"] == "topic" and topic["seq"] == ack["seq"]
    assert (
        topic["topic"]["text"] == QUESTION and topic["topic"]["by"] == "晚晚" and topic["topic"]["since"] > 0
    )
    seen = await viewer.first(lambda m: m.get("type") == "topic" and m.get("seq") == ack["seq"])
    assert seen["topic"] == topic["topic"]
    late = Waiting("late")
    room.enter(late)
    assert late.frames[0]["state"]["topic"] == topic["topic"]

    other = (await pin(room, host, "t2", "最想要哪个颜色？"))["msg"]["topic"]  # replaces the first
    assert room.feature(Topics).current is not None and room.feature(Topics).current.ref.id == other["id"]
    gone = await unpin(room, host, "t3")
    assert gone["msg"]["topic"] is None and room.state_values()["topic"] is None
    assert await viewer.first(lambda m: m.get("type") == "topic" and m.get("seq") == gone["seq"])
    assert code(await unpin(room, host, "t4")) == "topic.none"
    assert (await unpin(room, host, "t3")) == gone  # a re-sent cid gets its first answer


async def test_refusals(room: Room) -> None:
    viewer, host = Waiting("u1"), Waiting("h", Role.ASSISTANT)
    enter(room, viewer, host)
    assert code(await pin(room, viewer, "t1")) == ErrorCode.FORBIDDEN_ROLE
    assert code(await pin(room, host, "t2", " \u3000 ")) == ErrorCode.BAD_MESSAGE  # blank after trimming
    assert code(await unpin(room, host, "t3")) == "topic.none"
    assert "error" not in await pin(room, host, "t4")
    assert code(await unpin(room, viewer, "t5")) == ErrorCode.FORBIDDEN_ROLE
    assert room.feature(Topics).current is not None  # still pinned

    router = FeatureSet([Topics]).fill(Router(), Limits())
    for frame in (
        {"type": "topic_pin", "text": "x" * 101, "cid": "a"},
        {"type": "topic_pin", "text": "", "cid": "a"},
        {"type": "topic_pin", "cid": "a"},
        {"type": "topic_unpin", "cid": "a", "topic_id": "x"},
    ):
        with pytest.raises(ProtocolError) as err:
            router.parse(orjson.dumps(frame))
        assert err.value.code == ErrorCode.BAD_MESSAGE and err.value.cid == "a"


async def test_comments_in_the_seq_window_are_linked(room: Room) -> None:
    host, v1, v2 = Waiting("h", Role.HOST, nickname="晚晚"), Waiting("v1"), Waiting("v2")
    enter(room, host, v1, v2)
    await say(room, v1, "开播啦", "c0")  # before any topic: linked to none
    first = (await pin(room, host, "t1"))["msg"]["topic"]
    await say(room, v1, "想看羽绒服", "c1")
    await say(room, v2, "多发点福袋", "c2")
    await say(room, host, "大家多说说", "c3")  # the staff's own comments are no opinion
    await say(room, v1, "羽绒服再讲一次", "c4")
    t = room.feature(Topics).current
    assert t is not None and t.count == 3 and t.users == {"v1", "v2"}
    assert [c.text for c in t.comments] == ["想看羽绒服", "多发点福袋", "羽绒服再讲一次"]

    second = (await pin(room, host, "t2", "最想要哪个颜色？"))["msg"]["topic"]  # ends the first window
    await say(room, v2, "黑色", "c5")
    t2 = room.feature(Topics).current
    assert t2 is not None and t2.ref.id == second["id"] and [c.text for c in t2.comments] == ["黑色"]
    await unpin(room, host, "t3")
    await say(room, v1, "下播了吗", "c6")  # after the unpin: linked to none
    assert room.feature(Topics).current is None

    closed = await wait_closed(room, 2)  # the node that ended each topic logged its summary
    by_id = {c["topic_id"]: c for c in closed}
    assert by_id[first["id"]]["count"] == 3 and by_id[first["id"]]["commenters"] == 2
    assert by_id[first["id"]]["keywords"] == ["羽绒服", "福袋"]  # by commenters: v1 said 羽绒服 twice
    assert by_id[first["id"]]["keyword_counts"] == [1, 1]
    assert by_id[first["id"]]["end_seq"] > by_id[first["id"]]["pin_seq"]
    assert by_id[second["id"]]["count"] == 1 and by_id[second["id"]]["text"] == "最想要哪个颜色？"


async def wait_closed(room: Room, n: int) -> list[dict[str, Any]]:
    """The topic.closed events once `n` are in the log (each is logged after its topic's end commits)."""
    for task in list(room._tasks):  # noqa: SLF001 - the closes run as the room's tasks (spawned by then)
        await task
    closed = await closed_events(room)
    assert len(closed) == n, closed
    return closed


async def corpus_room(room: Room) -> tuple[Waiting, dict[str, int]]:
    host = Waiting("h", Role.HOST, nickname="晚晚")
    room.enter(host)
    await pin(room, host, "t1")
    seqs = {}
    for i, (user, text) in enumerate(CORPUS):
        m = Waiting(user)
        room.enter(m)
        seqs[user] = await say(room, m, text, f"c{i}")
    return host, seqs


async def test_the_host_gets_a_summary_of_a_chinese_corpus(room: Room) -> None:
    host, _ = await corpus_room(room)
    mark = host.mark()
    room.flush()  # the tick: a summary for the staff connected here
    summary = await host.next("topic_summary", since=mark)
    assert summary["text"] == QUESTION and summary["count"] == len(CORPUS) == summary["kept"]
    assert summary["commenters"] == len(CORPUS)
    words = [k["word"] for k in summary["keywords"]]
    assert words[:4] == ["羽绒服", "福袋", "大码", "男装"], words
    assert [k["count"] for k in summary["keywords"][:4]] == [12, 8, 5, 3]
    assert not {"希望", "下次", "直播", "内容", "666", "哈哈哈哈", "！"} & set(
        words
    )  # stop words, the topic's own
    groups = summary["opinions"]
    assert [g["size"] for g in groups] == [12, 8, 5, 3]  # 666, 哈哈哈哈 … say nothing: no group
    assert "羽绒服" in groups[0]["text"] and all("羽绒服" in e for e in groups[0]["examples"])
    assert "福袋" in groups[1]["text"] and len(groups[1]["examples"]) == 3
    assert groups[0]["users"] == 12
    # the staff snapshot has it (a console that connects now); nothing changed: no second summary
    late = Waiting("h2", Role.ASSISTANT)
    room.enter(late)
    assert late.frames[1]["topic_summary"]["count"] == len(CORPUS)
    room.feature(Topics).last_summary_ms = 0  # as if two seconds went by
    mark = host.mark()
    room.flush()
    assert all(m.get("type") != "topic_summary" for m in host.messages()[mark:])


def test_near_duplicate_opinions_are_grouped() -> None:
    words = Words(["高腰牛仔裤"], QUESTION)
    said = [
        Said(1, "u1", "高腰牛仔裤还有货吗"),
        Said(2, "u2", "高腰牛仔裤再上一次"),
        Said(3, "u3", "牛仔裤"),
        Said(4, "u4", "想要抽奖"),
        Said(5, "u5", "抽奖抽奖！"),
        Said(6, "u6", "多搞点抽奖活动"),
        Said(7, "u7", "抽奖"),
        Said(8, "u8", "穿搭示范一下"),
        Said(9, "u9", "主播下次穿搭示范"),
        Said(10, "u9", "666"),
    ]
    cut(said, words)
    assert said[0].words == ("高腰牛仔裤",)  # the room's product name stays whole
    assert said[8].words == ("穿搭", "示范") and said[9].words == ()
    groups = opinions(said)
    got = [(g.text, g.size, g.users, g.examples) for g in groups]
    assert got == [
        (
            "想要抽奖",
            4,
            4,
            ["多搞点抽奖活动", "抽奖抽奖！", "抽奖"],
        ),  # {抽奖} x3 (first said first), {抽奖, 活动}
        ("高腰牛仔裤还有货吗", 3, 3, ["牛仔裤", "高腰牛仔裤再上一次"]),  # 牛仔裤 ~ 高腰牛仔裤 (75)
        ("穿搭示范一下", 2, 2, ["主播下次穿搭示范"]),
    ]
    assert keywords(said)[0].word == "抽奖" and keywords(said)[0].count == 4


async def test_the_topic_is_rebuilt_from_the_log(room: Room) -> None:
    host, _ = await corpus_room(room)
    before = room.feature(Topics).current
    assert before is not None

    again = await Room.load("demo", room.deps)  # after a restart (or on another node)
    try:
        t = again.feature(Topics).current
        assert t is not None and t.ref == before.ref and t.pin_seq == before.pin_seq
        assert (t.count, t.users) == (before.count, before.users)
        assert [(c.seq, c.text) for c in t.comments] == [(c.seq, c.text) for c in before.comments]
        late = Waiting("late")
        again.enter(late)
        assert late.frames[0]["state"]["topic"]["text"] == QUESTION
        m = Waiting("new")
        again.enter(m)
        await say(again, m, "福袋！", "n1")  # linked once (the replay of the log did not link twice)
        assert t.count == before.count + 1 and len(t.comments) == len(before.comments) + 1
        h2 = Waiting("h", Role.HOST)
        again.enter(h2)
        mark = h2.mark()
        again.flush()
        summary = await h2.next("topic_summary", since=mark)
        assert summary["count"] == len(CORPUS) + 1 and summary["keywords"][1]["count"] == 9
        gone = await unpin(again, h2, "u1")
        assert gone["msg"]["topic"] is None
    finally:
        await again.stop()
    again = await Room.load("demo", room.deps)
    try:
        assert again.feature(Topics).current is None  # unpinned before this load
    finally:
        await again.stop()
