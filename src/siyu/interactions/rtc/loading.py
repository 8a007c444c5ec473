"""What a node reads when a room loads: the live calls (their rows, with the parties' names from the log),
the staff ready for calls, the mic's settings and queue (the log, up to the stream's floor: what comes
after arrives through the stream, and applying an event twice changes nothing)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from siyu.events import now_ms
from siyu.store.tables import events

from .book import Live
from .model import CallReady, CallRequested

if TYPE_CHECKING:
    from .calls import Calls

READY_WINDOW_MS = 24 * 3600 * 1000  # a `call.ready` older than this no longer counts


Row = tuple[str, str | None, dict[str, Any], int, int]


async def rows(room: Any, types: tuple[str, ...], since: int) -> list[Row]:
    """(type, user_id, payload, ts, seq) of the room's events of `types` since `since`, up to the floor."""
    floor = room.channel.published_seq
    q = (
        select(events.c.type, events.c.user_id, events.c.payload, events.c.ts, events.c.seq)
        .where(events.c.room_id == room.info.id, events.c.type.in_(types), events.c.ts >= since)
        .where(events.c.seq.is_(None) | (events.c.seq <= floor))
        .order_by(events.c.ts, events.c.seq)
    )
    async with room.service.db.engine.connect() as conn:
        return [(r[0], r[1], dict(r[2]), int(r[3]), int(r[4] or 0)) for r in (await conn.execute(q)).all()]


async def load_calls(calls: Calls) -> None:
    room, book = calls.room, calls.book
    for _type, user_id, body, ts, _seq in await rows(room, (CallReady.TYPE,), now_ms() - READY_WINDOW_MS):
        book.apply(user_id, CallReady(**body), ts)
    live = await calls.store.live(room.info.id)
    if not live:
        return
    since = min(r.created_at for r in live) - 60_000
    asked = {
        body["call_id"]: CallRequested(**body)
        for _t, _u, body, _ts, _s in await rows(room, (CallRequested.TYPE,), since)
    }
    for row in live:
        p = asked.get(row.call_id)
        if p is not None:
            book.apply(None, p)
        else:  # the log has not got it (yet): the row alone
            book.calls[row.call_id] = calls.known(row)
            for u in book.calls[row.call_id].locked():
                book.by_user[u] = row.call_id
        call: Live = book.calls[row.call_id]
        call.status, call.accepted_at = row.status, row.accepted_at
