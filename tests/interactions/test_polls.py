"""Polls on the room runtime (SQLite file, MemoryBroker): start, vote, tally, close, each error code, a
final vote answered with the first ack (also from a second room on the same log), a quiz's answer, a 选款
poll of the room's products, the deadline's close, and the open poll rebuilt from the log on load."""

from __future__ import annotations

import dataclasses
from typing import Any

from siyu.auth import Role
from siyu.events import decode_event, encode_event, now_ms
from siyu.interactions import PollCloseIn, Polls, PollStartIn, VoteIn
from siyu.interactions.polls import PollClosed, PollStarted, PollVoted, winner_of
from siyu.realtime.protocol import ErrorCode
from siyu.rooms.room import Room
from tests.interactions.test_coupons import ack_of, code
from tests.rooms.test_runtime import FakeMember, room, settled

__all__ = ["room"]


async def start(room: Room, host: FakeMember, cid: str, **fields: Any) -> dict[str, Any]:
    room.dispatch(host, PollStartIn(type="poll_start", cid=cid, **fields))
    return await ack_of(host, cid)


async def vote(room: Room, m: FakeMember, poll_id: str, option: int, cid: str) -> dict[str, Any]:
    room.dispatch(m, VoteIn(type="vote", poll_id=poll_id, option=option, cid=cid))
    return await ack_of(m, cid)


async def close(room: Room, host: FakeMember, poll_id: str, cid: str) -> dict[str, Any]:
    room.dispatch(host, PollCloseIn(type="poll_close", poll_id=poll_id, cid=cid))
    return await ack_of(host, cid)


async def test_start_vote_tally_close(room: Room) -> None:
    host, viewers = FakeMember("h", Role.HOST), [FakeMember(f"u{i}") for i in range(3)]
    for m in (host, *viewers):
        room.enter(m)
    ack = await start(
        room, host, "s1", question="下一款讲哪个", options=["碎花裙", "风衣", "毛衣"], seconds=30
    )
    poll = ack["msg"]
    assert poll["type"] == "poll" and poll["seq"] == ack["seq"] and poll["kind"] == "poll"
    assert [o["text"] for o in poll["options"]] == ["碎花裙", "风衣", "毛衣"]
    assert poll["until"] > poll["ts"]
    await settled(room)
    poll_id = viewers[0].of("poll")[0]["poll_id"]
    assert poll_id == poll["poll_id"]
    assert room.state_values()["poll"].poll_id == poll_id  # a late viewer's state
    late = FakeMember("late")
    room.enter(late)
    assert late.frames[0]["state"]["poll"]["question"] == "下一款讲哪个"

    room.flush()
    await settled(room)
    assert viewers[0].of("poll_tally") == []  # nothing changed yet
    for m, option in zip(viewers, (1, 1, 2), strict=True):
        got = await vote(room, m, poll_id, option, "v1")
        assert got["vote"] == {"poll_id": poll_id, "option": option}
    room.flush()
    room.flush()  # unchanged: no second tally
    await settled(room)
    tallies = viewers[0].of("poll_tally")
    assert tallies == [{"type": "poll_tally", "poll_id": poll_id, "counts": [0, 2, 1], "total": 3}]

    done = await close(room, host, poll_id, "c1")
    result = done["msg"]
    assert result["type"] == "poll_result" and result["counts"] == [0, 2, 1] and result["total"] == 3
    assert result["winner"] == 1 and result["answer"] is None
    await settled(room)
    assert viewers[2].of("poll_result")[0]["seq"] == result["seq"]
    assert room.state_values()["poll"] is None
    assert code(await close(room, host, poll_id, "c2")) == "poll.closed"  # closing twice
    assert code(await vote(room, viewers[0], poll_id, 0, "v2")) == "poll.closed"


async def test_error_codes(room: Room) -> None:
    host, viewer = FakeMember("h", Role.HOST), FakeMember("u1")
    room.enter(host)
    room.enter(viewer)
    refused = await start(room, viewer, "x", question="q", options=["a", "b"])
    assert code(refused) == ErrorCode.FORBIDDEN_ROLE
    neither = await start(room, host, "s0", question="q")
    assert code(neither) == ErrorCode.BAD_MESSAGE  # options or product_ids, one of them
    both = await start(room, host, "s00", question="q", options=["a", "b"], product_ids=["P01", "P02"])
    assert code(both) == ErrorCode.BAD_MESSAGE
    poll_id = (await start(room, host, "s1", question="q", options=["a", "b"]))["msg"]["poll_id"]
    assert code(await start(room, host, "s2", question="q2", options=["a", "b"])) == "poll.open"
    assert code(await vote(room, viewer, "nope", 0, "v1")) == "poll.unknown"
    assert code(await vote(room, viewer, poll_id, 2, "v2")) == "poll.bad_option"
    assert code(await close(room, host, "nope", "c0")) == "poll.unknown"
    assert code(await close(room, viewer, poll_id, "c0")) == ErrorCode.FORBIDDEN_ROLE
    assert "error" not in await close(room, host, poll_id, "c1")
    assert code(await vote(room, viewer, poll_id, 0, "v3")) == "poll.closed"
    assert (
        code(await start(room, host, "s3", question="q", options=["a", "b"], answer=3)) == "poll.bad_option"
    )
    assert code(await start(room, host, "s4", question="q", product_ids=["P01", "NOPE"])) == "poll.bad_option"


async def test_a_vote_is_final_and_a_second_vote_gets_the_first_ack(room: Room) -> None:
    host, viewer = FakeMember("h", Role.HOST), FakeMember("u1")
    room.enter(host)
    room.enter(viewer)
    poll_id = (await start(room, host, "s1", question="q", options=["a", "b", "c"]))["msg"]["poll_id"]
    first = await vote(room, viewer, poll_id, 2, "v1")
    assert first["vote"]["option"] == 2
    assert (await vote(room, viewer, poll_id, 0, "v2"))["vote"] == first["vote"]  # another cid
    assert (await vote(room, viewer, poll_id, 2, "v1"))["vote"] == first["vote"]  # the same cid
    await settled(room)

    other = await Room.load("demo", room.deps)  # another node on the same log
    try:
        again = FakeMember("u1")
        other.enter(again)
        got = await vote(other, again, poll_id, 1, "v3")  # the log's once-key: the vote it kept
        assert got["vote"] == first["vote"]
        done = await close(other, host, poll_id, "c1")
        assert done["msg"]["counts"] == [0, 0, 1] and done["msg"]["total"] == 1
    finally:
        await other.stop()


async def test_quiz_answer_in_the_result_and_ties_go_to_the_lowest_index(room: Room) -> None:
    host, a, b = FakeMember("h", Role.HOST), FakeMember("a"), FakeMember("b")
    for m in (host, a, b):
        room.enter(m)
    ack = await start(room, host, "s1", question="这件是什么面料", options=["棉", "麻", "丝"], answer=2)
    assert ack["msg"]["kind"] == "quiz" and "answer" not in ack["msg"]  # not given away before the end
    poll_id = ack["msg"]["poll_id"]
    await vote(room, a, poll_id, 2, "v1")
    await vote(room, b, poll_id, 0, "v1")
    result = (await close(room, host, poll_id, "c1"))["msg"]
    assert result["answer"] == 2 and result["counts"] == [1, 0, 1] and result["winner"] == 0
    assert winner_of([0, 0]) is None and winner_of([1, 3, 3]) == 1


async def test_a_pick_poll_shows_the_rooms_products(room: Room) -> None:
    host = FakeMember("h", Role.HOST)
    room.enter(host)
    ids = list(room.products)[:3]
    ack = await start(room, host, "s1", question="想看哪款", product_ids=ids)
    poll = ack["msg"]
    assert poll["kind"] == "pick"
    for option, pid in zip(poll["options"], ids, strict=True):
        card = room.products[pid]
        assert option["product_id"] == pid and option["text"].startswith(f"{card['link_no']}号")
        assert card["short_name"] in option["text"]


async def test_the_deadline_closes_the_poll(room: Room) -> None:
    host, viewer = FakeMember("h", Role.HOST), FakeMember("u1")
    room.enter(host)
    room.enter(viewer)
    poll_id = (await start(room, host, "s1", question="q", options=["a", "b"], seconds=10))["msg"]["poll_id"]
    await vote(room, viewer, poll_id, 1, "v1")
    poll = room.feature(Polls).open
    assert poll is not None
    poll.started = dataclasses.replace(poll.started, until=now_ms() - 1)  # as if ten seconds went by
    room.flush()
    for _ in range(100):
        await settled(room)
        if viewer.of("poll_result"):
            break
    assert viewer.of("poll_result")[0]["counts"] == [0, 1]
    assert room.feature(Polls).open is None


async def test_the_open_poll_and_its_counts_are_rebuilt_from_the_log(room: Room) -> None:
    host, viewers = FakeMember("h", Role.HOST), [FakeMember(f"u{i}") for i in range(3)]
    for m in (host, *viewers):
        room.enter(m)
    poll_id = (await start(room, host, "s1", question="q", options=["a", "b"]))["msg"]["poll_id"]
    for m, option in zip(viewers, (0, 1, 1), strict=True):
        await vote(room, m, poll_id, option, "v1")
    await settled(room)

    again = await Room.load("demo", room.deps)  # after a restart
    try:
        poll = again.feature(Polls).open
        assert poll is not None and poll.poll_id == poll_id
        assert [c.value for c in poll.counters] == [1, 2]
        assert again.state_values()["poll"].poll_id == poll_id
        late = FakeMember("late")
        again.enter(late)
        assert code(await start(again, host, "s2", question="q", options=["a", "b"])) == "poll.open"
        assert (await vote(again, late, poll_id, 0, "v1"))["vote"]["option"] == 0
        result = (await close(again, host, poll_id, "c1"))["msg"]
        assert result["counts"] == [2, 2] and result["winner"] == 0
    finally:
        await again.stop()


def test_poll_payloads_round_trip() -> None:
    from siyu.events import Event

    for body in (
        PollStarted("p1", "q", ["a", "b"], None, 1, 1, 2, "主播"),
        PollVoted("p1", 0),
        PollClosed("p1", [1, 0], 1, 0, None, None),
    ):
        event = Event(room_id="r1", user_id="u1", payload=body)
        assert decode_event(encode_event(event)).payload == body


async def test_a_viewer_who_enters_during_a_poll_gets_its_counts_at_once(room: Room) -> None:
    host, early = FakeMember("h", Role.HOST), FakeMember("early")
    room.enter(host)
    room.enter(early)
    poll = (await start(room, host, "s1", question="选哪个", options=["甲", "乙"], seconds=30))["msg"]
    await vote(room, early, poll["poll_id"], 1, "v1")
    room.flush()
    await settled(room)
    late = FakeMember("late")
    room.enter(late)
    assert late.of("poll_tally") == [
        {"type": "poll_tally", "poll_id": poll["poll_id"], "counts": [0, 1], "total": 1}
    ]
    await close(room, host, poll["poll_id"], "c1")
    later = FakeMember("later")
    room.enter(later)
    assert later.of("poll_tally") == []  # no open poll: nothing
