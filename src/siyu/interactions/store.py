"""Coupon drops and claims in the database: the database decides, across nodes (docs/architecture.md,
"Coupons (issue 12)").

A claim is ONE transaction: take one from the batch row (`claimed < quantity`, window open), count the
user's grants under that lock, insert the grant (unique on batch, user, n) and the `coupon.claimed` event
row (unique on room, user, cid): both commit together, or neither.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from siyu.events import Event, new_id
from siyu.store.db import Database
from siyu.store.eventlog import event_row
from siyu.store.tables import coupon_batches, coupon_grants, events

CLAIMED = "coupon.claimed"
PUSHED = "coupon.pushed"
WINDOW_MS = 3600 * 1000 + 60_000  # the longest claim window, and a minute of clock skew


@dataclass(frozen=True, slots=True)
class Batch:
    id: str
    room_id: str
    coupon_id: str
    quantity: int
    claimed: int
    per_user: int
    opens_at: int
    closes_at: int
    to_user: str | None


@dataclass(frozen=True, slots=True)
class Grant:
    grant_id: str
    coupon_id: str
    expires_at: int
    n: int = 1

    def wire(self) -> dict[str, Any]:
        return {"grant_id": self.grant_id, "coupon_id": self.coupon_id, "expires_at": self.expires_at}


class Refused(Exception):
    """A claim refused; `code` is one of the coupon.* error codes; `holds`: the user's grants of the drop
    when they were counted (0: this claim's cid cannot have been granted before)."""

    def __init__(self, code: str, holds: int | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.holds = holds


def _batch(row: Any) -> Batch:
    return Batch(**{k: row[k] for k in Batch.__dataclass_fields__})


class CouponStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        # told of each committed claim event (the node bus: this node's `@committed` followers and the
        # playbooks see it; the claim is written in the grant's own transaction, not through the EventLog)
        self.committed: Callable[[Event[Any]], None] | None = None
        # Claims of one drop are serial in the database anyway (the row lock, SQLite's write lock), so a
        # node keeps only a few claim transactions open at once: SQLite one (rather than connections
        # spinning on the busy handler), PostgreSQL a few (to overlap round trips). The crowd waits here,
        # not on pool connections, and once the drop is sold out it is refused without a transaction.
        self._gate = asyncio.Semaphore(1 if db.is_sqlite else 4)
        # what the database said that can never change: a drop's row (the transaction re-checks what
        # matters) and a drop that is sold out or over (stock never grows, a window never reopens), so
        # the crowd behind the last coupon is refused without the write lock
        self._batches: dict[str, Batch] = {}
        self._final: dict[str, str] = {}
        self._reading: dict[str, asyncio.Task[Batch | None]] = {}
        self._asking: dict[str, dict[str, asyncio.Future[int]]] = {}  # batch -> user -> their grant count
        self._counting: set[asyncio.Task[None]] = set()

    @contextlib.asynccontextmanager
    async def _serial(self) -> AsyncIterator[None]:
        async with self._gate:
            yield

    async def create_batch(self, batch: Batch) -> bool:
        """Insert the drop's row; False when a row with this id exists (a re-sent push)."""
        dialect = sqlite if self._db.is_sqlite else postgresql
        row = {k: getattr(batch, k) for k in Batch.__dataclass_fields__}
        stmt = dialect.insert(coupon_batches).values(row).on_conflict_do_nothing(index_elements=["id"])
        async with self._serial(), self._db.engine.begin() as conn:
            return bool((await conn.execute(stmt)).rowcount)

    async def close_batch(self, batch_id: str, at: int) -> None:
        """Nobody saw the drop (its event was not committed): no claim may take from it."""
        self._batches.pop(batch_id, None)
        q = update(coupon_batches).where(coupon_batches.c.id == batch_id).values(closes_at=at)
        async with self._serial(), self._db.engine.begin() as conn:
            await conn.execute(q)

    async def get_batch(self, batch_id: str) -> Batch | None:
        """The drop's row, read once per node (a crowd claiming at once shares the one read)."""
        got = self._batches.get(batch_id)
        if got is not None:
            return got
        task = self._reading.get(batch_id)
        if task is None:
            task = self._reading[batch_id] = asyncio.ensure_future(self._read_batch(batch_id))
            task.add_done_callback(lambda _t: self._reading.pop(batch_id, None))
        return await asyncio.shield(task)

    async def _read_batch(self, batch_id: str) -> Batch | None:
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(select(coupon_batches).where(coupon_batches.c.id == batch_id))).first()
        if row is None:
            return None
        got = self._batches[batch_id] = _batch(row._mapping)
        return got

    async def held(self, batch_id: str, user_id: str) -> int:
        """How many grants of the drop the user holds. The crowd refused after a sell-out asks at once:
        the questions of one drop are read together (one query per up to 500 users)."""
        waiting = self._asking.get(batch_id)
        if waiting is None:
            waiting = self._asking[batch_id] = {}
            task = asyncio.ensure_future(self._count_held(batch_id))  # runs once this turn's callers asked
            self._counting.add(task)
            task.add_done_callback(self._counting.discard)
        fut = waiting.get(user_id)
        if fut is None:
            fut = waiting[user_id] = asyncio.get_running_loop().create_future()
        return await asyncio.shield(fut)

    async def _count_held(self, batch_id: str) -> None:
        g = coupon_grants.c
        while waiting := self._asking.get(batch_id):
            users = list(waiting)[:500]
            futs = {u: waiting.pop(u) for u in users}
            q = select(g.user_id, func.count()).where(g.batch_id == batch_id, g.user_id.in_(users))
            try:
                async with self._db.engine.connect() as conn:
                    rows = (await conn.execute(q.group_by(g.user_id))).all()
                counts: dict[str, int] = {str(u): int(n) for u, n in rows}
            except Exception as exc:
                for f in futs.values():
                    if not f.done():
                        f.set_exception(exc)
                continue
            for u, f in futs.items():
                if not f.done():
                    f.set_result(int(counts.get(u, 0)))
        self._asking.pop(batch_id, None)

    async def held_grant(self, room_id: str, user_id: str, cid: str) -> Grant | None:
        """The grant the log holds for this (room, user, cid): a re-sent claim gets its first answer."""
        q = select(events.c.type, events.c.payload).where(
            events.c.room_id == room_id, events.c.user_id == user_id, events.c.cid == cid
        )
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(q)).first()
        if row is None or row[0] != CLAIMED:
            return None
        p = row[1]
        return Grant(p["grant_id"], p["coupon_id"], int(p["expires_at"]), int(p.get("n", 1)))

    async def claim(
        self, batch: Batch, user_id: str, now: int, expires_at: int, make_event: Callable[[Grant], Event[Any]]
    ) -> Grant:
        """Take one coupon of `batch` for `user_id` in one transaction with its event; Refused otherwise.

        `make_event(grant) -> Event` builds the `coupon.claimed` event (with the claim's cid). A claim that
        meets a concurrent one of the same user on (batch, user, n) is decided again (then: limit).
        """
        for _attempt in range(3):
            final = self._final.get(batch.id) or ("coupon.expired" if batch.closes_at <= now else None)
            if final == "coupon.expired":
                raise Refused(final)
            if final is not None:  # sold out for everyone: only a holder hears otherwise
                holds = await self.held(batch.id, user_id)
                raise Refused("coupon.limit" if holds >= batch.per_user else final, holds)
            try:
                async with self._serial():
                    if batch.id in self._final:
                        continue  # decided while this claim waited for the lock
                    return await self._claim_once(batch, user_id, now, expires_at, make_event)
            except Refused as no:
                if no.code in ("coupon.sold_out", "coupon.expired"):
                    self._final[batch.id] = no.code
                raise
            except IntegrityError as exc:
                text = str(exc.orig) if exc.orig is not None else str(exc)
                if "coupon_grants" in text or "ux_coupon_grants" in text:
                    continue  # the same user's other claim took this n first: decide again
                raise  # the (room, user, cid) key: the caller answers with the held grant
        raise Refused("coupon.limit")

    async def _claim_once(
        self, batch: Batch, user_id: str, now: int, expires_at: int, make_event: Callable[[Grant], Event[Any]]
    ) -> Grant:
        b = coupon_batches.c
        take = (
            update(coupon_batches)
            .where(b.id == batch.id, b.claimed < b.quantity, b.closes_at > now)
            .values(claimed=b.claimed + 1)
        )
        g = coupon_grants.c
        held = select(func.count()).where(g.batch_id == batch.id, g.user_id == user_id)
        async with self._db.engine.begin() as conn:
            if (await conn.execute(take)).rowcount != 1:
                row = (await conn.execute(select(b.closes_at).where(b.id == batch.id))).one()
                if row.closes_at <= now:
                    raise Refused("coupon.expired")
                holds = int(await conn.scalar(held) or 0)
                raise Refused("coupon.limit" if holds >= batch.per_user else "coupon.sold_out", holds)
            n = int(await conn.scalar(held) or 0) + 1
            if n > batch.per_user:
                raise Refused("coupon.limit", n - 1)  # leaving the block rolls the take back
            grant = Grant(new_id(), batch.coupon_id, expires_at, n)
            event = make_event(grant)
            await conn.execute(
                insert(coupon_grants).values(
                    id=grant.grant_id, batch_id=batch.id, user_id=user_id, n=n, ts=now, expires_at=expires_at
                )
            )
            await conn.execute(insert(events).values(**event_row(event), wire=None, prio=None))
        if self.committed is not None:
            self.committed(event)
        return grant

    async def room_log(self, room_id: str, since: int) -> tuple[list[dict[str, Any]], list[Any]]:
        """The payloads of the room's `coupon.pushed` events whose drop closes after `since`, and the
        (user, cid, payload) of their claims: what the feature rebuilds its drops and left counts from."""
        recent = events.c.ts > since - WINDOW_MS  # a drop's window is at most an hour (and its claims in it)
        q = select(events.c.payload).where(events.c.room_id == room_id, recent, events.c.type == PUSHED)
        async with self._db.engine.connect() as conn:
            pushed = [p for (p,) in (await conn.execute(q.order_by(events.c.ts))).all()]
            live = [p for p in pushed if int(p["closes_at"]) > since]
            ids = {p["batch_id"] for p in live}
            claims: list[Any] = []
            if ids:
                cq = select(events.c.user_id, events.c.cid, events.c.payload).where(
                    events.c.room_id == room_id, recent, events.c.type == CLAIMED
                )
                claims = [r for r in (await conn.execute(cq)).all() if r[2].get("batch_id") in ids]
        return live, claims
