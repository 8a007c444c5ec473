"""Several nodes serving one room through a real (throwaway) redis-server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from siyu.app import Node
from siyu.auth import Role
from tests.conftest import Client, RedisProcess

pytestmark = pytest.mark.integration


async def two_nodes(node_factory: Callable[..., Any], tmp_path: Path, redis_url: str) -> tuple[Node, Node]:
    db = f"sqlite+aiosqlite:///{tmp_path}/shared.db"
    a: Node = await node_factory(db, redis_url=redis_url)
    b: Node = await node_factory(db, redis_url=redis_url, demo=False)
    await b.registry.get("demo")
    return a, b


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.05)


async def test_room_spans_two_nodes(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Any, tmp_path: Path
) -> None:
    a, b = await two_nodes(node_factory, tmp_path, redis_server.url)
    host: Client = await connect(a, user="host", role=Role.HOST, nickname="晚晚")
    alice: Client = await connect(a, user="alice", nickname="Alice")
    bob: Client = await connect(b, user="bob", nickname="Bob")
    assert alice.welcome["epoch"] == bob.welcome["epoch"]
    await bob.send({"type": "comment", "cid": "b1", "text": "二号节点能看到吗"})
    ack = await bob.expect("ack", cid="b1")
    got = await alice.expect("comment", text="二号节点能看到吗")
    assert got["seq"] == ack["seq"] and ack["msg"]["seq"] == ack["seq"]
    q = await host.expect("question")  # questions from any node reach the host's panel
    assert q["user"]["id"] == "bob"
    await alice.send({"type": "comment", "cid": "a1", "text": "一号节点回话"})
    a1 = await alice.expect("ack", cid="a1")
    assert a1["seq"] > ack["seq"]  # one room sequence across nodes
    assert (await bob.expect("comment", text="一号节点回话"))["seq"] == a1["seq"]
    await host.send({"type": "reply", "cid": "r", "to_seq": ack["seq"], "text": "能看到"})
    assert (await bob.expect("reply"))["reply_to"]["seq"] == ack["seq"]
    await bob.send({"type": "like", "count": 9})
    await alice.send({"type": "like", "count": 4})
    state = await alice.expect("state", timeout=5, likes=13)
    assert state["online"] == 3  # room-wide: two viewers and the host on two nodes


async def test_reconnect_to_another_node_resumes_from_redis_history(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Any, tmp_path: Path
) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path}/shared.db"
    a: Node = await node_factory(db, redis_url=redis_server.url)
    alice: Client = await connect(a, user="alice")
    epoch = alice.welcome["epoch"]
    seqs = []
    for i in range(4):
        await alice.send({"type": "comment", "cid": f"c{i}", "text": f"历史{i}"})
        seqs.append((await alice.expect("ack", cid=f"c{i}"))["seq"])
    await alice.close()
    assert seqs == list(range(seqs[0], seqs[0] + 4))
    b: Node = await node_factory(db, redis_url=redis_server.url, demo=False)  # its ring starts empty
    again: Client = await connect(b, user="alice")
    assert again.welcome["epoch"] == epoch
    await again.resume(seqs[0], epoch)
    texts = [(await again.expect("comment"))["text"] for _ in range(3)]
    assert texts == ["历史1", "历史2", "历史3"]
    assert (await again.expect("resumed"))["count"] == 3


async def test_redis_restart_nodes_keep_serving_and_converge(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Any, tmp_path: Path
) -> None:
    """Redis goes away: both nodes go on acking, seqs stay unique (the log gives them), each node's
    clients still get the other node's messages (taken from the log), and when Redis is back nothing
    changes for the clients: same epoch, no resync, one stream."""
    a, b = await two_nodes(node_factory, tmp_path, redis_server.url)
    alice: Client = await connect(a, user="alice")
    bob: Client = await connect(b, user="bob")
    epoch = alice.welcome["epoch"]

    redis_server.kill()
    sends = [(alice, f"a{i}", f"A节点{i}") for i in range(5)]
    sends += [(bob, f"b{i}", f"B节点{i}") for i in range(5)]
    for client, cid, text in sends:  # both nodes at once, while Redis is down
        await client.send({"type": "comment", "cid": cid, "text": text})
    acks = {cid: await client.expect("ack", cid=cid, timeout=10) for client, cid, _t in sends}
    seqs = sorted(ack["seq"] for ack in acks.values())
    assert len(set(seqs)) == 10 and seqs == list(range(seqs[0], seqs[0] + 10))  # unique, no hole
    assert not a.broker.healthy and not b.broker.healthy
    for client in (alice, bob):  # every acked message reaches both sides, in seq order, during the outage
        got = [await client.expect("comment", timeout=10) for _ in range(10)]
        assert [m["seq"] for m in got] == seqs
        assert {m["text"] for m in got} == {t for _c, _cid, t in sends}

    redis_server.start()  # same port, empty: the room's Redis state is gone
    await until(lambda: a.broker.healthy and b.broker.healthy, timeout=15)
    await alice.send({"type": "comment", "cid": "up1", "text": "恢复了"})
    up = await alice.expect("ack", cid="up1")
    assert up["seq"] == seqs[-1] + 1
    assert (await bob.expect("comment", text="恢复了", timeout=10))["seq"] == up["seq"]
    again: Client = await connect(b, user="carol")
    assert again.welcome["epoch"] == epoch  # the seq space never changed
    assert "resync" not in alice.kinds + bob.kinds


async def test_rate_limits_hold_across_nodes(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Any, tmp_path: Path
) -> None:
    a, b = await two_nodes(node_factory, tmp_path, redis_server.url)
    on_a: Client = await connect(a, user="spammer")
    on_b: Client = await connect(b, user="spammer")
    answers: dict[str, dict[str, Any]] = {}
    for i in range(3):  # 5 comments per 10 s per user: 3 + 3 across two nodes is one too many
        await on_a.send({"type": "comment", "cid": f"a{i}", "text": f"一号{i}"})
        answers[f"a{i}"] = await on_a.expect("ack", cid=f"a{i}")
    for i in range(3):
        await on_b.send({"type": "comment", "cid": f"b{i}", "text": f"二号{i}"})
        answers[f"b{i}"] = await on_b.expect("ack", cid=f"b{i}")
    refused = [cid for cid, ack in answers.items() if "error" in ack]
    assert refused == ["b2"]
    assert answers["b2"]["error"]["code"] == "rate_limited" and answers["b2"]["error"]["retry_after_ms"] > 0


async def test_follow_is_once_per_session_across_nodes_and_direct_messages_reach_the_other_node(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Any, tmp_path: Path
) -> None:
    """`followed` follows the room stream on every node; the broker delivers personal and staff messages to
    whichever node has the user."""
    a, b = await two_nodes(node_factory, tmp_path, redis_server.url)
    host_b: Client = await connect(b, user="host", role=Role.HOST)
    on_a: Client = await connect(a, user="fan", nickname="铁粉")
    await on_a.send({"type": "follow", "cid": "f1"})
    first = await on_a.expect("ack", cid="f1")
    await host_b.expect("follow", seq=first["seq"])  # node B has seen it in the stream
    on_b: Client = await connect(b, user="fan", nickname="铁粉")
    await on_b.send({"type": "follow", "cid": "f2"})
    again = await on_b.expect("ack", cid="f2")
    assert again == {"type": "ack", "cid": "f2"}  # acknowledged, not posted a second time
    await on_a.close()

    await a.services.say_to("demo", "fan", "欢迎加入粉丝团～")  # the fan is only on node B now
    said = await on_b.expect("assistant", to="user")
    assert said["text"] == "欢迎加入粉丝团～"
    await a.services.notify_staff("demo", "有人问发货时间")
    note = await host_b.expect("notice")
    assert note["text"] == "有人问发货时间"


async def test_one_cid_sent_to_two_nodes_at_once_posts_once(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Any, tmp_path: Path
) -> None:
    """No memory can see the other node's in-flight action: the log's unique key decides, and both
    connections get the first one's seq."""
    from sqlalchemy import func, select

    from siyu.store.tables import events

    a, b = await two_nodes(node_factory, tmp_path, redis_server.url)
    on_a: Client = await connect(a, user="twin")
    on_b: Client = await connect(b, user="twin")
    for round_ in range(2):  # (each node charges its copy: two rounds fit the comment budget of 5)
        cid = f"dup-{round_}"
        await asyncio.gather(on_a.send({"type": "comment", "cid": cid, "text": "两边都发"}),
                             on_b.send({"type": "comment", "cid": cid, "text": "两边都发"}))  # fmt: skip
        ack_a, ack_b = await on_a.expect("ack", cid=cid), await on_b.expect("ack", cid=cid)
        assert "error" not in ack_a and "error" not in ack_b
        assert ack_a["seq"] == ack_b["seq"]
    async with a.db.engine.connect() as conn:
        q = select(events.c.cid, func.count()).where(events.c.user_id == "twin", events.c.cid.is_not(None))
        q = q.group_by(events.c.cid)
        counts = dict((await conn.execute(q)).all())
    assert counts == {f"dup-{i}": 1 for i in range(2)}


async def test_a_follow_sent_to_two_nodes_at_the_same_moment_counts_once(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Any, tmp_path: Path
) -> None:
    """Issue 10, point 4: once per live session per user, also when no node has seen the other's yet."""
    from sqlalchemy import func, select

    from siyu.store.tables import events

    a, b = await two_nodes(node_factory, tmp_path, redis_server.url)
    on_a: Client = await connect(a, user="fan")
    on_b: Client = await connect(b, user="fan")
    both = (on_a.send({"type": "follow", "cid": "fa"}), on_b.send({"type": "follow", "cid": "fb"}))
    await asyncio.gather(*both)
    ack_a, ack_b = await on_a.expect("ack", cid="fa"), await on_b.expect("ack", cid="fb")
    assert "error" not in ack_a and "error" not in ack_b
    async with a.db.engine.connect() as conn:
        q = select(func.count()).where(events.c.user_id == "fan", events.c.type == "viewer.followed")
        assert (await conn.execute(q)).scalar_one() == 1


async def test_a_node_on_sqlite_refuses_to_start_when_another_machine_serves_the_redis_on_sqlite(
    redis_server: RedisProcess, tmp_path: Path
) -> None:
    """SQLite is one machine's: a node on SQLite that finds a node of another machine announced on the same
    Redis (also on SQLite) refuses to start with config.sqlite_shared; nodes of this machine start."""
    import time

    import redis as redis_sync

    from siyu.config import ConfigError
    from tests.conftest import make_settings

    same = Node(make_settings(f"sqlite+aiosqlite:///{tmp_path}/a.db", redis_url=redis_server.url))
    await same.start()  # announces this machine
    other = Node(make_settings(f"sqlite+aiosqlite:///{tmp_path}/b.db", redis_url=redis_server.url))
    await other.start()  # the same machine: allowed
    await other.stop()
    r = redis_sync.Redis.from_url(redis_server.url)
    r.hset("siyu:announce:sqlite-machine", "far-node", f"{int(time.time() * 1000)}:shop-server-2")
    r.close()
    refused = Node(make_settings(f"sqlite+aiosqlite:///{tmp_path}/c.db", redis_url=redis_server.url))
    with pytest.raises(ConfigError) as exc:
        await refused.start()
    await refused.stop()
    await same.stop()
    assert exc.value.code == "config.sqlite_shared" and "shop-server-2" in exc.value.message


async def test_a_message_committed_but_never_published_reaches_the_other_node_from_the_log(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Any, tmp_path: Path
) -> None:
    """Node A commits and acks but never publishes (its publisher is stopped: what a node that dies between
    the ack and the publication leaves behind). B's host gets the message from the log, at the tick, and a
    viewer resuming on B from before it gets it in its gap."""
    a, b = await two_nodes(node_factory, tmp_path, redis_server.url)
    host: Client = await connect(b, user="host", role=Role.HOST)
    alice: Client = await connect(a, user="alice")
    epoch, before = alice.welcome["epoch"], alice.welcome["seq"]
    publisher = a.broker._tasks[1]  # noqa: SLF001 - the fault this test injects
    assert publisher.get_name() == "siyu-redis-publish"
    publisher.cancel()
    await alice.send({"type": "gift", "gift_id": "rocket", "count": 1, "cid": "g1"})
    ack = await alice.expect("ack", cid="g1")
    got = await host.expect("gift", timeout=10)
    assert got["seq"] == ack["seq"] and got["gift"]["id"] == "rocket"
    assert b.fanout_stats.filled_from_log >= 1
    carol: Client = await connect(b, user="carol")
    await carol.resume(before, epoch)
    assert (await carol.expect("gift"))["seq"] == ack["seq"]
    assert (await carol.expect("resumed"))["count"] >= 1
