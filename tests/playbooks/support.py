"""What the live playbook tests share: documents in, traces and messages out, counted in the log.

Everything here awaits something the system says (a message, a trace, the API's answer); reading state in a
loop is bounded by an overall deadline and never stands in for a message that exists.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import func, select

from siyu.app import Node
from siyu.auth import Role
from siyu.playbooks.feature import Playbooks
from siyu.store.tables import events, playbook_fires
from tests.conftest import Client

RELAXED = {"comment_rate": "1000/second", "frame_rate": "1000/second"}
Msg = dict[str, Any]


def bearer(node: Node, role: Role = Role.HOST, user: str = "host", room: str = "demo") -> dict[str, str]:
    return {"Authorization": f"Bearer {node.signer.issue(room=room, user=user, role=role)}"}


class Watch:
    """A client whose every message is kept (`msgs`), so what was skipped on the way can be counted."""

    def __init__(self, client: Client) -> None:
        self.c = client
        self.msgs: list[Msg] = []

    async def until(self, pred: Callable[[Msg], bool], timeout: float = 10.0) -> Msg:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            left = deadline - loop.time()
            try:
                if left <= 0:
                    raise TimeoutError
                msg = await self.c.recv(left)
            except TimeoutError:
                tail = [m.get("type") for m in self.msgs[-20:]]
                raise AssertionError(f"not seen within {timeout}s; last types {tail}") from None
            self.msgs.append(msg)
            if pred(msg):
                return msg

    async def comment(self, cid: str, text: str) -> Msg:
        """Send a comment and await its ack (everything sent to this connection before it is read)."""
        await self.c.send({"type": "comment", "cid": cid, "text": text})
        ack = await self.until(is_ack(cid))
        assert "error" not in ack, ack
        return ack

    def said(self, text: str, since: int = 0, before: int | None = None) -> list[Msg]:
        """The assistant's room messages with `text` whose seq lies in (since, before)."""
        return [
            m
            for m in self.msgs
            if m.get("type") == "assistant"
            and m.get("to") == "room"
            and m.get("text") == text
            and m.get("seq", 0) > since
            and (before is None or m.get("seq", 0) < before)
        ]

    def count(self, mtype: str, **match: Any) -> int:
        return sum(m.get("type") == mtype and all(m.get(k) == v for k, v in match.items()) for m in self.msgs)


def is_said(text: str) -> Callable[[Msg], bool]:
    return lambda m: m.get("type") == "assistant" and m.get("to") == "room" and m.get("text") == text


def is_ack(cid: str) -> Callable[[Msg], bool]:
    return lambda m: m.get("type") == "ack" and m.get("cid") == cid


def at_seq(mtype: str, seq: int) -> Callable[[Msg], bool]:
    return lambda m: m.get("type") == mtype and m.get("seq") == seq


def is_comment(text: str) -> Callable[[Msg], bool]:
    return lambda m: m.get("type") == "comment" and m.get("text") == text


async def run_of(
    host: Watch, playbook: str, pred: Callable[[Msg], bool] = lambda r: True, timeout: float = 10.0
) -> Msg:
    """The first run trace of `playbook` matching `pred` on a host console's 自动化日志 (read or next)."""
    found: list[Msg] = [
        r
        for m in host.msgs
        if m.get("type") == "automation"
        for r in m["runs"]
        if r["playbook"] == playbook and pred(r)
    ]
    if found:
        return found[0]

    def match(m: Msg) -> bool:
        if m.get("type") != "automation":
            return False
        found.extend(r for r in m["runs"] if r["playbook"] == playbook and pred(r))
        return bool(found)

    await host.until(match, timeout)
    return found[0]


def for_event(seq: int) -> Callable[[Msg], bool]:
    """A run started by the event of room seq `seq` (e.g. a comment's ack seq)."""
    return lambda r: (r["trigger"].get("event") or {}).get("seq") == seq


async def put(http: httpx.AsyncClient, node: Node, source: str) -> int:
    """PUT a document through the API; the version, once this node runs it."""
    r = await http.put("/api/rooms/demo/playbooks", json={"source": source}, headers=bearer(node))
    assert r.status_code == 200, r.text
    version = int(r.json()["version"])
    await running(http, node, version)
    return version


async def overview(http: httpx.AsyncClient, node: Node) -> Msg:
    r = await http.get("/api/rooms/demo/playbooks", headers=bearer(node))
    assert r.status_code == 200, r.text
    got: Msg = r.json()
    return got


async def running(
    http: httpx.AsyncClient, node: Node, version: int, paused: set[str] | None = None, timeout: float = 15.0
) -> Msg:
    """Await (through the API of `node`) that it runs `version` (with exactly `paused` paused, if given)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        got = await overview(http, node)
        now_paused = {p["id"] for p in got["playbooks"] if p["paused"]}
        if got["version"] == version and (paused is None or now_paused == paused):
            return got
        if loop.time() > deadline:
            raise AssertionError(
                f"{node.http_url} runs v{got['version']} paused {now_paused}, not v{version}"
            )
        await asyncio.sleep(0.05)


async def runs(
    http: httpx.AsyncClient,
    node: Node,
    playbook: str,
    at_least: int,
    pred: Callable[[Msg], bool] = lambda r: True,
    timeout: float = 15.0,
) -> list[Msg]:
    """The stored traces of `playbook` matching `pred` (GET …/playbooks/runs, newest first), once at least
    `at_least` are stored (they are written in batches after the host console is told)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        r = await http.get(
            "/api/rooms/demo/playbooks/runs",
            params={"playbook": playbook, "limit": 500},
            headers=bearer(node),
        )
        assert r.status_code == 200, r.text
        got: list[Msg] = [run for run in r.json()["runs"] if pred(run)]
        if len(got) >= at_least:
            return got
        if loop.time() > deadline:
            raise AssertionError(f"{len(got)} stored runs of {playbook}, expected {at_least}: {r.json()}")
        await asyncio.sleep(0.05)


async def settled(nodes: list[Node], playbook: str, timeout: float = 15.0) -> None:
    """Await that no run of `playbook` is in flight on any of `nodes` (claimed and not yet acted)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        busy = False
        for node in nodes:
            room = await node.registry.get("demo")
            assert room is not None
            compiled = room.feature(Playbooks).engine.playbooks.get(playbook)
            if compiled is not None:
                busy |= any(not t.done() for ts in compiled.active.values() for t in ts)
        if not busy:
            return
        if loop.time() > deadline:
            raise AssertionError(f"runs of {playbook} still in flight")
        await asyncio.sleep(0.05)


async def clock_passes(nodes: list[Node], ms: int, timeout: float = 15.0) -> None:
    """Await that every node's playbook clock (the room tick) has moved `ms` past its reading now."""
    targets = []
    for node in nodes:
        room = await node.registry.get("demo")
        assert room is not None
        engine = room.feature(Playbooks).engine
        targets.append((engine, engine.scope.now + ms))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not all(engine.scope.now >= at for engine, at in targets):
        if loop.time() > deadline:
            raise AssertionError("the room tick did not move")
        await asyncio.sleep(0.05)


async def said_by(node: Node, playbook: str, since: int = 0, before: int | None = None) -> int:
    """`assistant.answered` events the playbook's account (`pb:<id>`) logged, with seq in (since, before)."""
    c = events.c
    q = select(func.count()).where(c.type == "assistant.answered", c.actor == f"pb:{playbook}")
    q = q.where(c.seq > since) if since else q
    q = q.where(c.seq < before) if before is not None else q
    async with node.db.engine.connect() as conn:
        return int((await conn.execute(q)).scalar_one())


async def rows(node: Node, *where: Any) -> list[Any]:
    async with node.db.engine.connect() as conn:
        return list((await conn.execute(select(events).where(*where))).mappings().all())


async def fires(node: Node, playbook: str) -> int:
    c = playbook_fires.c
    async with node.db.engine.connect() as conn:
        q = select(func.count()).where(c.room_id == "demo", c.playbook_id == playbook)
        return int((await conn.execute(q)).scalar_one())
