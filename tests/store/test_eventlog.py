"""EventLog on SQLite: commits on its own writer thread; a locked database never blocks the loop."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sqlalchemy import func, select

from siyu.events import Bus, CommentPosted, Event
from siyu.store.db import Database
from siyu.store.eventlog import EventLog
from siyu.store.tables import events

_last_seq = {"r1": 0}


async def _seqs(room_id: str, n: int) -> int:
    first = _last_seq[room_id] + 1
    _last_seq[room_id] += n
    return first


def comment(text: str) -> Event[CommentPosted]:
    return Event("r1", "u1", CommentPosted(text, None, False, "u1"))


async def count(db: Database) -> int:
    async with db.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(events))).scalar_one())


async def test_sqlite_file_commits_on_the_writer_thread_and_waits_out_a_lock(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    assert db.sqlite_file == str(path)
    log = EventLog(db, Bus(), _seqs)
    log.start()
    try:
        await asyncio.wait_for(log.append(comment("一"), sequenced=True), 5)
        assert await count(db) == 1

        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        fut = log.append(comment("二"), sequenced=True)
        ticks = 0
        for _ in range(20):  # the loop keeps turning while the commit waits for the lock
            await asyncio.sleep(0.005)
            ticks += 1
        assert ticks == 20 and not fut.done()
        other.execute("COMMIT")
        other.close()
        await asyncio.wait_for(fut, 5)
        assert await count(db) == 2
    finally:
        await log.stop()
        await db.close()


async def test_memory_database_has_no_writer_thread() -> None:
    db = Database("sqlite+aiosqlite:///:memory:")
    assert db.sqlite_file is None
    await db.close()
