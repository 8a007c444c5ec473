"""Database operations for shops, products, rooms, live sessions and viewers."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, insert, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite

from siyu.events import PAYLOAD_TYPES, Context, Event, decode_payload, new_id, now_ms
from siyu.store import stock
from siyu.store.db import Database
from siyu.store.tables import events, live_sessions, products, rooms, shops, viewers


class NotFound(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class RoomInfo:
    id: str
    shop_id: str
    title: str
    welcome_template: str | None
    pinned_product_id: str | None
    shop_name: str
    host_name: str
    created_at: int = 0


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: str
    room_id: str
    title: str
    started_at: int
    ended_at: int | None


def product_card(row: dict[str, Any]) -> dict[str, Any]:
    """The pinned-product card shown in the room (讲解卡)."""
    return {
        "id": row["id"],
        "link_no": row["link_no"],
        "name": row["name"],
        "short_name": row["short_name"],
        "price": row["price"],
        "live_price": row["live_price"],
    }


class RoomService:
    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def db(self) -> Database:
        """The database (for a wing's own tables, e.g. the coupon claims)."""
        return self._db

    def _upsert(self, table: Any, rows: list[dict[str, Any]], keys: list[str], update_cols: list[str]) -> Any:
        dialect = postgresql if not self._db.is_sqlite else sqlite
        stmt = dialect.insert(table).values(rows)
        return stmt.on_conflict_do_update(
            index_elements=keys, set_={c: getattr(stmt.excluded, c) for c in update_cols}
        )

    async def load_catalog(self, shop_id: str, catalog: dict[str, Any], *, keep_stock: bool = False) -> int:
        """Create or refresh a shop and its products from a catalog document; returns product count. Its
        stock counts are a stock take, unless `keep_stock` (only SKUs without live stock take them)."""
        shop = catalog["shop"]
        prods = catalog.get("products", [])
        shop_row = {
            "id": shop_id,
            "name": shop["name"],
            "host_name": shop.get("host", ""),
            "data": {k: v for k, v in catalog.items() if k != "products"},
            "created_at": now_ms(),
        }
        async with self._db.engine.begin() as conn:
            await conn.execute(self._upsert(shops, [shop_row], ["id"], ["name", "host_name", "data"]))
            if prods:
                rows = [
                    {
                        "shop_id": shop_id,
                        "id": p["id"],
                        "link_no": p.get("link_no"),
                        "name": p["name"],
                        "short_name": p.get("short_name") or p["name"],
                        "price": int(p["price"]),
                        "live_price": int(p["price"] if p.get("live_price") is None else p["live_price"]),
                        "data": p,
                    }
                    for p in prods
                ]
                cols = ["link_no", "name", "short_name", "price", "live_price", "data"]
                await conn.execute(self._upsert(products, rows, ["shop_id", "id"], cols))
                for p in prods:  # an upload is a stock take of the SKUs it names
                    await stock.put_counts(conn, shop_id, p["id"], p.get("stock") or {}, keep=keep_stock)
        return len(prods)

    async def create_room(
        self, room_id: str, shop_id: str, title: str, welcome_template: str | None = None
    ) -> RoomInfo:
        async with self._db.engine.begin() as conn:
            row = {
                "id": room_id,
                "shop_id": shop_id,
                "title": title,
                "welcome_template": welcome_template,
                "created_at": now_ms(),
            }
            await conn.execute(self._upsert(rooms, [row], ["id"], ["shop_id", "title", "welcome_template"]))
        return await self.get_room(room_id)

    async def get_room(self, room_id: str) -> RoomInfo:
        q = (
            select(rooms, shops.c.name.label("shop_name"), shops.c.host_name)
            .join(shops, shops.c.id == rooms.c.shop_id)
            .where(rooms.c.id == room_id)
        )
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(q)).mappings().first()
        if row is None:
            raise NotFound(room_id)
        return RoomInfo(
            id=row["id"],
            shop_id=row["shop_id"],
            title=row["title"],
            welcome_template=row["welcome_template"],
            pinned_product_id=row["pinned_product_id"],
            shop_name=row["shop_name"],
            host_name=row["host_name"],
            created_at=int(row["created_at"]),
        )

    async def list_rooms(self) -> list[dict[str, Any]]:
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(select(rooms).order_by(rooms.c.created_at))).mappings().all()
        return [dict(r) for r in rows]

    async def live_rooms(self) -> list[dict[str, Any]]:
        """The rooms with a live session now (a PK's partners): id, title, the session's title and start."""
        q = (
            select(rooms.c.id, rooms.c.title, live_sessions.c.title.label("session_title"),
                   live_sessions.c.started_at)  # fmt: skip
            .join(live_sessions, live_sessions.c.room_id == rooms.c.id)
            .where(live_sessions.c.ended_at.is_(None))
            .order_by(live_sessions.c.started_at.desc())
        )
        async with self._db.engine.connect() as conn:
            return [dict(r) for r in (await conn.execute(q)).mappings().all()]

    async def product_cards(self, shop_id: str) -> dict[str, dict[str, Any]]:
        async with self._db.engine.connect() as conn:
            rows = (
                (await conn.execute(select(products).where(products.c.shop_id == shop_id))).mappings().all()
            )
        return {r["id"]: product_card(dict(r)) for r in rows}

    async def catalog_document(self, shop_id: str) -> dict[str, Any]:
        """The shop's catalog in the catalog.json shape (shop, products, coupons), with current stock."""
        async with self._db.engine.connect() as conn:
            q = select(shops.c.data).where(shops.c.id == shop_id)
            shop = (await conn.execute(q)).scalar_one_or_none()
            rows = (await conn.execute(select(products.c.data).where(products.c.shop_id == shop_id))).all()
            counts = await stock.read_counts(conn, shop_id)
        doc = dict(shop or {})
        # the live counts are the `sku_stock` rows (orders take from them), not the uploaded document's
        doc["products"] = [{**r[0], "stock": {**r[0].get("stock", {}), **counts.get(r[0]["id"], {})}}
                           for r in rows]  # fmt: skip
        return doc

    async def stock_versions(self, shop_id: str) -> dict[tuple[str, str], int]:
        """(product id, sku) -> the row's version: where a room's catalog starts following `stock`."""
        async with self._db.engine.connect() as conn:
            return await stock.read_versions(conn, shop_id)

    async def change_stock(
        self, shop_id: str, product_id: str, sku: str, *, count: int | None = None, delta: int | None = None
    ) -> stock.Level | None:
        """Set a SKU's count, or add `delta` to it; None when a negative delta takes more than is left."""
        async with self._db.engine.begin() as conn:
            if count is not None:
                return await stock.set_count(conn, shop_id, product_id, sku, count)
            return await stock.take(conn, shop_id, product_id, sku, -(delta or 0))

    async def set_room_fields(self, room_id: str, **values: Any) -> None:
        async with self._db.engine.begin() as conn:
            await conn.execute(update(rooms).where(rooms.c.id == room_id).values(**values))

    async def current_session(self, room_id: str) -> SessionInfo | None:
        q = (
            select(live_sessions)
            .where(live_sessions.c.room_id == room_id, live_sessions.c.ended_at.is_(None))
            .order_by(live_sessions.c.started_at.desc())
            .limit(1)
        )
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(q)).mappings().first()
        return SessionInfo(**dict(row)) if row else None

    async def start_session(self, room_id: str, title: str) -> SessionInfo:
        info = SessionInfo(id=new_id(), room_id=room_id, title=title, started_at=now_ms(), ended_at=None)
        async with self._db.engine.begin() as conn:
            await conn.execute(
                update(live_sessions)
                .where(live_sessions.c.room_id == room_id, live_sessions.c.ended_at.is_(None))
                .values(ended_at=info.started_at)
            )
            await conn.execute(
                insert(live_sessions).values(
                    id=info.id, room_id=room_id, title=title, started_at=info.started_at
                )
            )
        return info

    async def end_session(self, session_id: str) -> int:
        ended = now_ms()
        async with self._db.engine.begin() as conn:
            await conn.execute(
                update(live_sessions).where(live_sessions.c.id == session_id).values(ended_at=ended)
            )
        return ended

    async def session(self, room_id: str, session_id: str | None = None) -> SessionInfo:
        """A live session of the room, ended or not: `session_id`, or the latest; NotFound if none."""
        q = select(live_sessions).where(live_sessions.c.room_id == room_id)
        if session_id is not None:
            q = q.where(live_sessions.c.id == session_id)
        q = q.order_by(live_sessions.c.started_at.desc()).limit(1)
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(q)).mappings().first()
        if row is None:
            raise NotFound(session_id or room_id)
        return SessionInfo(**dict(row))

    @staticmethod
    def _of_session(session: SessionInfo) -> tuple[ColumnElement[bool], ...]:
        return (events.c.room_id == session.room_id, events.c.session_id == session.id)

    async def session_size(self, session: SessionInfo) -> int:
        """How many events the log holds for a live session (every kind, room messages or not)."""
        async with self._db.engine.connect() as conn:
            value = await conn.scalar(select(func.count()).where(*self._of_session(session)))
        return int(value or 0)

    async def session_events(self, session: SessionInfo) -> AsyncGenerator[tuple[str, Event[Any] | None]]:
        """Every event of a live session, in the log's order, streamed: (type, the event decoded, or None for
        a type this node does not know). On SQLite the order is the insertion order (rowid), which is also
        the seq order of the room messages; PostgreSQL keeps none, so there it is (ts, seq, id)."""
        order = (literal_column("rowid"),) if self._db.is_sqlite else (events.c.ts, events.c.seq, events.c.id)
        q = select(events).where(*self._of_session(session)).order_by(*order)
        async with self._db.engine.connect() as conn:
            async for r in (await conn.stream(q)).mappings():
                yield str(r["type"]), _decode(r)

    async def max_seq(self, room_id: str) -> int:
        async with self._db.engine.connect() as conn:
            value = await conn.scalar(select(func.max(events.c.seq)).where(events.c.room_id == room_id))
        return int(value or 0)

    async def visit_counts(self, room_id: str) -> dict[str, int]:
        """How many times each user has entered this room (from the event log)."""
        q = (
            select(events.c.user_id, func.count())
            .where(events.c.room_id == room_id, events.c.type == "viewer.entered")
            .group_by(events.c.user_id)
        )
        async with self._db.engine.connect() as conn:
            return {str(user): int(n) for user, n in (await conn.execute(q)).all()}

    async def session_figures(self, room_id: str, session_id: str) -> dict[str, int]:
        """A live session's figures recounted from the log: likes, comments, gifts and their coins."""
        figures = {"likes": 0, "comments": 0, "gifts": 0, "gift_coins": 0}
        kinds = ("like.sent", "comment.posted", "gift.sent")
        q = select(events.c.type, events.c.payload).where(
            events.c.room_id == room_id, events.c.session_id == session_id, events.c.type.in_(kinds)
        )
        async with self._db.engine.connect() as conn:
            async for kind, p in await conn.stream(q):
                if kind == "like.sent":
                    figures["likes"] += int(p["count"])
                elif kind == "comment.posted":
                    figures["comments"] += 1
                else:
                    figures["gifts"] += int(p["count"])
                    figures["gift_coins"] += int(p["coins"])
        return figures

    async def room_events(
        self,
        room_id: str,
        *,
        session_id: str | None = None,
        types: list[str] | None = None,
        limit: int = 3000,
        through: int | None = None,
    ) -> list[Event[Any]]:
        """The latest sequenced events of a room (of one session, or of some types), oldest first, decoded;
        rows of a type this node does not know are skipped. The room replays them when it loads."""
        q = select(events).where(events.c.room_id == room_id, events.c.seq.is_not(None))
        if session_id is not None:
            q = q.where(events.c.session_id == session_id)
        if types is not None:
            q = q.where(events.c.type.in_(types))
        if through is not None:
            q = q.where(events.c.seq <= through)
        q = q.order_by(events.c.seq.desc()).limit(limit)
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(q)).mappings().all()
        events_ = (_decode(r) for r in reversed(rows))
        return [e for e in events_ if e is not None]

    async def stream(
        self, room_id: str, after: int, through: int, limit: int = 1000
    ) -> list[tuple[int, int, bytes | None, Event[Any] | None]]:
        """The room messages with after < seq <= through, oldest first, as the log keeps them: (seq,
        priority, wire bytes or None for a row written before the log kept them, the decoded event)."""
        q = (
            select(events)
            .where(events.c.room_id == room_id, events.c.seq > after, events.c.seq <= through)
            .order_by(events.c.seq)
            .limit(limit)
        )
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(q)).mappings().all()
        return [(int(r["seq"]), int(r["prio"] or 0), r["wire"], _decode(r)) for r in rows]

    async def recent_cids(self, room_id: str, limit: int = 10_000) -> list[tuple[str, str, int | None]]:
        """(user, cid, seq) of the room's latest actions that carried a cid, oldest first: the room's cid
        memory survives a restart (the log's unique key catches anything older)."""
        q = (
            select(events.c.user_id, events.c.cid, events.c.seq)
            .where(events.c.room_id == room_id, events.c.cid.is_not(None))
            .order_by(events.c.ts.desc())
            .limit(limit)
        )
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(q)).all()
        return [(str(u), str(c), None if s is None else int(s)) for u, c, s in reversed(rows)]

    async def followers_in_session(self, room_id: str, session_id: str) -> set[str]:
        """Who followed during a live session (a viewer follows once per session, whichever node)."""
        q = select(events.c.user_id).distinct().where(
            events.c.room_id == room_id, events.c.session_id == session_id, events.c.type == "viewer.followed"
        )
        async with self._db.engine.connect() as conn:
            return {str(u) for (u,) in (await conn.execute(q)).all() if u is not None}

    async def upsert_viewers(self, rows: Iterable[dict[str, Any]]) -> None:
        batch = list(rows)
        if not batch:
            return
        async with self._db.engine.begin() as conn:
            await conn.execute(
                self._upsert(viewers, batch, ["id"], ["nickname", "avatar", "level", "last_seen_at"])
            )


def _decode(r: Any) -> Event[Any] | None:
    """An event row decoded, or None for a type (or payload) this node does not know."""
    if r["type"] not in PAYLOAD_TYPES:
        return None
    try:
        body = decode_payload(r["type"], r["payload"])
    except (TypeError, ValueError):
        return None
    ctx = Context(id=r["ctx_id"], parent_id=r["ctx_parent"], actor=r["actor"])
    event = Event(r["room_id"], r["user_id"], body, r["session_id"], ctx, r["id"], int(r["ts"]))
    event.seq, event.cid = None if r["seq"] is None else int(r["seq"]), r["cid"]
    return event
