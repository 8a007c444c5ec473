"""Lucky bags in the database: the `lucky_bags` row (secret seed, the draw's decision) and the reads of the
event log a bag needs (its entries, its events, a viewer's visits and follow)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from siyu.store.db import Database
from siyu.store.tables import events, lucky_bags

from .model import BagClosed, BagDrawn, BagEntered, BagStarted, BagWon

SKEW_MS = 60_000  # nodes' clocks may differ: the log's windows around a bag are this much wider


@dataclass(frozen=True, slots=True)
class BagRow:
    id: str
    room_id: str
    starter: str
    seed: str
    seed_hash: str
    winners: int
    opens_at: int
    until: int
    drawn_at: int | None = None
    entries: list[str] | None = None
    result: list[dict[str, str]] | None = None
    awarded_at: int | None = None


def _row(r: Any) -> BagRow:
    return BagRow(**{k: r[k] for k in BagRow.__dataclass_fields__})


def entry_key(bag_id: str) -> str:
    """The once-key of an entry: the log keeps one `luckybag.entered` per user and bag."""
    return f"luckybag:{bag_id}"


class BagStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, row: BagRow) -> BagRow:
        """Insert the bag's row, or find the one a re-sent start made (the id derives from its cid)."""
        dialect = sqlite if self._db.is_sqlite else postgresql
        values = {k: getattr(row, k) for k in BagRow.__dataclass_fields__}
        stmt = dialect.insert(lucky_bags).values(values).on_conflict_do_nothing(index_elements=["id"])
        async with self._db.engine.begin() as conn:
            await conn.execute(stmt)
            got = (await conn.execute(select(lucky_bags).where(lucky_bags.c.id == row.id))).one()
        return _row(got._mapping)

    async def get(self, bag_id: str) -> BagRow | None:
        async with self._db.engine.connect() as conn:
            got = (await conn.execute(select(lucky_bags).where(lucky_bags.c.id == bag_id))).first()
        return None if got is None else _row(got._mapping)

    async def decide(self, bag_id: str, at: int, entries: list[str], result: list[dict[str, str]]) -> BagRow:
        """Keep this draw unless another node decided first; the row's draw either way."""
        b = lucky_bags.c
        q = (
            update(lucky_bags)
            .where(b.id == bag_id, b.drawn_at.is_(None))
            .values(drawn_at=at, entries=entries, result=result)
        )
        async with self._db.engine.begin() as conn:
            await conn.execute(q)
            got = (await conn.execute(select(lucky_bags).where(b.id == bag_id))).one()
        return _row(got._mapping)

    async def awarded(self, bag_id: str, at: int) -> None:
        q = update(lucky_bags).where(lucky_bags.c.id == bag_id).values(awarded_at=at)
        async with self._db.engine.begin() as conn:
            await conn.execute(q)

    async def pending(self, room_id: str, limit: int = 20) -> list[BagRow]:
        """The room's latest bags not drawn, or drawn with prizes still to record (newest first)."""
        b = lucky_bags.c
        q = (
            select(lucky_bags)
            .where(b.room_id == room_id, b.awarded_at.is_(None))
            .order_by(b.opens_at.desc())
            .limit(limit)
        )
        async with self._db.engine.connect() as conn:
            return [_row(r._mapping) for r in (await conn.execute(q)).all()]

    # --- the log ---------------------------------------------------------------------------------

    async def entrants(self, room_id: str, bag_id: str, opens_at: int, until: int) -> dict[str, str]:
        """Who entered the bag (user id -> nickname), as the log keeps the entries (one per user)."""
        e = events.c
        q = select(e.user_id, e.payload).where(
            e.room_id == room_id, e.ts >= opens_at - SKEW_MS, e.ts <= until + SKEW_MS,
            e.type == BagEntered.TYPE, e.cid == f"~{entry_key(bag_id)}",
        )  # fmt: skip
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(q)).all()
        return {str(u): str(p.get("nickname") or u) for u, p in rows if u is not None}

    async def entered(self, room_id: str, user_id: str, bag_id: str) -> bool:
        """Whether the log holds this user's entry (the unique (room, user, cid) index answers)."""
        e = events.c
        q = select(e.id).where(e.room_id == room_id, e.user_id == user_id, e.cid == f"~{entry_key(bag_id)}")
        async with self._db.engine.connect() as conn:
            return (await conn.execute(q.limit(1))).first() is not None

    async def bag_events(self, row: BagRow) -> tuple[BagStarted | None, BagClosed | None, BagDrawn | None]:
        """The bag's start, early close and draw from the log (None: not there)."""
        e = events.c
        started_q = select(e.payload).where(
            e.room_id == row.room_id, e.type == BagStarted.TYPE,
            e.ts >= row.opens_at - SKEW_MS, e.ts <= row.opens_at + SKEW_MS,
        )  # fmt: skip
        keys = {f"~luckybag-close:{row.id}": BagClosed, f"~luckybag-draw:{row.id}": BagDrawn}
        once_q = select(e.cid, e.payload).where(
            e.room_id == row.room_id, e.user_id == row.starter, e.cid.in_(list(keys))
        )
        async with self._db.engine.connect() as conn:
            started = [p for (p,) in (await conn.execute(started_q)).all() if p.get("bag_id") == row.id]
            found = {str(cid): p for cid, p in (await conn.execute(once_q)).all()}
        s = BagStarted(**started[0]) if started else None
        c = found.get(f"~luckybag-close:{row.id}")
        d = found.get(f"~luckybag-draw:{row.id}")
        return s, None if c is None else BagClosed(**c), None if d is None else BagDrawn(**d)

    async def won(self, room_id: str, bag_id: str, user_ids: list[str]) -> set[str]:
        """Which of these winners have their `luckybag.won` in the log."""
        e = events.c
        q = select(e.user_id).where(
            e.room_id == room_id, e.user_id.in_(user_ids), e.cid == f"~luckybag-won:{bag_id}",
            e.type == BagWon.TYPE,
        )  # fmt: skip
        async with self._db.engine.connect() as conn:
            return {str(u) for (u,) in (await conn.execute(q)).all()}

    async def visits(self, room_id: str, user_id: str, session_id: str) -> list[tuple[int, int]]:
        """The user's completed visits of this live session: (left at, dwell ms) from `viewer.left`."""
        e = events.c
        q = select(e.ts, e.payload).where(
            e.room_id == room_id, e.user_id == user_id, e.type == "viewer.left", e.session_id == session_id
        )
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(q)).all()
        return [(int(ts), int(p.get("dwell_ms", 0))) for ts, p in rows]

    async def followed(self, room_id: str, user_id: str, session_id: str) -> bool:
        e = events.c
        q = select(func.count()).where(
            and_(
                e.room_id == room_id,
                e.user_id == user_id,
                e.type == "viewer.followed",
                e.session_id == session_id,
            )
        )
        async with self._db.engine.connect() as conn:
            return int(await conn.scalar(q) or 0) > 0
