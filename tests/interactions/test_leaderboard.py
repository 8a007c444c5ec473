"""The contributor board (贡献榜): order and ties, the `leaderboard` message and `state.leaderboard`, each
giver's `my_rank`, a new session, the board rebuilt from the log (room runtime and a restarted node with
real WebSocket clients)."""

from __future__ import annotations

from typing import Any

from siyu.app import Node
from siyu.auth import Role
from siyu.interactions import Leaderboard
from siyu.interactions.leaderboard import Board
from siyu.realtime.protocol import UserRef
from siyu.rooms.features import GiftIn
from siyu.rooms.room import Room
from tests.conftest import Client, make_settings
from tests.interactions.waiting import Waiting
from tests.rooms.test_runtime import room

__all__ = ["room"]

COINS = {"heart": 1, "lightstick": 10, "rose": 20, "sportscar": 1200, "rocket": 5000}


def ref(user_id: str) -> UserRef:
    return UserRef(user_id, user_id, 1, "viewer")


def test_the_board_orders_by_coins_then_by_who_reached_them_first() -> None:
    board = Board()
    board.add(ref("a"), 20, seq=1)
    board.add(ref("b"), 30, seq=2)
    board.add(ref("c"), 10, seq=3)
    board.add(ref("c"), 20, seq=4)  # c reaches 30 after b did
    board.add(ref("a"), 10, seq=5)  # a reaches 30 last
    assert [(x.rank, x.user.id, x.coins) for x in board.top()] == [(1, "b", 30), (2, "c", 30), (3, "a", 30)]
    assert board.rank("c") == (2, 30) and board.rank("nobody") is None
    board.add(ref("a"), 1, seq=6)
    assert [x.user.id for x in board.top()] == ["a", "b", "c"]
    for i in range(20):
        board.add(ref(f"u{i}"), 1000 - i, seq=10 + i)
    top = board.top()
    assert len(top) == 10 and top[0].user.id == "u0" and top[-1].user.id == "u9"
    assert board.rank("c") == (23, 30) and len(board) == 23


async def give(room: Room, m: Waiting, gift_id: str, cid: str, count: int = 1) -> int:
    room.dispatch(m, GiftIn(type="gift", gift_id=gift_id, count=count, cid=cid))
    ack = await m.ack(cid)
    assert "error" not in ack, ack
    return int(ack["seq"])


def lines(msg: dict[str, Any]) -> list[tuple[int, str, int]]:
    return [(x["rank"], x["user"]["id"], x["coins"]) for x in msg["items"]]


async def test_the_board_is_posted_when_it_changed_and_each_giver_gets_their_rank(room: Room) -> None:
    a, b, c, watcher = Waiting("a", nickname="阿一"), Waiting("b"), Waiting("c"), Waiting("w")
    for m in (a, b, c, watcher):
        room.enter(m)
    assert watcher.frames[0]["state"]["leaderboard"] == []
    await give(room, a, "rose", "g1")  # a: 20
    await give(room, b, "lightstick", "g1", count=2)  # b: 20, reached after a
    await give(room, c, "heart", "g1")  # c: 1
    mark = watcher.mark()
    room.flush()  # the room's tick (it also flushes the channel)
    board = await watcher.next("leaderboard", since=mark)
    assert lines(board) == [(1, "a", 20), (2, "b", 20), (3, "c", 1)]
    assert board["items"][0]["user"] == {"id": "a", "nick": "阿一", "lvl": 3, "role": "viewer"}
    assert board["contributors"] == 3 and board["session_id"] == room.session.id  # type: ignore[union-attr]
    assert (await b.first(lambda m: m.get("type") == "my_rank"))["rank"] == 2
    assert room.state_values()["leaderboard"] == room.feature(Leaderboard).top

    before = watcher.mark()
    room.flush()  # nothing changed: nothing posted
    await give(room, c, "rocket", "g2")  # c overtakes: 5001
    room.flush()
    board = await watcher.next("leaderboard", since=before)
    assert lines(board) == [(1, "c", 5001), (2, "a", 20), (3, "b", 20)]
    assert [m["type"] for m in watcher.messages()[before:]].count("leaderboard") == 1
    assert (await c.first(lambda m: m.get("type") == "my_rank" and m["rank"] == 1))["coins"] == 5001
    late = Waiting("late")
    room.enter(late)
    assert [x["user"]["id"] for x in late.frames[0]["state"]["leaderboard"]] == ["c", "a", "b"]
    again = Waiting("a")
    room.enter(again)  # a giver who enters gets their place
    assert (await again.first(lambda m: m.get("type") == "my_rank")) == {
        "type": "my_rank", "session_id": room.session.id, "rank": 2, "coins": 20,  # type: ignore[union-attr]
    }  # fmt: skip


async def test_the_board_is_rebuilt_from_the_log_and_a_new_session_starts_empty(room: Room) -> None:
    givers = [Waiting(f"u{i}") for i in range(12)]
    for m in givers:
        room.enter(m)
    for i, m in enumerate(givers):  # u0..u11 give 10, 20, … (u11 most); u3 also gives a sports car
        await give(room, m, "lightstick", "g1", count=i + 1)
    await give(room, givers[3], "sportscar", "g2")
    before = room.feature(Leaderboard)
    assert [x.user.id for x in before.top][:3] == ["u3", "u11", "u10"] and len(before.top) == 10

    again = await Room.load("demo", room.deps)  # another node on the same log, or after a restart
    try:
        board = again.feature(Leaderboard)
        assert board.top == before.top and board.board.rank("u0") == before.board.rank("u0") == (12, 10)
        late = Waiting("late")
        again.enter(late)
        assert late.frames[0]["state"]["leaderboard"][0]["user"]["id"] == "u3"
        # the room's replay of the session's events did not count the gifts twice
        assert board.board.rank("u3") == (1, 40 + 1200)

        await again.start_session("第二场")
        assert again.feature(Leaderboard).top == [] and again.state_values()["leaderboard"] == []
        again.enter(givers[0])
        await give(again, givers[0], "heart", "g9")
        assert [(x.user.id, x.coins) for x in again.feature(Leaderboard).top] == [("u0", 1)]
    finally:
        await again.stop()


# --- real WebSocket clients --------------------------------------------------------------------------


async def gift_ws(c: Client, gift_id: str, cid: str, count: int = 1) -> int:
    await c.send({"type": "gift", "gift_id": gift_id, "count": count, "cid": cid})
    ack = await c.expect("ack", cid=cid)
    assert "error" not in ack, ack
    return int(ack["seq"])


async def test_websocket_viewers_see_the_board_and_it_survives_a_restart(connect: Any, tmp_path: Any) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/board.db"
    node: Node = Node(make_settings(url))
    await node.start()
    try:
        await node.ensure_demo_room("demo")
        watcher: Client = await connect(node, user="w", nickname="围观")
        host: Client = await connect(node, user="h", role=Role.HOST)
        a = await connect(node, user="a", nickname="小鹿")
        b = await connect(node, user="b", nickname="糖糖")
        c = await connect(node, user="c", nickname="阿九")
        await gift_ws(a, "rose", "g1")  # a 20
        await gift_ws(b, "rose", "g1")  # b 20, after a
        await gift_ws(c, "lightstick", "g1")  # c 10
        await gift_ws(c, "lightstick", "g2")  # c 20, after b
        expected = wire_board([("a", 20), ("b", 20), ("c", 20)])  # a tie goes to who reached it first
        got = await watcher.expect("leaderboard", items=expected, timeout=10)
        assert got["contributors"] == 3
        await host.expect("leaderboard", items=expected, timeout=10)
        assert (await c.expect("my_rank", coins=20))["rank"] == 3
        await gift_ws(b, "heart", "g2")  # b 21: first
        before = wire_board([("b", 21), ("a", 20), ("c", 20)])
        await watcher.expect("leaderboard", items=before, timeout=10)
    finally:
        await node.stop()

    node = Node(make_settings(url))  # a fresh process on the same database
    await node.start()
    try:
        late: Client = await connect(node, user="late")
        assert late.welcome["state"]["leaderboard"] == before
        again = await connect(node, user="c", nickname="阿九")
        assert (await again.expect("my_rank"))["rank"] == 3
        await gift_ws(again, "rose", "g3")  # c 40 (the cid is new: posted)
        await late.expect("leaderboard", items=wire_board([("c", 40), ("b", 21), ("a", 20)]), timeout=10)
    finally:
        await node.stop()


def wire_board(expected: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """The wire form of a board of this test's givers (level 0 viewers)."""
    nicks = {"a": "小鹿", "b": "糖糖", "c": "阿九"}
    return [
        {"rank": i + 1, "user": {"id": u, "nick": nicks[u], "lvl": 0, "role": "viewer"}, "coins": coins}
        for i, (u, coins) in enumerate(expected)
    ]
