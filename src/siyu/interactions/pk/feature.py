"""PK battles as a room feature (`Pk`, docs/protocol.md section 11).

Host A invites room B (`pk_invite`), B's host accepts or declines (`pk_answer`), A may withdraw it
(`pk_cancel`); a live battle ends at its timer or a host's `pk_end`, then a punishment phase ends at its
timer or a host's `pk_end`. The rooms may be on different nodes: every transition is a compare-and-set on
`pk_battles.status` (store.py) and only the node that won it records its events, in BOTH rooms (the partner
room is loaded on this node through `room.other`). Each node counts each side's score from the room streams
it follows (score.py); a room's scoreboard reads the partner side from the partner room's feature here.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from siyu.auth import Role
from siyu.events import Event, GiftSent, new_id, now_ms
from siyu.interactions.leaderboard import giver
from siyu.interactions.pk.board import Battle, Scoreboard, invite_message, pk_message
from siyu.interactions.pk.model import (
    END_GRACE_MS,
    INVITE_TTL_MS,
    REPAIR_MS,
    TEXT,
    PkAnswerIn,
    PkCancelIn,
    PkClosed,
    PkCode,
    PkEnded,
    PkEndIn,
    PkInvited,
    PkInviteIn,
    PkStarted,
    Supporter,
    pk_user,
)  # fmt: skip
from siyu.interactions.pk.score import Tally, recount
from siyu.interactions.pk.store import (
    CANCELLED,
    CLOSED,
    DECLINED,
    EXPIRED,
    INVITED,
    LIVE,
    PUNISH,
    PkStore,
    Row,
)  # fmt: skip
from siyu.interactions.pk.transitions import Moves
from siyu.realtime import protocol as wire
from siyu.rooms import answers
from siyu.rooms.answers import Refused
from siyu.rooms.feature import Feature, follows, handles
from siyu.rooms.room import Member

log = logging.getLogger(__name__)
HOSTS = (Role.HOST, Role.OPERATOR)  # an operator may act for the host (e.g. the shop's console)


async def _acked(work: Callable[[], Awaitable[tuple[str, str]]]) -> dict[str, Any]:
    pk_id, status = await work()
    return {"pk": {"pk_id": pk_id, "status": status}}


class Pk(Feature):
    name = "pk"

    def __init__(self, room: Any) -> None:
        super().__init__(room)
        self.store = PkStore(room.service.db)
        self.battle: Battle | None = None
        self.board = Scoreboard(self)
        self.moves = Moves(self)

    # --- what this node knows ---------------------------------------------------------------------------

    def own_side(self, pk_id: str | None = None) -> tuple[int, list[Supporter]]:
        b = self.battle
        if b is None or b.tally is None or (pk_id is not None and b.pk_id != pk_id):
            return 0, []
        return b.tally.score, b.tally.top()

    def their_side(self) -> tuple[int, list[Supporter]]:
        b = self.battle
        if b is None or b.partner is None:
            return 0, []
        return b.partner.own_side(b.pk_id)

    def _adopt(self, row: Row, titles: dict[str, str] | None = None) -> Battle:
        b = self.battle
        if b is None or b.pk_id != row.pk_id:
            b = self.battle = Battle(row)
        else:
            b.row = row
        b.titles.update(titles or {})
        b.titles.setdefault(self.room.info.id, self.room.info.title)
        return b

    async def load(self) -> None:
        """The battle holding this room, from the table; a live side's score recounted from the log."""
        row = await self.store.of_room(self.room.info.id)
        if row is None:
            return
        b = self._adopt(row)
        if row.status in (LIVE, PUNISH) and row.ends_at is not None:
            async with self.room.service.db.engine.connect() as conn:
                b.tally = await recount(conn, self.room.info.id, row.pk_id, row.ends_at)
        if row.result is not None:
            b.ended = PkEnded(**row.result)

    def _link(self, b: Battle) -> None:
        """Find the partner room's feature on this node (loading the room: never inside a room's load)."""
        if b.partner is None and not b.linking and b.row.status != INVITED:
            b.linking = True
            self.room.spawn(self._linking(b))

    async def _linking(self, b: Battle) -> None:
        try:
            other = await self.room.other(b.row.partner(self.room.info.id))
        finally:
            b.linking = False
        p = other.find(Pk) if other is not None else None
        if p is not None and other is not None and self.battle is b:
            b.partner = p
            b.titles[other.info.id] = other.info.title
            self.board.changed()

    def state(self) -> dict[str, Any]:
        b = self.battle
        if b is None or b.status not in (LIVE, PUNISH):
            return {"pk": None}
        return {"pk": pk_message(b, self.room.info.id, b.status, self.own_side(), self.their_side())}

    def staff_snapshot(self) -> dict[str, Any]:
        b = self.battle
        pending = [invite_message(b.row, b.titles, "pending").wire()] if b and b.status == INVITED else []
        return {"pk_invites": pending}

    def on_enter(self, m: Member, returning: bool) -> None:
        if m.is_staff:  # an invite made on another node: the table knows it
            self.room.spawn(self._tell_staff(m))

    async def _tell_staff(self, m: Member) -> None:
        row = await self.store.of_room(self.room.info.id)
        if row is None or row.status != INVITED:
            return
        partner = await self.room.other(row.partner(self.room.info.id))
        titles = {self.room.info.id: self.room.info.title}
        if partner is not None:
            titles[partner.info.id] = partner.info.title
        if self.battle is None:
            self._adopt(row, titles)
        m.send(wire.encode(invite_message(row, titles, "pending")))

    # --- the room streams -------------------------------------------------------------------------------

    @follows(PkStarted)
    def _started(self, event: Event[PkStarted]) -> None:
        p, b = event.payload, self.battle
        row = b.row if b is not None and b.pk_id == p.pk_id else None
        if row is None:
            row = Row(p.pk_id, p.room_a, p.room_b, LIVE, (p.ends_at - p.started_at) // 1000, p.punish_s, "",
                      p.started_at, p.started_at)  # fmt: skip
        if row.status == INVITED:
            row = dataclasses.replace(row, status=LIVE)
        b = self._adopt(dataclasses.replace(row, started_at=p.started_at, ends_at=p.ends_at))
        if b.tally is None and event.seq is not None:
            b.tally = Tally(event.seq, p.ends_at)
        self._link(b)

    @follows(PkEnded)
    def _ended(self, event: Event[PkEnded]) -> None:
        b = self.battle
        if b is not None and b.pk_id == event.payload.pk_id:
            b.ended = event.payload
            b.row = dataclasses.replace(b.row, status=PUNISH, punish_until=event.payload.punish_until)

    @follows(PkClosed)
    def _closed(self, event: Event[PkClosed]) -> None:
        if self.battle is not None and self.battle.pk_id == event.payload.pk_id:
            self.battle = None

    @follows(GiftSent)
    def _gift(self, event: Event[GiftSent]) -> None:
        b = self.battle
        if b is None or b.tally is None or event.seq is None or event.user_id is None:
            return
        if b.tally.add(event.seq, event.ts, giver(event), event.payload.coins):
            self.board.changed()
            if b.partner is not None:
                b.partner.board.changed()

    def on_session(self, session_id: str | None) -> None:
        """The room went off air: its pending invite is cancelled and its live battle stopped (one node wins
        each move; the others find the row moved on)."""
        b = self.battle
        if session_id is not None or b is None or self.room.replaying:
            return
        r = b.row
        if r.status == INVITED:
            self._try(b, now_ms(), self.moves.decline(r, CANCELLED, None), 0)
        elif r.status == LIVE:
            self._try(b, now_ms(), self.moves.end(r, "stopped", None), 0)

    # --- timers -------------------------------------------------------------------------------------------

    def tick(self, now_ms: int) -> None:
        b = self.battle
        if b is None:
            return
        if b.status == LIVE:
            self.board.changed()
        if now_ms < b.trying_until:
            return
        r = b.row
        if r.status == INVITED and now_ms >= r.expires_at:
            self._try(b, now_ms, self.moves.decline(r, EXPIRED, None), r.expires_at)
        elif r.status == LIVE and r.ends_at is not None and now_ms >= r.ends_at + END_GRACE_MS:
            self._try(b, now_ms, self.moves.end(r, "time", None), r.ends_at + END_GRACE_MS)
        elif r.status == LIVE and b.tally is None and now_ms >= (r.started_at or 0) + REPAIR_MS:
            self._try(b, now_ms, self.moves.repair(r.pk_id), 0)
        elif r.status == PUNISH and r.punish_until is not None and now_ms >= r.punish_until:
            self._try(b, now_ms, self.moves.close(r, None), r.punish_until)
        if b.status == LIVE:
            self._link(b)

    def _try(self, b: Battle, now: int, coro: Any, due: int) -> None:
        """A deadline's transition (any node may try; the table lets one win). A deadline this node missed
        by REPAIR_MS: someone else won and this room's log may lack the events: repair them."""
        b.trying_until = now + 60_000
        late = due and now >= due + REPAIR_MS

        async def run() -> None:
            try:
                if not await coro and late:
                    await self.moves.repair(b.pk_id)
            except Exception:
                log.exception("room %s: pk %s transition failed", self.room.info.id, b.pk_id)
            finally:
                b.trying_until = now_ms() + 2000  # lost, or failed: look again in two seconds

        self.room.spawn(run())

    # --- client messages ----------------------------------------------------------------------------------

    def _run(self, m: Member, cid: str | None, work: Callable[[], Awaitable[tuple[str, str]]]) -> None:
        """Run a host's action: its ack carries `pk` {pk_id, status}, a refusal its code (a re-sent cid gets
        the first answer)."""
        if m.role not in HOSTS:
            m.send(wire.reject(cid, PkCode.NOT_HOST, TEXT[PkCode.NOT_HOST]))
            return
        answers.answer(self.room, m, cid, lambda: _acked(work))

    @handles(PkInviteIn)
    def invite(self, m: Member, msg: PkInviteIn) -> None:
        self._run(m, msg.cid, lambda: self._invite(m, msg))

    async def _invite(self, m: Member, msg: PkInviteIn) -> tuple[str, str]:
        me = self.room
        if msg.room_id == me.info.id:
            raise Refused(PkCode.SELF)
        partner = await me.other(msg.room_id)
        if partner is None:
            raise Refused(PkCode.UNKNOWN_ROOM)
        if me.session is None or partner.session is None:
            raise Refused(PkCode.NOT_LIVE)
        now = now_ms()
        row = Row(new_id(), me.info.id, partner.info.id, INVITED, msg.seconds, msg.punish_s, m.user_id, now,
                  now + INVITE_TTL_MS)  # fmt: skip
        if not await self.store.invite(row):
            for room_id in (row.room_a, row.room_b):  # an invite nobody expired (its node died): now
                held = await self.store.of_room(room_id)
                if held is not None and held.status == INVITED and held.expires_at <= now:
                    await self.moves.decline(held, EXPIRED, None)
            if not await self.store.invite(row):
                raise Refused(PkCode.BUSY)
        titles = self.moves.titles(me, partner)
        body = PkInvited(row.pk_id, row.room_a, row.room_b, row.seconds, row.punish_s, row.expires_at,
                         m.nickname)  # fmt: skip
        for room in (me, partner):
            pk = room.find(Pk)
            if pk is not None:
                pk._adopt(row, titles)
            event = room.event_for(None, body)
            event.user_id = pk_user(row.pk_id)
            event.context = dataclasses.replace(event.context, actor=m.user_id)
            await room.record(None, None, event, None)
            room.to_staff_everywhere(invite_message(row, titles, "pending"))
        return row.pk_id, INVITED

    async def _mine(self, pk_id: str, *statuses: str) -> Row:
        row = await self.store.get(pk_id)
        if row is None or not row.has(self.room.info.id) or row.status not in statuses:
            raise Refused(PkCode.UNKNOWN)
        return row

    @handles(PkAnswerIn)
    def answer(self, m: Member, msg: PkAnswerIn) -> None:
        self._run(m, msg.cid, lambda: self._answer(m, msg))

    async def _answer(self, m: Member, msg: PkAnswerIn) -> tuple[str, str]:
        row = await self._mine(msg.pk_id, INVITED, EXPIRED)
        if row.room_b != self.room.info.id:
            raise Refused(PkCode.UNKNOWN)
        if row.status == EXPIRED or row.expires_at <= now_ms():
            if row.status == INVITED:
                await self.moves.decline(row, EXPIRED, None)
            raise Refused(PkCode.EXPIRED)
        if not msg.accept:
            if not await self.moves.decline(row, DECLINED, m):
                raise Refused(PkCode.UNKNOWN)
            return row.pk_id, DECLINED
        partner = await self.room.other(row.room_a)
        if self.room.session is None or partner is None or partner.session is None:
            raise Refused(PkCode.NOT_LIVE)
        if not await self.moves.start(row, m):
            got = await self.store.get(row.pk_id)
            raise Refused(PkCode.EXPIRED if got is not None and got.status == EXPIRED else PkCode.UNKNOWN)
        return row.pk_id, LIVE

    @handles(PkCancelIn)
    def cancel(self, m: Member, msg: PkCancelIn) -> None:
        self._run(m, msg.cid, lambda: self._cancel(m, msg))

    async def _cancel(self, m: Member, msg: PkCancelIn) -> tuple[str, str]:
        row = await self._mine(msg.pk_id, INVITED)
        if row.room_a != self.room.info.id or not await self.moves.decline(row, CANCELLED, m):
            raise Refused(PkCode.UNKNOWN)
        return row.pk_id, CANCELLED

    @handles(PkEndIn)
    def end(self, m: Member, msg: PkEndIn) -> None:
        self._run(m, msg.cid, lambda: self._end_now(m, msg))

    async def _end_now(self, m: Member, msg: PkEndIn) -> tuple[str, str]:
        row = await self._mine(msg.pk_id, LIVE, PUNISH)
        if row.status == LIVE:
            if not await self.moves.end(row, "stopped", m):
                raise Refused(PkCode.UNKNOWN)
            return row.pk_id, PUNISH
        if not await self.moves.close(row, m):
            raise Refused(PkCode.UNKNOWN)
        return row.pk_id, CLOSED
