"""The authoritative call rows: `rtc_calls` (status moved by compare-and-set) and the party lock
`rtc_parties` (a user is in at most one ringing or connected call, across nodes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from siyu.store.tables import rtc_calls, rtc_parties

LIVE = ("ringing", "connected")
REFRESH_S = 10  # a node refreshes `seen_at` of the calls whose parties it serves this often
STALE_S = 3 * REFRESH_S  # a call nobody refreshed for this long is lost (its node died)


class Busy(Exception):
    """A party is already in a ringing or connected call."""


class Full(Exception):
    """The mic has its guests."""


@dataclass(frozen=True, slots=True)
class CallRow:
    call_id: str
    room_id: str
    kind: str
    caller: str
    callee: str
    status: str
    created_at: int
    accepted_at: int | None = None
    ended_at: int | None = None
    end_reason: str | None = None

    @property
    def locked(self) -> tuple[str, ...]:
        """Whom the lock holds: both parties of a 1v1 call; the mic's guest only (a host has several)."""
        return (self.caller, self.callee) if self.kind == "call" else (self.caller,)


_COLS = (
    rtc_calls.c.call_id, rtc_calls.c.room_id, rtc_calls.c.kind, rtc_calls.c.caller, rtc_calls.c.callee,
    rtc_calls.c.status, rtc_calls.c.created_at, rtc_calls.c.accepted_at, rtc_calls.c.ended_at,
    rtc_calls.c.end_reason,
)  # fmt: skip


def _row(r: Any) -> CallRow:
    return CallRow(**dict(r._mapping))


class CallStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def create(self, row: CallRow, *, max_guests: int | None = None) -> None:
        """Insert the call and lock both parties in one transaction (Busy if either is in a call). A mic call
        (`max_guests`) also takes a free mic slot of the room (Full if there is none)."""
        values = {
            "call_id": row.call_id, "room_id": row.room_id, "kind": row.kind, "caller": row.caller,
            "callee": row.callee, "status": row.status, "created_at": row.created_at,
            "accepted_at": row.accepted_at, "seen_at": row.created_at,
            "caller_seen_at": row.created_at, "callee_seen_at": row.created_at,
        }  # fmt: skip
        for slot in range(max_guests or 1):
            try:
                async with self.engine.begin() as conn:
                    if max_guests is not None:
                        held = await conn.scalar(
                            select(func.count()).where(
                                rtc_calls.c.room_id == row.room_id, rtc_calls.c.mic_slot.is_not(None)
                            )
                        )
                        if int(held or 0) >= max_guests:
                            raise Full
                        values["mic_slot"] = slot
                    await conn.execute(insert(rtc_calls).values(**values))
                    await conn.execute(
                        insert(rtc_parties), [{"user_id": u, "call_id": row.call_id} for u in row.locked]
                    )
                return
            except IntegrityError:
                if max_guests is None or await self._holds_party(row):
                    raise Busy from None
                # another node took this slot at the same moment: try the next one
        raise Full

    async def _holds_party(self, row: CallRow) -> bool:
        async with self.engine.connect() as conn:
            got = await conn.scalar(
                select(func.count()).where(rtc_parties.c.user_id.in_(row.locked))
            )
        return bool(got)

    async def move(
        self, call_id: str, from_status: tuple[str, ...], to_status: str, now: int, reason: str | None = None,
        absent: tuple[str, int] | None = None,
    ) -> CallRow | None:  # fmt: skip
        """Compare-and-set the status; the row after the move if this caller won it, else None. Ending a call
        frees its parties and its mic slot in the same transaction. `absent` (party, at): only if no node
        saw that party connected after `at` (rtc/presence.py)."""
        values: dict[str, object] = {"status": to_status, "seen_at": now}
        if to_status == "connected":
            values["accepted_at"] = now
        if to_status == "ended":
            values.update(ended_at=now, end_reason=reason, mic_slot=None)
        where = [rtc_calls.c.call_id == call_id, rtc_calls.c.status.in_(from_status)]
        if absent is not None:
            user, at = absent
            caller, callee = rtc_calls.c.caller_seen_at, rtc_calls.c.callee_seen_at
            where.append(or_(
                and_(rtc_calls.c.caller == user, or_(caller.is_(None), caller <= at)),
                and_(rtc_calls.c.callee == user, or_(callee.is_(None), callee <= at)),
            ))  # fmt: skip
        async with self.engine.begin() as conn:
            moved = await conn.execute(update(rtc_calls).where(*where).values(**values))
            if moved.rowcount != 1:
                return None
            if to_status == "ended":
                await conn.execute(delete(rtc_parties).where(rtc_parties.c.call_id == call_id))
            got = (await conn.execute(select(*_COLS).where(rtc_calls.c.call_id == call_id))).one()
        return _row(got)

    async def live(self, room_id: str) -> list[CallRow]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(*_COLS).where(rtc_calls.c.room_id == room_id, rtc_calls.c.status.in_(LIVE))
            )
            return [_row(r) for r in rows.all()]

    async def holding(self, users: tuple[str, ...], stale_before: int) -> list[CallRow]:
        """The live calls that lock any of `users` and that nobody refreshed since `stale_before`."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(*_COLS)
                .join(rtc_parties, rtc_parties.c.call_id == rtc_calls.c.call_id)
                .where(
                    rtc_parties.c.user_id.in_(users),
                    rtc_calls.c.status.in_(LIVE),
                    rtc_calls.c.seen_at < stale_before,
                )
            )
            return list({r[0]: _row(r) for r in rows.all()}.values())

    async def touch(self, call_ids: list[str], now: int) -> None:
        if call_ids:
            async with self.engine.begin() as conn:
                await conn.execute(
                    update(rtc_calls)
                    .where(rtc_calls.c.call_id.in_(call_ids), rtc_calls.c.status.in_(LIVE))
                    .values(seen_at=now)
                )

    async def seen(self, call_ids: list[str]) -> dict[str, int]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(rtc_calls.c.call_id, rtc_calls.c.seen_at).where(rtc_calls.c.call_id.in_(call_ids))
            )
            return {r[0]: int(r[1]) for r in rows.all()}
