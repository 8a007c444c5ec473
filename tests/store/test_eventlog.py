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


def _wire(e: Event[CommentPosted]) -> bytes:
    return b'{"type":"comment","seq":%d}' % (e.seq or 0)


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
    log = EventLog(db, Bus())
    log.start()
    try:
        one = comment("一")
        await asyncio.wait_for(log.append(one, render=lambda: _wire(one)), 5)
        assert await count(db) == 1

        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        two = comment("二")
        fut = log.append(two, render=lambda: _wire(two))
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
    log = EventLog(db, bus)
    log.start()
    try:
        def with_cid(cid: str, user: str = "u1") -> Event[CommentPosted]:
            e: Event[CommentPosted] = Event("r1", user, CommentPosted("好看", cid, False, user))
            e.cid = cid
            return e

        committed: list[int | None] = []
        first = with_cid("c1")
        fut = log.append(first, lambda: committed.append(first.seq), render=lambda: _wire(first))
        await asyncio.wait_for(fut, 5)
        dup: list[int | None] = []
        again = with_cid("c1")
        await asyncio.wait_for(log.append(again, lambda: committed.append(-1), render=lambda: _wire(again),
                                          on_duplicate=dup.append), 5)  # fmt: skip
        # the same cid twice in one batch, beside a good event of another user with the same cid
        twins = [with_cid("c2"), with_cid("c2"), with_cid("c2", user="u2")]
        results: list[object] = []
        futs = [log.append(e, lambda e=e: results.append(("ok", e.user_id)),  # type: ignore[misc]
                           render=lambda e=e: _wire(e),  # type: ignore[misc]
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


async def test_two_writers_on_one_database_give_each_seq_once_gap_free_and_keep_the_bytes(
    db_url: str,
) -> None:
    """Two nodes (two logs, two engines) commit room messages of one room at once: the log is the
    sequencer, so seqs are 1..N each once with no hole, also when a re-sent cid is among them (it takes
    no seq), and every row keeps the wire bytes rendered with its own seq."""
    dbs = [Database(db_url), Database(db_url)]
    await dbs[0].migrate()
    logs = [EventLog(db, Bus(), max_batch=7) for db in dbs]
    for log in logs:
        log.start()
    try:
        futs = []
        for i in range(120):
            e: Event[CommentPosted] = Event("r1", f"u{i % 5}", CommentPosted(f"第{i}条", None, False, "u"))
            e.cid = f"c{i % 60}"  # every cid twice: u(i%5) with c(i%60) repeats at i+60
            futs.append(logs[i % 2].append(e, render=lambda e=e: _wire(e), prio=1))  # type: ignore[misc]
        await asyncio.wait_for(asyncio.gather(*futs), 20)
        async with dbs[0].engine.connect() as conn:
            rows = (await conn.execute(select(events.c.seq, events.c.wire, events.c.prio))).all()
        seqs = sorted(r[0] for r in rows)
        assert seqs == list(range(1, 61))  # 60 distinct (user, cid): 60 rows, seqs 1..60, no hole
        assert all(bytes(w) == b'{"type":"comment","seq":%d}' % s and p == 1 for s, w, p in rows)
    finally:
        for log in logs:
            await log.stop()
        for db in dbs:
            await db.close()
