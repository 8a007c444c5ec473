"""`siyu serve --workers N`: N server processes on the same ports (SO_REUSEPORT), kept alive.

The parent migrates the database and prepares the demo room once, then starts the workers with
`SIYU_REUSE_PORT=1`; the kernel spreads new connections over them, and Redis makes them one room
service. A worker that dies is restarted (after a back-off that grows while it keeps dying).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time

from siyu.config import Settings

log = logging.getLogger(__name__)


async def prepare(settings: Settings, demo_room: str | None) -> None:
    """Migrations and the demo room, done once before the workers start."""
    from siyu.app import demo_catalog
    from siyu.rooms.service import RoomService
    from siyu.store.db import Database

    db = Database(settings.db_url, sqlite_synchronous=settings.sqlite_synchronous)
    try:
        await db.migrate()
        if demo_room:
            rooms = RoomService(db)
            await rooms.load_catalog("wanwan", demo_catalog())
            await rooms.create_room(demo_room, "wanwan", "晚晚的衣橱·秋冬上新专场")
            if await rooms.current_session(demo_room) is None:
                await rooms.start_session(demo_room, "秋冬上新专场")
    finally:
        await db.close()


def run_workers(settings: Settings, workers: int, ws_port: int) -> int:
    """Start and watch the worker processes until SIGINT/SIGTERM; returns the exit code."""
    env = {
        **os.environ,
        "SIYU_REUSE_PORT": "true",
        "SIYU_SECRET": settings.secret,
        "SIYU_ENV": settings.env,
        "SIYU_SQLITE_SYNCHRONOUS": settings.sqlite_synchronous,
    }
    argv = [
        sys.executable, "-m", "siyu", "serve", "--host", settings.host, "--port", str(settings.port),
        "--ws-port", str(ws_port), "--db", settings.db_url, "--workers", "1",
        *(["--redis", settings.redis_url] if settings.redis_url else []),
    ]  # fmt: skip
    procs: list[subprocess.Popen[bytes]] = [subprocess.Popen(argv, env=env) for _ in range(workers)]
    failures = [0] * workers
    stopping = False

    def stop(_sig: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping:
        time.sleep(0.2)
        for i, proc in enumerate(procs):
            if proc.poll() is not None and not stopping:
                failures[i] += 1
                delay = min(30.0, 0.5 * 2 ** min(failures[i], 6))
                log.warning("worker %d exited with %s; restarting in %.1f s", i, proc.returncode, delay)
                time.sleep(delay)
                procs[i] = subprocess.Popen(argv, env=env)
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0


def prepare_sync(settings: Settings, demo_room: str | None) -> None:
    asyncio.run(prepare(settings, demo_room))
