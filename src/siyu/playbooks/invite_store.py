"""Invites in the database (`invites`, migration 0009_invites): the row decides, across nodes.

An invite is inserted once (`INSERT … ON CONFLICT DO NOTHING` on its state): two nodes issuing the same
invite keep the first row and both answer with it. It is accepted once (`UPDATE … WHERE accepted_at IS
NULL`): the first callback's customer is the one recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from siyu.store.db import Database
from siyu.store.tables import invites

__all__ = ["InviteRow", "InviteStore"]


@dataclass(frozen=True, slots=True)
class InviteRow:
    state: str
    room_id: str
    session_id: str
    playbook_id: str
    user_id: str
    channel: str
    incentive: str
    url: str  # what the QR code encodes; "" for follow_notify
    created_at: int
    config_id: str | None = None  # WeCom's contact way / join way id
    accepted_at: int | None = None
    external_id: str | None = None


_NAMES = tuple(f.name for f in fields(InviteRow))


def _row(r: Any) -> InviteRow:
    return InviteRow(**{k: r[k] for k in _NAMES})


class InviteStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, state: str) -> InviteRow | None:
        async with self._db.engine.connect() as conn:
            got = (await conn.execute(select(invites).where(invites.c.state == state))).first()
        return None if got is None else _row(got._mapping)

    async def add(self, row: InviteRow) -> InviteRow:
        """Insert the invite, or find the row another caller inserted first (that one wins)."""
        dialect = sqlite if self._db.is_sqlite else postgresql
        values = {k: getattr(row, k) for k in _NAMES}
        stmt = dialect.insert(invites).values(values).on_conflict_do_nothing(index_elements=["state"])
        async with self._db.engine.begin() as conn:
            await conn.execute(stmt)
            got = (await conn.execute(select(invites).where(invites.c.state == row.state))).one()
        return _row(got._mapping)

    async def accept(self, state: str, external_id: str, at: int) -> InviteRow | None:
        """Mark the invite accepted by `external_id` unless it was before; the row after (None: no row)."""
        i = invites.c
        q = update(invites).where(i.state == state, i.accepted_at.is_(None))
        async with self._db.engine.begin() as conn:
            await conn.execute(q.values(accepted_at=at, external_id=external_id))
            got = (await conn.execute(select(invites).where(i.state == state))).first()
        return None if got is None else _row(got._mapping)

    async def in_room(self, room_id: str, limit: int = 1000) -> list[InviteRow]:
        """The room's invites, newest first (analytics, the host console)."""
        q = select(invites).where(invites.c.room_id == room_id).order_by(invites.c.created_at.desc())
        async with self._db.engine.connect() as conn:
            got = (await conn.execute(q.limit(limit))).all()
        return [_row(r._mapping) for r in got]
