"""The transitions of a battle, each a compare-and-set on the table (store.py) whose winner records the
transition's events in both rooms (the partner room loaded on this node through `room.other`), and the repair
of a room's log that lacks what the table says happened (the winner died before recording it there).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from siyu.events import now_ms
from siyu.interactions.pk.board import Battle, invite_message, pk_message
from siyu.interactions.pk.model import END_GRACE_MS, PkClosed, PkDeclined, PkEnded, PkStarted, pk_user
from siyu.interactions.pk.score import recount
from siyu.interactions.pk.store import CLOSED, FINAL, INVITED, LIVE, PUNISH, Row
from siyu.realtime.fanout import Priority
from siyu.rooms.room import Member, Room
from siyu.store.tables import events

if TYPE_CHECKING:
    from siyu.interactions.pk.feature import Pk


class Moves:
    """The transitions as the feature of one room makes them."""

    def __init__(self, pk: Pk) -> None:
        self.pk = pk
        self.kind = type(pk)

    def record(
        self, room: Room, pk_id: str, actor: Member | None, body: Any, message: Any, once: str,
        after: Callable[[int | None], None] | None = None,
    ) -> asyncio.Future[None]:  # fmt: skip
        """Record one of the battle's events in `room` (`after` runs only if this call committed it)."""
        event = room.event_for(None, body)
        event.user_id = pk_user(pk_id)  # the once-key makes it one event per room whoever records it
        if actor is not None:
            event.context = dataclasses.replace(event.context, actor=actor.user_id)
        return room.record(None, None, event, message, Priority.HIGH, after, once=f"{once}:{pk_id}")

    async def both(self, row: Row) -> tuple[Room, Room | None]:
        me = self.pk.room
        return me, await me.other(row.partner(me.info.id))

    def titles(self, *rooms: Room | None) -> dict[str, str]:
        return {r.info.id: r.info.title for r in rooms if r is not None}

    async def decline(self, row: Row, reason: str, m: Member | None) -> bool:
        if not await self.pk.store.move(row.pk_id, INVITED, reason, ended_at=now_ms()):
            return False
        me, partner = await self.both(row)
        titles = self.titles(me, partner)
        for room in (me, partner):
            if room is None:
                continue
            pk = room.find(self.kind)
            if pk is not None and pk.battle is not None and pk.battle.pk_id == row.pk_id:
                pk.battle = None
            await self.record(room, row.pk_id, m, PkDeclined(row.pk_id, reason), None, "pk-declined")
            room.to_staff_everywhere(invite_message(row, titles, reason))
        return True

    async def start(self, row: Row, m: Member | None) -> bool:
        now = now_ms()
        started = dataclasses.replace(row, status=LIVE, started_at=now, ends_at=now + row.seconds * 1000)
        if not await self.pk.store.move(row.pk_id, INVITED, LIVE, started_at=now, ends_at=started.ends_at):
            return False
        me, partner = await self.both(row)
        titles = self.titles(me, partner)
        body = PkStarted(row.pk_id, row.room_a, row.room_b, now, started.ends_at or 0, row.punish_s)
        for room in (me, partner):
            if room is None:
                continue
            b = Battle(started, dict(titles))
            msg = pk_message(b, room.info.id, LIVE)
            await self.record(room, row.pk_id, m, body, msg, "pk-started")
            room.to_staff_everywhere(invite_message(row, titles, "accepted"))
        return True

    async def result(self, row: Row, reason: str, now: int) -> PkEnded:
        """The result, recounted from the log (both sides)."""
        scores: dict[str, int] = {}
        top: dict[str, list[list[Any]]] = {}
        async with self.pk.room.service.db.engine.connect() as conn:
            for room_id in (row.room_a, row.room_b):
                t = await recount(conn, room_id, row.pk_id, row.ends_at or 0)
                scores[room_id] = t.score if t is not None else 0
                top[room_id] = t.top_rows() if t is not None else []
        a, b = scores[row.room_a], scores[row.room_b]
        winner = row.room_a if a > b else row.room_b if b > a else "draw"
        return PkEnded(row.pk_id, scores, winner, top, reason, now + row.punish_s * 1000)

    async def end(self, row: Row, reason: str, m: Member | None) -> bool:
        now = now_ms()
        if row.ends_at is None or now < row.ends_at:  # stopped early: the scoring window closes now
            row = dataclasses.replace(row, ends_at=now)
            await asyncio.sleep(END_GRACE_MS / 1000)  # a gift made before the stop is in the log by then
        result = await self.result(row, reason, now)
        values = {"ended_at": now, "ends_at": row.ends_at, "punish_until": result.punish_until,
                  "result": dataclasses.asdict(result)}  # fmt: skip
        if not await self.pk.store.move(row.pk_id, LIVE, PUNISH, **values):
            return False
        ended = dataclasses.replace(row, status=PUNISH, punish_until=result.punish_until)
        me, partner = await self.both(row)
        titles = self.titles(me, partner)
        for room in (me, partner):
            if room is not None:
                msg = pk_message(Battle(ended, dict(titles), ended=result), room.info.id, PUNISH)
                await self.record(room, row.pk_id, m, result, msg, "pk-ended")
        return True

    async def close(self, row: Row, m: Member | None) -> bool:
        if not await self.pk.store.move(row.pk_id, PUNISH, CLOSED):
            return False
        await self.closing(await self.pk.store.get(row.pk_id) or row, m)
        return True

    async def closing(self, row: Row, m: Member | None, only: Room | None = None) -> None:
        me, partner = await self.both(row)
        titles = self.titles(me, partner)
        result = PkEnded(**row.result) if row.result else None
        for room in (only,) if only is not None else (me, partner):
            if room is not None:
                msg = pk_message(Battle(row, dict(titles), ended=result), room.info.id, CLOSED)
                body = PkClosed(row.pk_id, m.nickname if m else None)
                await self.record(room, row.pk_id, m, body, msg, "pk-closed")

    async def repair(self, pk_id: str) -> bool:
        """Record in this room what the table says happened and this room's log lacks (the node that won a
        transition died before recording it here), and tell this room's staff what that node would have told
        them. The once-keys keep it one event per room, and the staff are told by the repair that recorded it.
        """
        row = await self.pk.store.get(pk_id)
        if row is None:
            return False
        room = self.pk.room
        q = select(events.c.type).where(events.c.room_id == room.info.id, events.c.user_id == pk_user(pk_id))
        async with room.service.db.engine.connect() as conn:
            have = {str(t) for (t,) in (await conn.execute(q)).all()}
        titles = self.titles(room, await room.other(row.partner(room.info.id)))

        def tell(status: str) -> Callable[[int | None], None]:
            return lambda _seq: room.to_staff_everywhere(invite_message(row, titles, status))

        if row.status in FINAL - {CLOSED}:
            if self.pk.battle is not None and self.pk.battle.pk_id == pk_id:
                self.pk.battle = None
            if PkDeclined.TYPE not in have:
                declined = PkDeclined(pk_id, row.status)
                await self.record(room, pk_id, None, declined, None, "pk-declined", tell(row.status))
            return True
        result = PkEnded(**row.result) if row.result else None
        if row.started_at is not None and PkStarted.TYPE not in have:
            body = PkStarted(pk_id, row.room_a, row.room_b, row.started_at, row.ends_at or 0, row.punish_s)
            msg = pk_message(Battle(row, dict(titles)), room.info.id, LIVE)
            await self.record(room, pk_id, None, body, msg, "pk-started", tell("accepted"))
        if result is not None and PkEnded.TYPE not in have:
            msg = pk_message(Battle(row, dict(titles), ended=result), room.info.id, PUNISH)
            await self.record(room, pk_id, None, result, msg, "pk-ended")
        if row.status == CLOSED and PkClosed.TYPE not in have:
            await self.closing(row, None, only=room)
        return True
