"""Whether the parties of a room's calls are still there, on any node: the leave grace (`rtc.leave_grace_s`;
docs/protocol.md section 12).

The media of a connected call flows peer to peer, so a party whose room WebSocket drops (a phone moving
between Wi-Fi and 4G, the client's automatic reconnect) has not left the call. When a party's last
connection on this node leaves, a *ringing* call ends at once as `left` (its offer/answer go through the
relay, which loses them while a party is away); a *connected* one is pending here: it ends as `left`
`leave_grace_s` after the leave, and only if no node saw the party since.

Each call row says when each party was last seen connected (`rtc_calls.caller_seen_at`, `callee_seen_at`,
migration 0013): written at once by the node a party enters, and every `touch_ms` (a third of the grace,
1 to REFRESH_S seconds) by the nodes the parties are connected to. The end is the usual compare-and-set on
the status with one more condition, the party's seen_at no later than the leave: a party back on any node,
or still connected to another one, keeps the call, whichever of the two writes comes first (a connection to
another node opened before this one closed is written again by that node's next touch, within the grace).
Back on this node: the pending end is dropped. While it is pending, this node goes on refreshing the call's
`seen_at` (Calls.refresh), so a grace longer than STALE_S does not end it as `lost`. The nodes' clocks must
agree to well under the grace.

The node that saw the leave may stop or die during the grace: every node also ends, the same way, a
connected call one of whose parties is connected to no node and nobody saw for `leave_grace_s` + STALE_S.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from siyu.events import now_ms
from siyu.rooms.room import Member
from siyu.store.tables import rtc_calls

from .book import LIVE, Live
from .store import REFRESH_S, STALE_S

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement

    from .calls import Calls

log = logging.getLogger(__name__)

c = rtc_calls.c


def _later(col: ColumnElement[int], now: int) -> ColumnElement[int]:
    """`now`, unless the column says later already (the nodes' clocks differ)."""
    return case((or_(col.is_(None), col < now), now), else_=col)


class PresenceStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def touch(self, callers: list[str], callees: list[str], now: int) -> None:
        """The callers of `callers` and the callees of `callees` (call ids) are connected at `now`."""
        if not callers and not callees:
            return
        async with self.engine.begin() as conn:
            for ids, col in ((callers, c.caller_seen_at), (callees, c.callee_seen_at)):
                if ids:
                    await conn.execute(
                        update(rtc_calls)
                        .where(c.call_id.in_(ids), c.status.in_(LIVE))
                        .values({col.name: _later(col, now)})
                    )

    async def seen(self, call_ids: list[str]) -> dict[str, tuple[int | None, int | None]]:
        """call id -> (caller_seen_at, callee_seen_at)."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(c.call_id, c.caller_seen_at, c.callee_seen_at).where(c.call_id.in_(call_ids))
            )
            return {str(r[0]): (r[1], r[2]) for r in rows.all()}


@dataclass(slots=True)
class Left:
    at: int  # when the party's last connection here left (this node's clock)
    call_ids: list[str]  # their connected calls then


class Grace:
    """The leave grace of one room's `Calls`."""

    def __init__(self, calls: Calls) -> None:
        self.calls = calls
        self.room = calls.room
        self.store = PresenceStore(calls.room.service.db.engine)
        self.pending: dict[str, Left] = {}  # user -> their leave, while the grace runs
        self._touch_at = 0

    @property
    def grace_ms(self) -> int:
        return int(self.calls.rtc.leave_grace_s * 1000)

    @property
    def touch_ms(self) -> int:
        return max(1000, min(REFRESH_S * 1000, self.grace_ms // 3))

    def left(self, m: Member) -> None:
        """The user's last connection on this node left: ringing calls end now, connected ones may later."""
        later: list[str] = []
        for call in self.calls.book.of(m.user_id):
            if call.status == "connected" and self.grace_ms > 0:
                later.append(call.call_id)
            else:
                self.room.spawn(self.calls.end(call, "left", m))
        if later:
            self.pending[m.user_id] = Left(now_ms(), later)

    def back(self, user: str) -> None:
        """The user connected here: no pending end, and their calls' rows say they are there."""
        self.pending.pop(user, None)
        mine = [x for x in self.calls.book.of(user) if x.status in LIVE]
        if mine and self.grace_ms > 0:
            callers = [x.call_id for x in mine if x.caller == user]
            callees = [x.call_id for x in mine if x.callee == user]
            self.room.spawn(self._touch(callers, callees, now_ms()))

    def tick(self, now: int) -> None:
        """End the calls of those whose grace is over (if nobody saw them since); every `touch_ms`, say who
        is connected here and look for parties connected nowhere (`refresh`)."""
        for user, gone in list(self.pending.items()):
            if gone.at + self.grace_ms <= now:
                del self.pending[user]
                for call_id in gone.call_ids:
                    call = self.calls.book.calls.get(call_id)
                    if call is not None and call.status == "connected":
                        self._end(call, user, gone.at)
        if self.grace_ms > 0 and self.calls.book.calls and now - self._touch_at >= self.touch_ms:
            self._touch_at = now
            self.room.spawn(self.refresh(now))

    def _end(self, call: Live, user: str, seen_by: int) -> None:
        """End `call` as `left` by `user` if no node saw them after `seen_by` (the compare-and-set)."""
        call.busy = True

        async def run() -> None:
            try:
                await self.calls.end(call, "left", None, ("connected",), absent=(user, seen_by))
            except Exception:
                log.exception("room %s: ending call %s (left) failed", self.room.info.id, call.call_id)
            finally:
                call.busy = False

        self.room.spawn(run())

    async def _touch(self, callers: list[str], callees: list[str], now: int) -> None:
        try:
            await self.store.touch(callers, callees, now)
        except Exception:  # the next refresh writes it again
            log.warning("room %s: touching the call parties failed", self.room.info.id, exc_info=True)

    async def refresh(self, now: int) -> None:
        """The parties connected here are there at `now`; a connected call whose party is connected to no
        node (its node stopped or died during the grace) and unseen for the grace + STALE_S ends `left`."""
        here = self.calls.here
        live = [x for x in self.calls.book.calls.values() if x.status in LIVE]
        away = [x for x in live if x.status == "connected" and not x.busy
                and not (here.get(x.caller) and here.get(x.callee))]  # fmt: skip
        try:
            await self.store.touch([x.call_id for x in live if here.get(x.caller)],
                                   [x.call_id for x in live if here.get(x.callee)], now)  # fmt: skip
            seen = await self.store.seen([x.call_id for x in away]) if away else {}
        except Exception:
            log.warning("room %s: refreshing the call parties failed", self.room.info.id, exc_info=True)
            return
        gone_before = now - self.grace_ms - STALE_S * 1000
        for call in away:
            for user, at in zip(call.parties(), seen.get(call.call_id, (None, None)), strict=True):
                if not here.get(user) and at is not None and at < gone_before:
                    log.info("room %s: %s of call %s is nowhere", self.room.info.id, user, call.call_id)
                    self._end(call, user, gone_before)
                    break
