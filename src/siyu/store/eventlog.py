"""The durable event log: group commit, then publish.

One writer task drains the queue into a single transaction (up to `max_batch` events), commits,
then — in append order — runs each event's `on_commit` callback, resolves its future and publishes
it on the bus. A caller that acknowledges an action only after its future resolves never
acknowledges an event that is not on disk; and since one writer runs the callbacks in order,
room messages go out in `seq` order.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from siyu.events import Bus, Event
from siyu.store.db import Database, json_dumps
from siyu.store.tables import events

log = logging.getLogger(__name__)


class StoreError(Exception):
    """The event could not be committed; the action must be reported as failed (`store.unavailable`)."""


@dataclass(slots=True)
class _Pending:
    event: Event[Any]
    future: asyncio.Future[None]
    on_commit: Callable[[], None] | None
    sequenced: bool
    on_duplicate: Callable[[int | None], None] | None = None


_COLUMNS = ("id", "room_id", "session_id", "user_id", "type", "ts", "seq", "payload", "ctx_id", "ctx_parent",
            "actor", "cid")  # fmt: skip
_INSERT = f"INSERT INTO events ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_FIND_CID = "SELECT seq FROM events WHERE room_id = ? AND user_id = ? AND cid = ?"


class _SqliteWriter:
    """The event log's own SQLite connection, used from one thread of its own.

    Measured under fan-out load (docs/architecture.md, "Event log on SQLite"): through aiosqlite a
    commit is 3-4 hops between the loop and the driver's thread, each waiting for the GIL and the
    loop's next turn (p99 66-230 ms); committing on the loop thread instead made every slow fsync of
    this disk (45-115 ms seen) a stall of the whole loop. Here a group commit is one hop: the loop
    encodes the rows, the thread runs executemany + COMMIT (C calls that release the GIL; the fsync
    blocks only this thread), and the loop resumes the waiters.
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

    def insert(self, params: list[tuple[Any, ...]]) -> None:
        """Runs on the writer thread."""
        if self._conn is None:
            self._conn = self._connect()
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(_INSERT, params)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def insert_each(self, params: list[tuple[Any, ...]]) -> dict[int, int | None]:
        """Runs on the writer thread, after a batch hit the (room, user, cid) key: row by row, in one
        transaction; a duplicate cid is skipped and answered with the seq the log already holds for it."""
        assert self._conn is not None
        conn = self._conn
        dups: dict[int, int | None] = {}
        conn.execute("BEGIN IMMEDIATE")
        try:
            for i, row in enumerate(params):
                try:
                    conn.execute(_INSERT, row)
                except sqlite3.IntegrityError:
                    room, user, cid = row[1], row[3], row[-1]
                    found = conn.execute(_FIND_CID, (room, user, cid)).fetchone()
                    if cid is None or found is None:
                        raise
                    dups[i] = found[0]
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

SeqSource = Callable[[str, int], Awaitable[int]]
"""(room_id, n) -> the first of n fresh consecutive room seqs (a Broker's `reserve`)."""


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


def _retrieve(fut: asyncio.Future[None]) -> None:
    if not fut.cancelled():
        fut.exception()


class EventLog:
    def __init__(self, db: Database, bus: Bus, seqs: SeqSource, *, max_batch: int = 1000) -> None:
        self._db = db
        self._bus = bus
        self._seqs = seqs
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
        sequenced: bool = False,
        on_duplicate: Callable[[int | None], None] | None = None,
    ) -> asyncio.Future[None]:
        """Queue `event`; the returned future resolves once it is committed (or fails with StoreError).

        A `sequenced` event is a room message: the writer gives it the room's next seq before inserting.
        An event whose (room, user, cid) the log already holds is not inserted: `on_duplicate` gets the
        seq of the one it holds instead of `on_commit` running (and nothing is published on the bus).
        """
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Mark a failure as retrieved so fire-and-forget appends (enter/leave) never warn; callers
        # that await the future still see the StoreError.
        fut.add_done_callback(_retrieve)
        self._queue.put_nowait(_Pending(event, fut, on_commit, sequenced, on_duplicate))
        return fut

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._commit(batch)

    async def _assign_seqs(self, batch: list[_Pending]) -> None:
        per_room: dict[str, list[Event[Any]]] = {}
        for p in batch:
            if p.sequenced:
                per_room.setdefault(p.event.room_id, []).append(p.event)
        for room_id, evs in per_room.items():
            first = await self._seqs(room_id, len(evs))
            for i, ev in enumerate(evs):
                ev.seq = first + i

    async def _insert(self, rows: list[dict[str, Any]]) -> None:
        if self._writer is None:
            async with self._db.engine.begin() as conn:
                await conn.execute(insert(events), rows)
            return
        params = [tuple(json_dumps(r[c]) if c == "payload" else r[c] for c in _COLUMNS) for r in rows]
        await asyncio.get_running_loop().run_in_executor(self._writer.thread, self._writer.insert, params)

    async def _insert_each(self, rows: list[dict[str, Any]]) -> dict[int, int | None]:
        """The batch again, row by row, skipping cids the log already holds: {row index: the held seq}."""
        if self._writer is not None:
            params = [tuple(json_dumps(r[c]) if c == "payload" else r[c] for c in _COLUMNS) for r in rows]
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._writer.thread, self._writer.insert_each, params)
        dups: dict[int, int | None] = {}
        async with self._db.engine.begin() as conn:
            for i, row in enumerate(rows):
                try:
                    async with conn.begin_nested():
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
            await self._assign_seqs(batch)
            rows = [event_row(p.event) for p in batch]
            try:
                await self._insert(rows)
            except (sqlite3.IntegrityError, IntegrityError):
                dups = await self._insert_each(rows)
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
