"""The host's queue: a question is pending (needs a person), auto_answered, answered or dismissed."""

from __future__ import annotations

from siyu.auth import Role
from siyu.rooms.features import CommentIn, DismissIn, Questions, ReplyIn
from siyu.rooms.room import Room
from tests.rooms.test_runtime import FakeMember, room, settled

__all__ = ["room"]


def states(room: Room) -> dict[str, str]:
    return {str(q["text"]): str(q["state"]) for q in room.feature(Questions).board.snapshot()}


async def test_only_what_needs_a_person_is_pending_and_the_host_can_dismiss(room: Room) -> None:
    viewer, host = FakeMember("v1"), FakeMember("h", Role.HOST, "晚晚")
    asks = {"1号多少钱？": "auto_answered", "能不能便宜点给我打个折？": "pending",
            "主播你明天几点播？": "pending"}  # fmt: skip
    for i, text in enumerate(asks):
        room.dispatch(viewer, CommentIn(type="comment", cid=f"c{i}", text=text))
    await settled(room)
    got = states(room)
    assert got == asks, got
    board = room.feature(Questions).board
    assert board.pending() == 2
    seqs = {str(q.text): q.seq for q in board.items.values()}

    room.dispatch(host, DismissIn(type="dismiss", seq=seqs["主播你明天几点播？"], cid="d1"))
    cheaper = seqs["能不能便宜点给我打个折？"]
    room.dispatch(host, ReplyIn(type="reply", cid="r1", to_seq=cheaper, text="已经是直播价啦"))
    await settled(room)
    assert states(room) == {"1号多少钱？": "auto_answered", "能不能便宜点给我打个折？": "answered",
                            "主播你明天几点播？": "dismissed"}  # fmt: skip
    assert board.pending() == 0
    ack = next(f for f in host.frames if f.get("cid") == "d1")  # the ack carries the room message (echo)
    assert ack["msg"]["type"] == "dismissed" and ack["msg"]["by"] == "晚晚"
    assert ack["msg"]["question_seq"] == seqs["主播你明天几点播？"]

    room.dispatch(viewer, DismissIn(type="dismiss", seq=seqs["1号多少钱？"], cid="d2"))
    room.dispatch(host, DismissIn(type="dismiss", seq=999_999, cid="d3"))
    await settled(room)
    frames = viewer.frames + host.frames
    codes = {f["cid"]: f["error"]["code"] for f in frames if f.get("cid") in ("d2", "d3")}
    assert codes == {"d2": "forbidden_role", "d3": "unknown_comment"}


async def test_a_dismissal_is_rebuilt_from_the_log_after_a_restart(room: Room) -> None:
    viewer, host = FakeMember("v1"), FakeMember("h", Role.HOST, "晚晚")
    room.dispatch(viewer, CommentIn(type="comment", cid="c1", text="主播你明天几点播？"))
    await settled(room)
    seq = next(iter(room.feature(Questions).board.items))
    room.dispatch(host, DismissIn(type="dismiss", seq=seq, cid="d1"))
    await settled(room)
    again = await Room.load(room.info.id, room.deps)
    try:
        assert states(again) == {"主播你明天几点播？": "dismissed"}
    finally:
        await again.stop()
