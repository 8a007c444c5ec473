"""The battles in the database: the authority across nodes.

`invite` inserts the battle and both rooms' `pk_rooms` rows in one transaction (a room already held:
IntegrityError, `busy`). Every transition is `move`: `UPDATE pk_battles ... WHERE pk_id = ? AND status = ?`
— rowcount 1 wins, so exactly one node (the winner) records the transition's events, in both rooms; the
moves that end a battle (declined, expired, cancelled, closed) release the rooms in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from siyu.store.db import Database
from siyu.store.tables import pk_battles, pk_rooms

INVITED, LIVE, PUNISH = "invited", "live", "punish"
DECLINED, EXPIRED, CANCELLED, CLOSED = "declined", "expired", "cancelled", "closed"
FINAL = frozenset({DECLINED, EXPIRED, CANCELLED, CLOSED})


@dataclass(frozen=True, slots=True)
class Row:
    """A battle's row (the table's columns)."""

    pk_id: str
    room_a: str
    room_b: str
    status: str
    seconds: int
    punish_s: int
    invited_by: str
    invited_at: int
    expires_at: int
    started_at: int | None = None
    ends_at: int | None = None
    punish_until: int | None = None
    ended_at: int | None = None
    result: dict[str, Any] | None = None

    def partner(self, room_id: str) -> str:
        return self.room_b if room_id == self.room_a else self.room_a

    def has(self, room_id: str) -> bool:
        return room_id in (self.room_a, self.room_b)


def _row(r: Any) -> Row:
    return Row(**{k: r[k] for k in Row.__dataclass_fields__})


class PkStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def invite(self, row: Row) -> bool:
        """Insert a pending battle holding both rooms; False when either room is in a battle already."""
        values = {k: getattr(row, k) for k in Row.__dataclass_fields__}
        try:
            async with self._db.engine.begin() as conn:
                await conn.execute(insert(pk_battles).values(values))
                await conn.execute(insert(pk_rooms).values([
                    {"room_id": row.room_a, "pk_id": row.pk_id}, {"room_id": row.room_b, "pk_id": row.pk_id}
                ]))  # fmt: skip
        except IntegrityError:
            return False
        return True

    async def get(self, pk_id: str) -> Row | None:
        async with self._db.engine.connect() as conn:
            r = (await conn.execute(select(pk_battles).where(pk_battles.c.pk_id == pk_id))).mappings().first()
        return None if r is None else _row(r)

    async def of_room(self, room_id: str) -> Row | None:
        """The battle holding the room (invited, live or punish), if any."""
        q = select(pk_battles).join(pk_rooms, pk_rooms.c.pk_id == pk_battles.c.pk_id)
        async with self._db.engine.connect() as conn:
            r = (await conn.execute(q.where(pk_rooms.c.room_id == room_id))).mappings().first()
        return None if r is None else _row(r)

    async def move(self, pk_id: str, frm: str, to: str, **values: Any) -> bool:
        """The compare-and-set: True for the one caller that moved the battle from `frm` to `to`."""
        q = update(pk_battles).where(pk_battles.c.pk_id == pk_id, pk_battles.c.status == frm)
        async with self._db.engine.begin() as conn:
            if (await conn.execute(q.values(status=to, **values))).rowcount != 1:
                return False
            if to in FINAL:
                await conn.execute(delete(pk_rooms).where(pk_rooms.c.pk_id == pk_id))
        return True
