"""Shared fixtures: isolated nodes on SQLite or a throwaway PostgreSQL, and real WebSocket clients."""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest
import websockets

from siyu.app import Node
from siyu.auth import Role
from siyu.config import Settings, load_settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail(
            "PostgreSQL server binaries missing: run `make test` (it installs the postgresql package)"
        )
    return Path(found[-1]).parent


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on a free port, removed at the end of the session."""
    bindir = _pg_bindir()
    base = Path(tempfile.mkdtemp(prefix="siyu-pg-"))
    data = base / "data"
    as_pg: list[str] = []
    if os.getuid() == 0:  # initdb refuses to run as root
        shutil.chown(base, "postgres", "postgres")
        as_pg = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    subprocess.run(
        [
            *as_pg,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "siyu",
            "-E",
            "UTF8",
            "--no-locale",
        ],
        check=True,
        capture_output=True,
    )
    opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    subprocess.run(
        [*as_pg, str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(base / "log"), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"siyu@127.0.0.1:{port}"
    finally:
        subprocess.run(
            [*as_pg, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(base, ignore_errors=True)


async def fresh_pg_database(server: str) -> str:
    name = "t_" + uuid.uuid4().hex[:12]
    conn = await asyncpg.connect(f"postgresql://{server}/postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"postgresql+asyncpg://{server}/{name}"


class RedisProcess:
    """A throwaway redis-server (no persistence) on a free port that tests can kill and restart."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            pytest.fail("redis-server is missing: `make test` installs the redis-server package")
        self.proc = subprocess.Popen(
            [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


# PostgreSQL runs a real server: those cases are integration tests (`-m "not integration"` skips them)
@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/siyu.db"
    server: str = request.getfixturevalue("pg_server")
    return await fresh_pg_database(server)


def make_settings(db_url: str, **overrides: Any) -> Settings:
    return load_settings(db_url=db_url, port=0, ws_port=0, **overrides)


@pytest.fixture
async def node_factory(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    nodes: list[Node] = []

    async def start(db_url: str | None = None, *, demo: bool = True, **overrides: Any) -> Node:
        url = db_url or f"sqlite+aiosqlite:///{tmp_path}/siyu-{len(nodes)}.db"
        node = Node(make_settings(url, **overrides))
        await node.start()
        nodes.append(node)
        if demo:
            await node.ensure_demo_room("demo")
        return node

    yield start
    for node in reversed(nodes):
        await node.stop()


@pytest.fixture
async def node(node_factory: Callable[..., Any], db_url: str) -> Node:
    """A running node with the demo room, on SQLite and on PostgreSQL."""
    result: Node = await node_factory(db_url)
    return result


@pytest.fixture
async def sqlite_node(node_factory: Callable[..., Any]) -> Node:
    """A running node with the demo room on SQLite only (for tests that are not about storage)."""
    result: Node = await node_factory()
    return result


class Client:
    """A `websockets` client (an independent implementation) speaking the room protocol."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws
        self.welcome: dict[str, Any] = {}
        self.batches: list[dict[str, Any]] = []
        self.kinds: list[str] = []  # the type of every message read, in order
        self.floor: int | None = None  # last seq processed; None = the welcome's
        self._unpacked: list[dict[str, Any]] = []

    async def resume(self, last_seq: int, epoch: str | None) -> None:
        self.floor = last_seq
        await self.send({"type": "resume", "last_seq": last_seq, "epoch": epoch})

    async def send(self, msg: dict[str, Any] | str | bytes) -> None:
        await self.ws.send(msg if isinstance(msg, str | bytes) else orjson.dumps(msg).decode())

    async def recv_frame(self, timeout: float = 5.0) -> dict[str, Any]:
        data: dict[str, Any] = orjson.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        return data

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next message; a `batch` frame's messages come one by one (the frame is kept in .batches)."""
        while not self._unpacked:
            frame = await self.recv_frame(timeout)
            if frame.get("type") != "batch":
                self.kinds.append(str(frame.get("type")))
                return frame
            self.batches.append(frame)
            # as docs/protocol.md asks of clients: room messages up to the seq you have are old news
            floor = self.floor if self.floor is not None else self.welcome.get("seq", 0)
            self._unpacked.extend(m for m in frame["msgs"] if m.get("seq", floor + 1) > floor)
        msg = self._unpacked.pop(0)
        self.kinds.append(str(msg.get("type")))
        return msg

    async def expect(self, mtype: str, timeout: float = 5.0, **match: Any) -> dict[str, Any]:
        """Read frames until one of `mtype` whose fields equal `match` arrives."""
        deadline = asyncio.get_running_loop().time() + timeout
        skipped: list[dict[str, Any]] = []
        while True:
            left = deadline - asyncio.get_running_loop().time()
            try:
                if left <= 0:
                    raise TimeoutError
                msg = await self.recv(left)
            except TimeoutError:
                raise AssertionError(f"no {mtype} {match} within {timeout}s; got {skipped}") from None
            skipped.append(msg)
            if msg.get("type") == mtype and all(msg.get(k) == v for k, v in match.items()):
                return msg

    async def close(self) -> None:
        await self.ws.close()


@pytest.fixture
async def connect() -> AsyncIterator[Callable[..., Any]]:
    clients: list[Client] = []

    async def open_client(
        node: Node,
        *,
        user: str,
        role: Role = Role.VIEWER,
        room: str = "demo",
        nickname: str | None = None,
        level: int = 0,
        token: str | None = None,
        welcome: bool = True,
    ) -> Client:
        tok = token or node.signer.issue(room=room, user=user, role=role, nickname=nickname, level=level)
        ws = await websockets.connect(f"{node.ws_url(room)}?token={tok}", max_size=2**22)
        client = Client(ws)
        clients.append(client)
        if welcome:
            client.welcome = await client.expect("welcome")
        return client

    yield open_client
    for c in clients:
        await c.close()
