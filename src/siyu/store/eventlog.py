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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import OperationalError

from siyu.events import Bus, Event
from siyu.store.db import Database
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


LOCKED_RETRY_S = 30.0
"""How long a commit retries a SQLite database another connection holds locked (its busy timeout)."""
CHECKPOINT_EVERY = 5_000
"""Events between WAL checkpoints (run on aiosqlite's thread, off the loop)."""

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
        self._since_checkpoint = 0
        self._checkpoint: asyncio.Task[None] | None = None

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
        if self._checkpoint is not None:
            await self._checkpoint

    def append(
        self, event: Event[Any], on_commit: Callable[[], None] | None = None, *, sequenced: bool = False
    ) -> asyncio.Future[None]:
        """Queue `event`; the returned future resolves once it is committed (or fails with StoreError).

        A `sequenced` event is a room message: the writer gives it the room's next seq before inserting.
        """
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Mark a failure as retrieved so fire-and-forget appends (enter/leave) never warn; callers
        # that await the future still see the StoreError.
        fut.add_done_callback(_retrieve)
        self._queue.put_nowait(_Pending(event, fut, on_commit, sequenced))
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
        writer = self._db.inline_writer
        if writer is None:
            async with self._db.engine.begin() as conn:
                await conn.execute(insert(events), rows)
            return
        # SQLite: commit on the loop thread (see Database); a locked database is retried, not waited on
        deadline = asyncio.get_running_loop().time() + LOCKED_RETRY_S
        while True:
            try:
                with writer.begin() as conn:
                    conn.execute(insert(events), rows)
            except OperationalError as exc:
                if "locked" not in str(exc) or asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.002)
                continue
            break
        self._since_checkpoint += len(rows)
        if self._since_checkpoint >= CHECKPOINT_EVERY and self._checkpoint is None:
            self._since_checkpoint = 0
            self._checkpoint = asyncio.create_task(self._run_checkpoint())

    async def _run_checkpoint(self) -> None:
        try:
            await self._db.checkpoint()
        except Exception:
            log.exception("WAL checkpoint failed")
        finally:
            self._checkpoint = None

    async def _commit(self, batch: list[_Pending]) -> None:
        try:
            await self._assign_seqs(batch)
            await self._insert([event_row(p.event) for p in batch])
        except Exception as exc:
            log.exception("event log commit failed for %d events", len(batch))
            for p in batch:
                if not p.future.done():
                    p.future.set_exception(StoreError(str(exc)))
            return
        self.batches += 1
        self.committed += len(batch)
        for p in batch:
            if p.on_commit is not None:
                try:
                    p.on_commit()
                except Exception:
                    log.exception("on_commit failed for %s", p.event.type)
            if not p.future.done():
                p.future.set_result(None)
            self._bus.publish(p.event)
