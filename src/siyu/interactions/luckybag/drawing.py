"""The draw of a bag (once per bag across nodes), its prizes, and its audit document."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from siyu.events import now_ms
from siyu.realtime.fanout import Priority

from .award import Awards
from .draw import ALGORITHM, canonical, draw, entries_hash
from .model import BagDrawn, BagStarted, LuckyBagResult, Prize, Winner
from .store import BagRow, BagStore

if TYPE_CHECKING:
    from siyu.rooms.room import Room

log = logging.getLogger(__name__)


class Draws:
    def __init__(self, room: Room, store: BagStore) -> None:
        self.room = room
        self.store = store

    async def draw(self, started: BagStarted, starter: str) -> bool:
        """Decide once (the first node to set the row's `drawn_at` decides, from the log's entries), publish
        once (the once-key `luckybag-draw:<bag>` under the starter's id), then give the prizes. False when
        the bag has no row (it cannot be drawn)."""
        room = self.room
        row = await self.store.get(started.bag_id)
        if row is None:
            log.error("room %s: lucky bag %s has no row", room.info.id, started.bag_id)
            return False
        if row.drawn_at is None:
            names = await self.store.entrants(room.info.id, row.id, row.opens_at, row.until)
            entries = canonical(names)
            ids = draw(entries, bytes.fromhex(row.seed), row.winners)
            row = await self.store.decide(
                row.id, now_ms(), entries, [{"id": u, "nick": names[u]} for u in ids]
            )
        entries, winners = row.entries or [], row.result or []
        drawn = BagDrawn(
            row.id, row.seed, row.seed_hash, len(entries), entries_hash(entries), winners, started.prize
        )
        message = LuckyBagResult(
            bag_id=row.id, prize=Prize.of(started.prize), seed=row.seed, seed_hash=row.seed_hash,
            entries=len(entries), entries_hash=drawn.entries_hash,
            winners=[Winner(w["id"], w["nick"]) for w in winners],
        )  # fmt: skip
        event = room.event_for(None, drawn)
        event.user_id = starter
        decided = row

        def award(_seq: int | None) -> None:
            room.spawn(self.award(decided, drawn))

        once = f"luckybag-draw:{row.id}"
        await room.record(None, None, event, message, Priority.HIGH, after=award, once=once)
        return True

    async def award(self, row: BagRow, drawn: BagDrawn) -> None:
        """The winners' prizes (idempotent: a retry after a crash, or two nodes at once, give one each)."""
        try:
            winners = [w["id"] for w in drawn.winners]
            await Awards(self.room, self.store).give(row, Prize.of(drawn.prize), winners)
        except Exception:
            log.exception(
                "room %s: prizes of lucky bag %s failed (a reload retries)", self.room.info.id, row.id
            )

    async def audit(self, bag_id: str) -> dict[str, Any] | None:
        """What anyone may check: the entries in draw order, the seed hash and, after the draw, the seed and
        the winners (GET /api/rooms/{room}/luckybags/{bag}); None when the room has no such bag."""
        row = await self.store.get(bag_id)
        if row is None or row.room_id != self.room.info.id:
            return None
        started, closed, drawn = await self.store.bag_events(row)
        if started is None:
            return None
        if drawn is not None and row.entries is not None:  # revealed: what was drawn, exactly
            entries, seed, winners = row.entries, row.seed, row.result or []
        else:
            names = await self.store.entrants(row.room_id, row.id, row.opens_at, row.until)
            entries, seed, winners = canonical(names), None, []
        return {
            "room_id": row.room_id, "bag_id": row.id, "algorithm": ALGORITHM, "prize": started.prize,
            "entry": started.entry, "winner_count": row.winners, "opens_at": row.opens_at,
            "until": row.until if closed is None else min(row.until, closed.at), "seed_hash": row.seed_hash,
            "seed": seed, "drawn": seed is not None, "entries_count": len(entries),
            "entries_hash": None if seed is None else entries_hash(entries), "entries": entries,
            "winners": winners,
        }  # fmt: skip
