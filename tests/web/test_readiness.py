"""GET /readyz: 503 until the node serves rooms (the demo room loaded with its session live), then 200."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from siyu.app import Node
from siyu.config import load_settings
from tests.conftest import free_port
from tests.web.conftest import documented_http_codes

pytestmark = pytest.mark.integration


async def test_readyz_waits_for_the_demo_room_while_healthz_is_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    node = Node(load_settings(db_url=f"sqlite+aiosqlite:///{tmp_path}/r.db", port=port, ws_port=0))
    gate = asyncio.Event()
    original = Node.ensure_demo_room

    async def held(self: Node, room_id: str = "demo", shop_id: str = "wanwan") -> None:
        await gate.wait()
        await original(self, room_id, shop_id)

    monkeypatch.setattr(Node, "ensure_demo_room", held)
    starting = asyncio.create_task(node.start(demo_room="demo"))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            for _ in range(500):
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.01)
            assert (await http.get("/healthz")).status_code == 200  # the process is up ...
            r = await http.get("/readyz")  # ... but it does not serve the room yet
            assert r.status_code == 503
            assert r.json()["error"]["code"] == "not_ready" and 503 in documented_http_codes()["not_ready"]
            assert node.ready is False
            gate.set()
            await starting
            r = await http.get("/readyz")
            assert r.status_code == 200
            body = r.json()
            assert body["status"] == "ready" and body["node"] == node.broker.node_id
            room = node.registry.loaded("demo")
            assert room is not None and room.session is not None
            assert (await http.get("/api/rooms/demo")).json()["live"] is True
    finally:
        gate.set()
        await starting
        await node.stop()
    assert node.ready is False  # a stopping node is not ready


async def test_readyz_without_a_demo_room(sqlite_node: Node) -> None:
    async with httpx.AsyncClient(base_url=sqlite_node.http_url) as http:
        r = await http.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready"


def test_serve_demo_room_is_live_when_readyz_first_answers_200(tmp_path: Path) -> None:
    """`siyu serve --demo-room`: the first 200 from /readyz already finds the session live."""
    port, ws_port = free_port(), free_port()
    argv = [sys.executable, "-m", "siyu", "serve", "--port", str(port), "--ws-port", str(ws_port),
            "--db", f"sqlite+aiosqlite:///{tmp_path}/s.db", "--demo-room", "demo"]  # fmt: skip
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(argv, cwd=tmp_path, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT)
    seen: list[int] = []
    try:
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=2) as http:
            while True:
                assert proc.poll() is None, (tmp_path / "serve.log").read_text(errors="replace")
                assert time.monotonic() < deadline, "never ready"
                try:
                    r = http.get("/readyz")
                except httpx.TransportError:
                    time.sleep(0.005)
                    continue
                seen.append(r.status_code)
                if r.status_code == 200:
                    break
                assert r.status_code == 503 and r.json()["error"]["code"] == "not_ready"
                time.sleep(0.005)
            state: dict[str, Any] = http.get("/api/rooms/demo").json()
        assert state["live"] is True and state["session_id"]
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()
