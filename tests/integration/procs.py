"""Real `siyu serve` processes for crash tests: start, wait until ready, SIGKILL, restart."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import websockets

from siyu.app import demo_catalog
from siyu.auth import ANY_ROOM, Role, TokenSigner
from siyu.config import DEFAULT_SECRET
from tests.conftest import Client, free_port

SIGNER = TokenSigner(DEFAULT_SECRET, 3600)


class Server:
    """One `siyu serve` (a node, or a supervisor with `workers` processes) on its own ports."""

    def __init__(
        self, workdir: Path, name: str, db_url: str, redis_url: str | None, *, workers: int = 1
    ) -> None:
        """`redis_url` None: a node on its own (SQLite)."""
        self.workdir, self.name, self.workers = workdir, name, workers
        self.db_url, self.redis_url = db_url, redis_url
        self.port, self.ws_port = free_port(), free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log: Any = None
        self.starts = 0
        self.clients: list[Client] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.starts += 1
        self.log = log = (self.workdir / f"{self.name}-{self.starts}.log").open("wb")
        argv = [sys.executable, "-m", "siyu", "serve", "--port", str(self.port),
                "--ws-port", str(self.ws_port), "--db", self.db_url, "--workers", str(self.workers),
                *(["--redis", self.redis_url] if self.redis_url else [])]  # fmt: skip
        env = {**os.environ, "SIYU_SECRET": DEFAULT_SECRET}
        self.proc = subprocess.Popen(argv, cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)  # fmt: skip

    async def ready(self) -> None:
        async with httpx.AsyncClient() as http:
            for _ in range(400):
                running = self.proc is not None and self.proc.poll() is None
                assert running, f"{self.name} exited during start-up"
                try:
                    if (await http.get(f"{self.base}/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError(f"{self.name} did not become ready")

    async def close_clients(self) -> None:
        for client in self.clients:
            await client.close()
        self.clients.clear()

    def kill(self) -> None:
        """SIGKILL the whole process group (a supervisor and its workers, or one node)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None
        if self.log is not None:
            self.log.close()
            self.log = None

    async def setup_room(self, room: str) -> None:
        op = {"Authorization": f"Bearer {SIGNER.issue(room=ANY_ROOM, user='op', role=Role.OPERATOR)}"}
        async with httpx.AsyncClient(base_url=self.base, headers=op) as http:
            assert (await http.put("/api/shops/s1/catalog", json=demo_catalog())).status_code == 200
            r = await http.post("/api/rooms", json={"id": room, "shop_id": "s1", "title": "崩溃测试"})
            assert r.status_code == 201
            assert (await http.post(f"/api/rooms/{room}/live", json={"title": "测试"})).status_code == 201

    async def join(self, room: str, user: str, role: Role = Role.VIEWER, **kw: Any) -> Client:
        token = SIGNER.issue(room=room, user=user, role=role, nickname=kw.get("nickname", user))
        ws = await websockets.connect(f"ws://127.0.0.1:{self.ws_port}/ws/rooms/{room}?token={token}")
        client = Client(ws)
        self.clients.append(client)
        client.welcome = await client.expect("welcome")
        return client


async def serving(
    servers: list[Server], workdir: Path, db_url: str, redis_url: str | None, *rooms: str, name: str = "a"
) -> Server:
    """A `siyu serve` node started and ready, with these live rooms (in `servers`: the teardown kills it)."""
    server = Server(workdir, name, db_url, redis_url)
    servers.append(server)
    server.start()
    await server.ready()
    for room in rooms:
        await server.setup_room(room)
    return server
