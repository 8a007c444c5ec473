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


async def test_the_log_holds_a_cid_once_and_answers_a_duplicate_with_the_first_seq(db_url: str) -> None:
    """What no memory saw (another node in the same instant, a restart between commit and ack): the log's
    unique key on (room, user, cid) keeps one row and tells the caller the seq it holds."""
    db = Database(db_url)
    await db.migrate()
    bus = Bus()
    published: list[str | None] = []
    bus.subscribe(CommentPosted, lambda e: published.append(e.cid))
    seqs = {"n": 0}

    async def reserve(_room: str, n: int) -> int:
        seqs["n"] += n
        return seqs["n"] - n + 1

    log = EventLog(db, bus, reserve)
    log.start()
    try:
        def with_cid(cid: str, user: str = "u1") -> Event[CommentPosted]:
            e: Event[CommentPosted] = Event("r1", user, CommentPosted("好看", cid, False, user))
            e.cid = cid
            return e

        committed: list[int | None] = []
        first = with_cid("c1")
        await asyncio.wait_for(log.append(first, lambda: committed.append(first.seq), sequenced=True), 5)
        dup: list[int | None] = []
        again = with_cid("c1")
        await asyncio.wait_for(log.append(again, lambda: committed.append(-1), sequenced=True,
                                          on_duplicate=dup.append), 5)  # fmt: skip
        # the same cid twice in one batch, beside a good event of another user with the same cid
        twins = [with_cid("c2"), with_cid("c2"), with_cid("c2", user="u2")]
        results: list[object] = []
        futs = [log.append(e, lambda e=e: results.append(("ok", e.user_id)), sequenced=True,  # type: ignore[misc]
                           on_duplicate=lambda s: results.append(("dup", s))) for e in twins]  # fmt: skip
        await asyncio.wait_for(asyncio.gather(*futs), 5)
        assert committed == [first.seq] and dup == [first.seq]
        expected = [("ok", "u1"), ("dup", twins[0].seq), ("ok", "u2")]
        assert sorted(map(str, results)) == sorted(map(str, expected))
        async with db.engine.connect() as conn:
            rows = (await conn.execute(select(events.c.user_id, events.c.cid))).all()
        assert sorted(rows) == [("u1", "c1"), ("u1", "c2"), ("u2", "c2")]
        assert published == ["c1", "c2", "c2"]  # duplicates are not published again
    finally:
        await log.stop()
        await db.close()
