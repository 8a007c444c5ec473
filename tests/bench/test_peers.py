"""The benchmark peers as real processes, driven by the picows load-generator clients."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from siyu.bench.peer_clients import RawClient, SocketIOClient, connect_raw, connect_socketio
from siyu.bench.peers import peer_command

pytestmark = pytest.mark.integration

Client = RawClient | SocketIOClient
Connector = Callable[[int, Callable[[dict[str, Any]], None]], Awaitable[Client]]
CONNECTORS: dict[str, Connector] = {"raw": connect_raw, "socketio": connect_socketio}


class Peer:
    def __init__(self, kind: str, log: Path) -> None:
        self.kind = kind
        self.log_path = log
        self._log = log.open("wb")
        self.proc = subprocess.Popen(peer_command(kind, 0), stdout=self._log, stderr=subprocess.STDOUT)
        self.port = 0

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def ready(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.output().splitlines():
                if line.startswith("READY "):
                    self.port = int(line.split()[1])
                    return self.port
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.kind} peer exited with {self.proc.returncode}:\n{self.output()}")
            await asyncio.sleep(0.05)
        raise AssertionError(f"{self.kind} peer never printed READY:\n{self.output()}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()
        return self.proc.returncode


@pytest.fixture(params=["raw", "socketio"])
async def peer(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Peer]:
    kind = str(request.param)
    p = Peer(kind, tmp_path / f"{kind}.log")
    try:
        await p.ready()
        yield p
    finally:
        p.stop()


async def test_every_client_gets_every_comment_in_order(peer: Peer) -> None:
    connect = CONNECTORS[peer.kind]
    inboxes: list[list[dict[str, Any]]] = [[], [], []]
    clients = [await connect(peer.port, inbox.append) for inbox in inboxes]
    try:
        sent = [{"text": f"bench {time.time_ns()}", "n": i} for i in range(5)]
        for payload in sent:
            clients[0].send_comment(payload)
        deadline = asyncio.get_running_loop().time() + 10
        while any(len(inbox) < len(sent) for inbox in inboxes):
            assert asyncio.get_running_loop().time() < deadline, f"got {[len(i) for i in inboxes]} of 5"
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # nothing extra arrives either
        for inbox in inboxes:
            assert inbox == sent
    finally:
        for c in clients:
            await c.close()
    assert peer.stop() == 0, peer.output()
    assert "Traceback" not in peer.output(), peer.output()


async def test_socketio_session_handshake(tmp_path: Path) -> None:
    p = Peer("socketio", tmp_path / "socketio.log")
    try:
        port = await p.ready()
        client = await connect_socketio(port, lambda _msg: None)
        assert client.connected.result()  # the namespace session id
        assert client.ping_interval_ms > 0 and client.ping_timeout_ms > 0
        await client.close()
    finally:
        assert p.stop() == 0, p.output()
