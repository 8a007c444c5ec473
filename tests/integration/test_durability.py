"""An acknowledged event survives the server being killed (SIGKILL) right after the ack."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import orjson
import pytest
import websockets
from sqlalchemy import select

from siyu.app import demo_catalog
from siyu.auth import ANY_ROOM, Role, TokenSigner
from siyu.config import DEFAULT_SECRET
from siyu.store.db import Database
from siyu.store.tables import events
from tests.conftest import free_port

pytestmark = pytest.mark.integration


async def _wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(200):
            assert proc.poll() is None, "server exited during start-up"
            try:
                if (await http.get(f"{url}/readyz")).status_code == 200:  # ready to serve rooms
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError("server did not become healthy")


async def test_acked_comments_survive_sigkill(db_url: str, tmp_path: Path) -> None:
    port, ws_port = free_port(), free_port()
    env = {**os.environ, "SIYU_SECRET": DEFAULT_SECRET}
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "siyu",
            "serve",
            "--port",
            str(port),
            "--ws-port",
            str(ws_port),
            "--db",
            db_url,
        ],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    signer = TokenSigner(DEFAULT_SECRET, 3600)
    acked: set[str] = set()
    try:
        base = f"http://127.0.0.1:{port}"
        await _wait_ready(base, proc)
        op = {"Authorization": f"Bearer {signer.issue(room=ANY_ROOM, user='op', role=Role.OPERATOR)}"}
        async with httpx.AsyncClient(base_url=base, headers=op) as http:
            assert (await http.put("/api/shops/s1/catalog", json=demo_catalog())).status_code == 200
            r = await http.post("/api/rooms", json={"id": "r1", "shop_id": "s1", "title": "耐久测试"})
            assert r.status_code == 201
            assert (await http.post("/api/rooms/r1/live", json={"title": "测试"})).status_code == 201
        tokens = [signer.issue(room="r1", user=f"u{i}", role=Role.VIEWER) for i in range(4)]
        conns = [await websockets.connect(f"ws://127.0.0.1:{ws_port}/ws/rooms/r1?token={t}") for t in tokens]
        for ws in conns:
            assert orjson.loads(await ws.recv())["type"] == "welcome"

        async def talk(i: int, ws: websockets.ClientConnection) -> None:
            n = 0
            async for raw in ws:
                msg = orjson.loads(raw)
                if msg["type"] == "ack" and "seq" in msg:
                    acked.add(msg["cid"])
                if msg["type"] in ("welcome", "ack") and n < 5:  # 5 comments / 10 s is the per-user limit
                    await ws.send(
                        orjson.dumps({"type": "comment", "cid": f"u{i}-{n}", "text": f"第{n}条"}).decode()
                    )
                    n += 1

        tasks = [asyncio.create_task(talk(i, ws)) for i, ws in enumerate(conns)]
        for ws in conns:
            await ws.send(
                orjson.dumps({"type": "comment", "cid": f"{id(ws)}-first", "text": "开始"}).decode()
            )
        for _ in range(200):
            if len(acked) >= 12:
                break
            await asyncio.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        log.close()
    assert len(acked) >= 12
    db = Database(db_url)
    try:
        async with db.engine.connect() as conn:
            rows = (
                await conn.execute(select(events.c.payload).where(events.c.type == "comment.posted"))
            ).all()
    finally:
        await db.close()
    stored = {r.payload["cid"] for r in rows}
    assert acked <= stored, f"acked but lost: {sorted(acked - stored)}"
