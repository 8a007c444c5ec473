"""Fan club memberships in the database (`fan_members`): join, read, and XP added in SQL.

A join is one `INSERT … ON CONFLICT DO NOTHING` on the (shop, user) key: two nodes joining the same viewer at
once make one membership. XP is added by ONE `UPDATE … RETURNING` per member and flush, in which the day's
counters are reset when the day changed, each source's units are capped, a paused member gains nothing
from watching, and the XP is the sum of the capped gains: concurrent nodes serialise on the row and never
lose or double an award. The level follows in a second statement that only raises it (`level < :new`), so
exactly one flush sees each level up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Boolean, Integer, and_, bindparam, case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from siyu.store.db import Database
from siyu.store.tables import events, fan_members, shops

from .fanclub_rules import IDLE_DAYS, SOURCES, FanRecord, day_of, level_of

f = fan_members.c
_RECORD = [f.user_id, f.nickname, f.joined_at, f.via, f.xp, f.level, f.last_active_day, f.day,
           *(f[f"{s}_today"] for s in SOURCES)]  # fmt: skip


def _record(row: Any) -> FanRecord:
    m = row._mapping
    return FanRecord(
        user_id=m["user_id"], nickname=m["nickname"], joined_at=int(m["joined_at"]), via=m["via"],
        xp=int(m["xp"]), level=int(m["level"]), last_active_day=int(m["last_active_day"]), day=int(m["day"]),
        units={s: int(m[f"{s}_today"]) for s in SOURCES},
    )  # fmt: skip


def _award_statement() -> Any:
    """The one UPDATE of an award (bind parameters: shop, user, today, minute, active, n_<source>)."""
    today = bindparam("today", type_=Integer)
    active = bindparam("active", type_=Boolean)
    minute = bindparam("minute", type_=BigInteger)
    earn = or_(active, f.last_active_day >= today - IDLE_DAYS)  # lit, or this batch re-lights it
    values: dict[str, Any] = {}
    gain: ColumnElement[Any] | None = None
    for name, s in SOURCES.items():
        col = f[f"{name}_today"]
        base = case((f.day == today, col), else_=0)
        grown: ColumnElement[Any] = base + bindparam(f"n_{name}", type_=BigInteger)
        if s.cap_units is not None:
            grown = case((grown < s.cap_units, grown), else_=s.cap_units)
        counts = and_(earn, f.watch_minute < minute) if name == "watch" else earn  # a minute counts once
        new = case((counts, grown), else_=base)
        values[col.name] = new
        part = (new - base) * s.xp if s.per == 1 else new * s.xp // s.per - base * s.xp // s.per
        gain = part if gain is None else gain + part
    assert gain is not None
    values.update(
        xp=f.xp + gain,
        day=today,
        last_active_day=case((earn, today), else_=f.last_active_day),
        watch_minute=case((and_(earn, f.watch_minute < minute), minute), else_=f.watch_minute),
    )
    mine = and_(f.shop_id == bindparam("shop"), f.user_id == bindparam("user"))
    return update(fan_members).where(mine).values(**values).returning(*_RECORD)


_AWARD = _award_statement()
_RAISE = (
    update(fan_members)
    .where(f.shop_id == bindparam("shop"), f.user_id == bindparam("user"), f.level < bindparam("new_level"))
    .values(level=bindparam("new_level"))
)


@dataclass(frozen=True, slots=True)
class Awarded:
    """A member's record after a flush; `level_from` is set when this flush raised the level."""

    record: FanRecord
    level_from: int | None = None


class FanStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._asking: dict[str, dict[str, asyncio.Future[FanRecord | None]]] = {}  # shop -> user -> answer
        self._reading: set[asyncio.Task[None]] = set()

    async def shop_data(self, shop_id: str) -> Mapping[str, Any]:
        """The shop document's `shop` part (where `fan_club_name` … live)."""
        async with self._db.engine.connect() as conn:
            data = await conn.scalar(select(shops.c.data).where(shops.c.id == shop_id))
        shop = (data or {}).get("shop") if isinstance(data, dict) else None
        return shop if isinstance(shop, dict) else {}

    # --- reads -----------------------------------------------------------------------------------

    async def get(self, shop_id: str, user_id: str) -> FanRecord | None:
        """A user's membership (None: not a member). The users asked for in the same loop turn (a crowd
        entering, or claiming a 粉丝团 coupon) are read together: one query per up to 500 users."""
        waiting = self._asking.get(shop_id)
        if waiting is None:
            waiting = self._asking[shop_id] = {}
            task = asyncio.ensure_future(self._read(shop_id))  # runs once this turn's callers asked
            self._reading.add(task)
            task.add_done_callback(self._reading.discard)
        fut = waiting.get(user_id)
        if fut is None:
            fut = waiting[user_id] = asyncio.get_running_loop().create_future()
        return await asyncio.shield(fut)

    async def _read(self, shop_id: str) -> None:
        while waiting := self._asking.get(shop_id):
            users = list(waiting)[:500]
            futs = {u: waiting.pop(u) for u in users}
            q = select(*_RECORD).where(f.shop_id == shop_id, f.user_id.in_(users))
            try:
                async with self._db.engine.connect() as conn:
                    found = {r.user_id: _record(r) for r in (await conn.execute(q)).all()}
            except Exception as exc:
                for fut in futs.values():
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            for u, fut in futs.items():
                if not fut.done():
                    fut.set_result(found.get(u))
        self._asking.pop(shop_id, None)

    async def count(self, shop_id: str) -> int:
        async with self._db.engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).where(f.shop_id == shop_id)) or 0)

    async def top(self, shop_id: str, n: int = 10) -> list[FanRecord]:
        q = select(*_RECORD).where(f.shop_id == shop_id).order_by(f.xp.desc(), f.joined_at).limit(n)
        async with self._db.engine.connect() as conn:
            return [_record(r) for r in (await conn.execute(q)).all()]

    async def seq_of(self, room_id: str, user_id: str, cid: str) -> int | None:
        """The seq of the event the log holds for (room, user, cid): a re-sent join's first answer."""
        q = select(events.c.seq).where(
            events.c.room_id == room_id, events.c.user_id == user_id, events.c.cid == cid
        )
        async with self._db.engine.connect() as conn:
            seq = await conn.scalar(q)
        return None if seq is None else int(seq)

    # --- writes ----------------------------------------------------------------------------------

    async def join(
        self, shop_id: str, user_id: str, nickname: str, via: str, now: int
    ) -> tuple[FanRecord, bool]:
        """The user's membership, and whether this call made it (False: a member already)."""
        today = day_of(now)
        row = {
            "shop_id": shop_id, "user_id": user_id, "nickname": nickname[:64], "joined_at": now, "via": via,
            "xp": 0, "level": 1, "last_active_day": today, "day": today,
        }  # fmt: skip
        dialect = sqlite if self._db.is_sqlite else postgresql
        stmt = dialect.insert(fan_members).values(row)
        stmt = stmt.on_conflict_do_nothing(index_elements=["shop_id", "user_id"])
        read = select(*_RECORD).where(f.shop_id == shop_id, f.user_id == user_id)
        async with self._db.engine.begin() as conn:
            made = bool((await conn.execute(stmt)).rowcount)
            got = (await conn.execute(read)).one()
        return _record(got), made

    async def unjoin(self, shop_id: str, user_id: str, joined_at: int) -> None:
        """Take back a membership whose joined event could not be logged (nobody saw it)."""
        q = delete(fan_members).where(f.shop_id == shop_id, f.user_id == user_id, f.joined_at == joined_at)
        async with self._db.engine.begin() as conn:
            await conn.execute(q)

    async def award(
        self, shop_id: str, batch: Mapping[str, Mapping[str, int]], now: int, minute: int
    ) -> list[Awarded]:
        """Add each user's units ({source: units}) in one transaction: one read of which users are
        members, then one UPDATE per member (in a sorted order, so two nodes' flushes never deadlock).
        Watch units count once per member and `minute` (the minute watched), whichever node sends them."""
        today = day_of(now)
        out: list[Awarded] = []
        async with self._db.engine.begin() as conn:
            members: set[str] = set()  # most viewers are not members: one read finds who is
            users = list(batch)
            for i in range(0, len(users), 500):
                q = select(f.user_id).where(f.shop_id == shop_id, f.user_id.in_(users[i : i + 500]))
                members.update(str(u) for (u,) in (await conn.execute(q)).all())
            for user_id in sorted(members):
                units = batch[user_id]
                params: dict[str, Any] = {f"n_{s}": int(units.get(s, 0)) for s in SOURCES}
                active = any(units.get(s, 0) > 0 for s, src in SOURCES.items() if src.relights)
                params.update(shop=shop_id, user=user_id, today=today, active=active,
                              minute=minute if units.get("watch", 0) > 0 else 0)  # fmt: skip
                row = (await conn.execute(_AWARD, params)).first()
                if row is None:
                    continue  # not a member
                rec = _record(row)
                new_level = level_of(rec.xp)
                if new_level > rec.level:
                    key = {"shop": shop_id, "user": user_id, "new_level": new_level}
                    raised = await conn.execute(_RAISE, key)
                    if raised.rowcount == 1:
                        out.append(Awarded(_with_level(rec, new_level), rec.level))
                        continue
                out.append(Awarded(rec))
        return out


def _with_level(rec: FanRecord, level: int) -> FanRecord:
    return FanRecord(rec.user_id, rec.nickname, rec.joined_at, rec.via, rec.xp, level, rec.last_active_day,
                     rec.day, rec.units)  # fmt: skip
