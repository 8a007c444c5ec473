"""The durable event log: group commit, then publish. The log is also the room sequencer.

One writer task drains the queue into a single transaction (up to `max_batch` events), commits,
then — in append order — runs each event's `on_commit` callback, resolves its future and publishes
it on the bus. A caller that acknowledges an action only after its future resolves never
acknowledges an event that is not on disk; and since one writer runs the callbacks in order,
room messages go out in `seq` order.

Room messages take their seqs from the room's counter row (`room_seqs`) inside the same transaction:
seqs are unique (also a unique index), gap-free, and in commit order across every node and worker that
writes to the database, whatever the broker does. The message's wire bytes are kept with it, so the
room stream can be rebuilt from the log (rooms/catchup.py).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from siyu.events import Bus, Event
from siyu.store.db import Database, json_dumps
from siyu.store.tables import events, room_seqs

log = logging.getLogger(__name__)


class StoreError(Exception):
    """The event could not be committed; the action must be reported as failed (`store.unavailable`)."""


@dataclass(slots=True)
class _Pending:
    event: Event[Any]
    future: asyncio.Future[None]
    on_commit: Callable[[], None] | None
    # a room message: called once the event has its seq, returns the wire bytes the log keeps with it
    render: Callable[[], bytes] | None = None
    prio: int | None = None
    on_duplicate: Callable[[int | None], None] | None = None


_COLUMNS = ("id", "room_id", "session_id", "user_id", "type", "ts", "seq", "payload", "ctx_id", "ctx_parent",
            "actor", "cid", "wire", "prio")  # fmt: skip
_SEQ, _CID, _WIRE = _COLUMNS.index("seq"), _COLUMNS.index("cid"), _COLUMNS.index("wire")
_INSERT = f"INSERT INTO events ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_FIND_CID = "SELECT seq FROM events WHERE room_id = ? AND user_id = ? AND cid = ?"
_TAKE = "UPDATE room_seqs SET seq = seq + ? WHERE room_id = ? RETURNING seq"
_MAX = "SELECT coalesce(max(seq), 0) FROM events WHERE room_id = ?"
_INIT = "INSERT INTO room_seqs (room_id, seq) VALUES (?, ?)"


def _rooms(batch: list[_Pending]) -> dict[str, int]:
    """Room messages per room, rooms sorted: writers lock the rooms' counters in one order (no deadlock)."""
    counts: dict[str, int] = {}
    for p in batch:
        if p.render is not None:
            counts[p.event.room_id] = counts.get(p.event.room_id, 0) + 1
    return dict(sorted(counts.items()))


def _stamp(p: _Pending, seq: int) -> bytes:
    """Give a room message its seq and render its wire bytes (which carry the seq)."""
    assert p.render is not None
    p.event.seq = seq
    return p.render()


def _params(p: _Pending) -> list[Any]:
    e = p.event
    return [e.id, e.room_id, e.session_id, e.user_id, e.type, e.ts, None, json_dumps(e.payload), e.context.id,
            e.context.parent_id, e.context.actor, e.cid, None, p.prio]  # fmt: skip


class _SqliteWriter:
    """The event log's own SQLite connection, used from one thread of its own.

    Measured under fan-out load (docs/architecture.md, "Event log on SQLite"): through aiosqlite a
    commit is 3-4 hops between the loop and the driver's thread, each waiting for the GIL and the
    loop's next turn (p99 66-230 ms); committing on the loop thread instead made every slow fsync of
    this disk (45-115 ms seen) a stall of the whole loop. Here a group commit is one hop: the loop
    encodes the rows, the thread takes the rooms' seqs, runs executemany + COMMIT (C calls that release
    the GIL; the fsync blocks only this thread), and the loop resumes the waiters. `BEGIN IMMEDIATE`
    holds the database's write lock from the first seq to the commit, also against other processes.
    """

    def __init__(self, path: str, synchronous: str) -> None:
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="siyu-eventlog")
        self._path = path
        self._synchronous = synchronous
        self._conn: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self._synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    @staticmethod
    def _take(conn: sqlite3.Connection, room_id: str, n: int) -> int:
        """The first of the room's next n seqs (inside the write transaction)."""
        row = conn.execute(_TAKE, (n, room_id)).fetchone()
        if row is not None:
            return int(row[0]) - n + 1
        base = int(conn.execute(_MAX, (room_id,)).fetchone()[0])
        conn.execute(_INIT, (room_id, base + n))
        return base + 1

    def insert(self, batch: list[_Pending], params: list[list[Any]]) -> None:
        """Runs on the writer thread."""
        if self._conn is None:
            self._conn = self._connect()
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            nxt = {room: self._take(conn, room, n) for room, n in _rooms(batch).items()}
            for p, row in zip(batch, params, strict=True):
                if p.render is not None:
                    row[_SEQ] = nxt[p.event.room_id]
                    nxt[p.event.room_id] += 1
                    row[_WIRE] = _stamp(p, row[_SEQ])
            conn.executemany(_INSERT, params)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def insert_each(self, batch: list[_Pending], params: list[list[Any]]) -> dict[int, int | None]:
        """Runs on the writer thread, after a batch hit the (room, user, cid) key: row by row, in one
        transaction; a duplicate cid is skipped (taking no seq) and answered with the seq the log holds."""
        assert self._conn is not None
        conn = self._conn
        dups: dict[int, int | None] = {}
        conn.execute("BEGIN IMMEDIATE")
        try:
            for i, (p, row) in enumerate(zip(batch, params, strict=True)):
                if row[_CID] is not None:
                    found = conn.execute(_FIND_CID, (row[1], row[3], row[_CID])).fetchone()
                    if found is not None:
                        dups[i] = found[0]
                        continue
                if p.render is not None:
                    row[_SEQ] = self._take(conn, p.event.room_id, 1)
                    row[_WIRE] = _stamp(p, row[_SEQ])
                conn.execute(_INSERT, row)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return dups

    def close(self) -> None:
        def _close() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        self.thread.submit(_close).result()
        self.thread.shutdown(wait=True)


async def _take(conn: AsyncConnection, room_id: str, n: int) -> int:
    """The first of the room's next n seqs, inside the caller's transaction (PostgreSQL: the counter's
    row lock orders concurrent writers until commit, so seqs follow commit order)."""
    q = update(room_seqs).where(room_seqs.c.room_id == room_id).values(seq=room_seqs.c.seq + n)
    got = await conn.scalar(q.returning(room_seqs.c.seq))
    if got is not None:
        return int(got) - n + 1
    newest = select(func.coalesce(func.max(events.c.seq), 0)).where(events.c.room_id == room_id)
    base = await conn.scalar(newest)
    try:
        async with conn.begin_nested():
            await conn.execute(insert(room_seqs).values(room_id=room_id, seq=int(base or 0) + n))
    except IntegrityError:  # another writer made the counter first: take from it
        return await _take(conn, room_id, n)
    return int(base or 0) + 1


def event_row(event: Event[Any]) -> dict[str, Any]:
    return {
        "id": event.id,
        "room_id": event.room_id,
        "session_id": event.session_id,
        "user_id": event.user_id,
        "type": event.type,
        "ts": event.ts,
        "seq": event.seq,
        "payload": event.payload,  # a dataclass: the engine's orjson serializer writes it
        "ctx_id": event.context.id,
        "ctx_parent": event.context.parent_id,
        "actor": event.context.actor,
        "cid": event.cid,
    }


def _row(p: _Pending) -> dict[str, Any]:
    return {**event_row(p.event), "seq": None, "wire": None, "prio": p.prio}


def _retrieve(fut: asyncio.Future[None]) -> None:
    if not fut.cancelled():
        fut.exception()


class EventLog:
    def __init__(self, db: Database, bus: Bus, *, max_batch: int = 1000) -> None:
        self._db = db
        self._bus = bus
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        self.committed = 0
        self._writer = _SqliteWriter(db.sqlite_file, db.sqlite_synchronous) if db.sqlite_file else None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="siyu-eventlog")

    async def stop(self) -> None:
        """Commit everything already appended, then stop the writer."""
        while not self._queue.empty():
            await asyncio.sleep(0.005)
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        if self._writer is not None:
            self._writer.close()

    def append(
        self,
        event: Event[Any],
        on_commit: Callable[[], None] | None = None,
        *,
        render: Callable[[], bytes] | None = None,
        prio: int | None = None,
        on_duplicate: Callable[[int | None], None] | None = None,
    ) -> asyncio.Future[None]:
        """Queue `event`; the returned future resolves once it is committed (or fails with StoreError).

        A room message passes `render`: the writer gives the event the room's next seq inside the
        transaction that inserts it, then calls `render` for the wire bytes the log keeps beside it (with
        `prio`), so a node that missed the publication can take the message from the log. An event whose
        (room, user, cid) the log already holds is not inserted and takes no seq: `on_duplicate` gets the
        seq of the one it holds instead of `on_commit` running (and nothing is published on the bus).
        """
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Mark a failure as retrieved so fire-and-forget appends (enter/leave) never warn; callers
        # that await the future still see the StoreError.
        fut.add_done_callback(_retrieve)
        level = None if prio is None else int(prio)
        self._queue.put_nowait(_Pending(event, fut, on_commit, render, level, on_duplicate))
        return fut

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._commit(batch)

    async def _insert(self, batch: list[_Pending]) -> None:
        if self._writer is not None:
            params = [_params(p) for p in batch]
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._writer.thread, self._writer.insert, batch, params)
            return
        async with self._db.engine.begin() as conn:
            nxt = {room: await _take(conn, room, n) for room, n in _rooms(batch).items()}
            rows = [_row(p) for p in batch]
            for p, row in zip(batch, rows, strict=True):
                if p.render is not None:
                    row["seq"] = nxt[p.event.room_id]
                    nxt[p.event.room_id] += 1
                    row["wire"] = _stamp(p, row["seq"])
            await conn.execute(insert(events), rows)

    async def _insert_each(self, batch: list[_Pending]) -> dict[int, int | None]:
        """The batch again, row by row, skipping cids the log already holds: {row index: the held seq}."""
        if self._writer is not None:
            params = [_params(p) for p in batch]
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._writer.thread, self._writer.insert_each, batch, params)
        dups: dict[int, int | None] = {}
        async with self._db.engine.begin() as conn:
            for room in _rooms(batch):
                await _take(conn, room, 0)  # lock the counters in order first
            for i, p in enumerate(batch):
                row = _row(p)
                try:
                    async with conn.begin_nested():  # a duplicate rolls back its seq with it
                        if p.render is not None:
                            row["seq"] = await _take(conn, p.event.room_id, 1)
                            row["wire"] = _stamp(p, row["seq"])
                        await conn.execute(insert(events), [row])
                except IntegrityError:
                    q = select(events.c.seq).where(
                        events.c.room_id == row["room_id"],
                        events.c.user_id == row["user_id"],
                        events.c.cid == row["cid"],
                    )
                    found = (await conn.execute(q)).first()
                    if row["cid"] is None or found is None:
                        raise
                    dups[i] = found[0]
        return dups

    async def _commit(self, batch: list[_Pending]) -> None:
        dups: dict[int, int | None] = {}
        try:
            try:
                await self._insert(batch)
            except (sqlite3.IntegrityError, IntegrityError):
                dups = await self._insert_each(batch)
        except Exception as exc:
            log.exception("event log commit failed for %d events", len(batch))
            for p in batch:
                if not p.future.done():
                    p.future.set_exception(StoreError(str(exc)))
            return
        self.batches += 1
        self.committed += len(batch) - len(dups)
        for i, p in enumerate(batch):
            if i in dups:
                if p.on_duplicate is not None:
                    try:
                        p.on_duplicate(dups[i])
                    except Exception:
                        log.exception("on_duplicate failed for %s", p.event.type)
                if not p.future.done():
                    p.future.set_result(None)
                continue
            if p.on_commit is not None:
                try:
                    p.on_commit()
                except Exception:
                    log.exception("on_commit failed for %s", p.event.type)
            if not p.future.done():
                p.future.set_result(None)
            self._bus.publish(p.event)
