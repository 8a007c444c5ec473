"""``siyu events export``: a live session of a real node, driven by real WebSocket clients (enter, comment,
question, like, gift, follow, fan club join, leave), exported as JSONL and read back with event_from_json;
the line format; the error exits (2, no traceback)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner, Result

from siyu.app import Node
from siyu.cli import app
from siyu.events import (
    PAYLOAD_TYPES,
    CommentPosted,
    Context,
    Event,
    LikeSent,
    SessionStarted,
    ViewerEntered,
    event_from_json,
    event_to_json,
)
from tests.conftest import Client

runner = CliRunner()
KEYS = ["type", "id", "room", "user", "session", "ts", "seq", "cid", "ctx", "parent", "actor", "payload"]


class Recorder:
    """Every event the node commits in a room, in commit order: the event log publishes each on the bus
    after its commit (and nothing else publishes there)."""

    def __init__(self, node: Node, room: str = "demo") -> None:
        self.events: list[Event[Any]] = []
        self._waiting: list[tuple[Callable[[list[Event[Any]]], bool], asyncio.Future[None]]] = []
        for cls in set(PAYLOAD_TYPES.values()):
            node.bus.subscribe(cls, self._take, room=room)

    def _take(self, event: Event[Any]) -> None:
        self.events.append(event)
        for pred, fut in list(self._waiting):
            if not fut.done() and pred(self.events):
                fut.set_result(None)

    async def until(self, pred: Callable[[list[Event[Any]]], bool]) -> None:
        if pred(self.events):
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((pred, fut))
        await asyncio.wait_for(fut, 10)  # a bound for a failure, not a wait for success


def count(kind: str, n: int) -> Callable[[list[Event[Any]]], bool]:
    return lambda events: sum(e.type == kind for e in events) >= n


async def export(*args: str) -> Result:
    """The command, in a thread of its own (it runs its own event loop, beside the node's)."""
    return await asyncio.to_thread(runner.invoke, app, ["events", "export", *args])


async def act(c: Client, frame: dict[str, Any]) -> dict[str, Any]:
    await c.send(frame)
    ack = await c.expect("ack", cid=frame["cid"])
    assert "error" not in ack, ack
    return ack


async def test_export_writes_every_event_of_the_session_in_order_and_reads_back(
    node: Node, connect: Any, tmp_path: Path
) -> None:
    recorder = Recorder(node)
    room = await node.registry.get("demo")
    assert room is not None
    session = await room.start_session("导出测试场")
    a = await connect(node, user="u1", nickname="小鹿", level=3)
    b = await connect(node, user="u2", nickname="糖糖")
    await act(a, {"type": "comment", "text": "来了来了", "cid": "c1"})
    await act(a, {"type": "like", "count": 3, "cid": "c2"})
    await act(a, {"type": "gift", "gift_id": "rose", "cid": "c3"})
    await act(a, {"type": "follow", "cid": "c4"})
    await act(b, {"type": "comment", "text": "包邮吗", "cid": "c5"})
    await recorder.until(count("assistant.answered", 1))  # the answer to the asker only: no seq
    await act(b, {"type": "fanclub_join", "cid": "c6"})
    await a.close()
    await b.close()
    await recorder.until(count("viewer.left", 2))

    out = tmp_path / "session.jsonl"
    db = node.settings.db_url
    result = await export("--room", "demo", "--session", session.id, "--db", db, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"已导出 {len(recorder.events)} 条事件" in result.stderr
    lines = out.read_bytes().splitlines()
    assert not (tmp_path / "session.jsonl.part").exists()

    # the line format: compact UTF-8 JSON, these keys in this order, the payload's fields
    first = orjson.loads(lines[0])
    assert list(first) == KEYS
    assert first["type"] == "session.started" and first["payload"] == {"title": "导出测试场"}
    assert all(orjson.loads(line)["session"] == session.id for line in lines)
    raw = next(x for x in lines if b'"cid":"c1"' in x)
    assert "来了来了".encode() in raw  # UTF-8, not \u escapes
    assert b": " not in lines[0] and b", " not in lines[0]

    got = [event_from_json(orjson.loads(line)) for line in lines]
    expected = recorder.events
    if node.db.is_sqlite:  # the log's insertion order is the commit order the bus saw
        assert [orjson.dumps(event_to_json(e)) for e in expected] == lines
    else:  # PostgreSQL keeps no insertion order: (ts, seq, id), a room message after the others of its ms
        def key(e: Event[Any]) -> tuple[int, bool, int, str]:
            return (e.ts, e.seq is None, e.seq or 0, e.id)

        assert [orjson.dumps(event_to_json(e)) for e in sorted(expected, key=key)] == lines
    seqs = [e.seq for e in got if e.seq is not None]
    assert seqs == sorted(seqs)
    assert any(e.seq is None for e in got)  # entries, leaves, the personal answer are in the export too

    # what the clients did, in commit order (on PostgreSQL two events of one millisecond may export swapped)
    mine = [(e.type, e.user_id) for e in expected
            if e.user_id in ("u1", "u2") and e.type != "assistant.answered"]  # fmt: skip
    assert mine == [
        ("viewer.entered", "u1"), ("viewer.entered", "u2"), ("comment.posted", "u1"), ("like.sent", "u1"),
        ("gift.sent", "u1"), ("viewer.followed", "u1"), ("comment.posted", "u2"), ("fanclub.joined", "u2"),
        ("viewer.left", "u1"), ("viewer.left", "u2"),
    ]  # fmt: skip
    by_type = {e.type: e for e in reversed(got)}  # the first of each type
    assert by_type["viewer.entered"].payload == ViewerEntered("小鹿", 3, "viewer", False)
    assert isinstance(by_type["comment.posted"].payload, CommentPosted)
    assert by_type["comment.posted"].payload.text == "来了来了" and by_type["comment.posted"].cid == "c1"
    assert by_type["like.sent"].payload == LikeSent(3)
    assert by_type["gift.sent"].payload.gift_id == "rose"
    assert by_type["fanclub.joined"].payload.via == "free"
    answer = by_type["assistant.answered"]
    assert answer.seq is None and answer.payload.to == "user" and answer.payload.to_user == "u2"
    assert answer.context.parent_id is not None  # the question it answers


async def test_export_defaults_to_the_latest_session_on_stdout(sqlite_node: Node) -> None:
    room = await sqlite_node.registry.get("demo")
    assert room is not None
    session = await room.start_session("第二场")
    result = await export("--room", "demo", "--db", sqlite_node.settings.db_url)
    assert result.exit_code == 0, result.output
    lines = result.stdout_bytes.splitlines()
    events = [event_from_json(orjson.loads(line)) for line in lines]
    assert events and all(e.session_id == session.id for e in events)
    assert isinstance(events[0].payload, SessionStarted) and events[0].payload.title == "第二场"
    assert "已导出" in result.stderr and "已导出" not in result.stdout


@pytest.mark.parametrize(
    ("args", "reason"),
    [(["--room", "nope"], "没有这个直播间"), (["--room", "demo", "--session", "nope"], "没有这个场次")],
)
async def test_an_unknown_room_or_session_exits_2_with_the_reason(
    sqlite_node: Node, tmp_path: Path, args: list[str], reason: str
) -> None:
    out = tmp_path / "x.jsonl"
    result = await export(*args, "--db", sqlite_node.settings.db_url, "--out", str(out))
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert reason in result.stderr and "Traceback" not in result.output
    assert not out.exists() and not (tmp_path / "x.jsonl.part").exists()


def test_a_missing_or_foreign_database_exits_2(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["events", "export", "--room", "demo", "--db",
                                  f"sqlite+aiosqlite:///{tmp_path}/none.db"])  # fmt: skip
    assert missing.exit_code == 2 and "数据库文件不存在" in missing.stderr
    assert not (tmp_path / "none.db").exists()  # not created by looking
    (tmp_path / "other.db").write_bytes(b"")
    foreign = runner.invoke(app, ["events", "export", "--room", "demo", "--db",
                                  f"sqlite+aiosqlite:///{tmp_path}/other.db"])  # fmt: skip
    assert foreign.exit_code == 2 and "无法读取事件日志" in foreign.stderr
    assert foreign.exception is None or isinstance(foreign.exception, SystemExit)
    odd = runner.invoke(app, ["events", "export", "--room", "demo", "--db", "not a url"])
    assert odd.exit_code == 2 and "数据库地址无效" in odd.stderr


def test_event_json_round_trip_and_unknown_types() -> None:
    import siyu.app  # noqa: F401 - the wings' payload types

    event = Event("r1", "u1", CommentPosted("包邮吗", "c1", True, "小美", badge={"name": "晚晚家"}), "s1",
                  Context(parent_id="p1", actor="u1"), seq=7, cid="c1")  # fmt: skip
    d = event_to_json(event)
    assert list(d) == KEYS
    back = event_from_json(orjson.loads(orjson.dumps(d)))
    assert event_to_json(back) == d
    # a hand-written line may leave out the ids and the nulls
    short = event_from_json({"type": "like.sent", "room": "r1", "ts": 5, "payload": {"count": 2}})
    assert short.payload == LikeSent(2) and short.user_id is None and short.seq is None and short.id
    with pytest.raises(KeyError):
        event_from_json({**d, "type": "no.such"})
    with pytest.raises(TypeError):
        event_from_json({**d, "payload": {"text": "缺字段"}})
