"""Staff ready for 1v1 calls, and whether they are still there (docs/protocol.md section 12).

`call.ready` events decide who is ready (`CallBook.ready`, the room's `callees`). A row per ready staff
member, `rtc_ready(room_id, user_id, seen_at)`, says they are still there: written when they go ready,
refreshed every REFRESH_S (with the calls' refresh) by each node they are connected to, deleted when they go
unready. A node that finds a ready staff member who is not connected to it and whose row nobody refreshed for
STALE_S (their node died, also before a restart) deletes it by compare-and-set: the one node whose delete
hits records `call.ready` false for them, so it is logged once and every node's `callees` follows.

Going ready writes the row beside the event, not before it: a row that is missing when a node looks (not
written yet, deleted by a late unready, or a staff member ready from before the table existed) starts its
clock then (seen_at = now, if nobody wrote it meanwhile), and a staff member who went ready less than
STALE_S ago is not checked at all, so neither a missing nor an old row can drop someone who is there.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from siyu.events import now_ms
from siyu.rooms.room import Member
from siyu.store.tables import rtc_ready

from .model import CallReady
from .store import STALE_S

if TYPE_CHECKING:
    from .calls import Calls

log = logging.getLogger(__name__)

r = rtc_ready.c
KEY = ["room_id", "user_id"]


class ReadyStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def touch(self, room_id: str, users: list[str], now: int) -> None:
        """The users are there: their rows say `now` (made if missing; never earlier than they said: the
        nodes' clocks differ)."""
        if users:
            dialect = sqlite if self.engine.dialect.name == "sqlite" else postgresql
            stmt = dialect.insert(rtc_ready).values([{"room_id": room_id, "user_id": u, "seen_at": now}
                                                     for u in users])  # fmt: skip
            async with self.engine.begin() as conn:
                later = case((r.seen_at < now, now), else_=r.seen_at)
                await conn.execute(stmt.on_conflict_do_update(index_elements=KEY, set_={"seen_at": later}))

    async def start(self, room_id: str, users: list[str], now: int) -> None:
        """Rows for users who have none: their clock starts `now` (a row another node wrote stays)."""
        if users:
            dialect = sqlite if self.engine.dialect.name == "sqlite" else postgresql
            stmt = dialect.insert(rtc_ready).values([{"room_id": room_id, "user_id": u, "seen_at": now}
                                                     for u in users])  # fmt: skip
            async with self.engine.begin() as conn:
                await conn.execute(stmt.on_conflict_do_nothing(index_elements=KEY))

    async def seen(self, room_id: str) -> dict[str, int]:
        """user -> seen_at of the room's rows."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(r.user_id, r.seen_at).where(r.room_id == room_id))
            return {str(row[0]): int(row[1]) for row in rows.all()}

    async def drop(self, room_id: str, user_id: str, stale_before: int) -> bool:
        """Delete the row if nobody refreshed it since `stale_before`: True for the one caller that did."""
        async with self.engine.begin() as conn:
            gone = await conn.execute(
                delete(rtc_ready).where(r.room_id == room_id, r.user_id == user_id, r.seen_at < stale_before)
            )
        return gone.rowcount == 1

    async def sweep(self, room_id: str, users: list[str], stale_before: int) -> None:
        """Delete these users' rows unless a node refreshed them since `stale_before`."""
        gone = delete(rtc_ready).where(r.room_id == room_id, r.user_id.in_(users), r.seen_at < stale_before)
        async with self.engine.begin() as conn:
            await conn.execute(gone)

    async def forget(self, room_id: str, user_id: str) -> None:
        """Not ready any more: the row goes (if they go ready again meanwhile, a missing row drops nobody)."""
        async with self.engine.begin() as conn:
            await conn.execute(delete(rtc_ready).where(r.room_id == room_id, r.user_id == user_id))


class Readiness:
    """The ready rows of one room's `Calls`."""

    def __init__(self, calls: Calls) -> None:
        self.calls = calls
        self.room = calls.room
        self.store = ReadyStore(calls.room.service.db.engine)

    def say(self, m: Member, ready: bool, cid: str | None = None) -> None:
        """Record that `m` is ready (or not) and write (or delete) their row beside it."""
        self.calls.record(m, CallReady(ready, m.nickname, m.role.value, m.level), "call", cid)
        self.room.spawn(self._row(m.user_id, ready, now_ms()))

    async def _row(self, user: str, ready: bool, now: int) -> None:
        try:
            if ready:
                await self.store.touch(self.room.info.id, [user], now)
            else:
                await self.store.forget(self.room.info.id, user)
        except Exception:  # the next refresh writes it (if they are here); a stale row drops nobody here
            log.warning("room %s: the ready row of %s failed", self.room.info.id, user, exc_info=True)

    async def refresh(self, now: int) -> None:
        """Refresh the rows of the ready staff connected here; record unready those whose row nobody
        refreshed for STALE_S (checked only STALE_S after they went ready). A row of someone not ready (a
        node that looked just as another dropped them starts its clock again) goes once it is stale."""
        book, here, room_id = self.calls.book, self.calls.here, self.room.info.id
        stale_before = now - STALE_S * 1000
        mine = [u for u in book.ready if here.get(u)]
        others = [u for u in book.ready if not here.get(u) and book.ready_at.get(u, 0) < stale_before]
        try:
            await self.store.touch(room_id, mine, now)
            seen = await self.store.seen(room_id)
            junk = [u for u, at in seen.items() if at < stale_before and u not in book.ready]
            if junk:  # rows of people who are not ready (left behind by a race, or by a node that died)
                await self.store.sweep(room_id, junk, stale_before)
            await self.store.start(room_id, [u for u in others if u not in seen], now)
            for user in others:
                if seen.get(user, now) < stale_before and await self.store.drop(room_id, user, stale_before):
                    self._gone(user)
        except Exception:
            log.warning("room %s: refreshing the ready staff failed", room_id, exc_info=True)

    def _gone(self, user: str) -> None:
        ref = self.calls.book.ready.get(user)
        if ref is None or self.calls.here.get(user):
            return  # unready meanwhile, or back on this node (their next refresh writes the row again)
        log.info("room %s: %s is ready on no node any more: not ready", self.room.info.id, user)
        self.calls.record(None, CallReady(False, ref.nick, ref.role, ref.lvl), "call", user=user)
