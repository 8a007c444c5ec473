"""Live stock rows (`sku_stock`): the statements every change of a SKU's count goes through.

Each takes the caller's connection, so a change commits with whatever else the caller's transaction does
(an order's stock, its flash-sale units and its coupon are one transaction). Every change bumps the row's
`version`; nodes apply `stock` messages in version order, so concurrent changes never leave a node with an
older count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from siyu.store.tables import sku_stock

__all__ = ["Level", "level", "put_counts", "read_counts", "read_versions", "set_count", "take"]

s = sku_stock.c


@dataclass(frozen=True, slots=True)
class Level:
    """A SKU's count after a change, and the change's version."""

    count: int
    version: int


def _key(shop_id: str, product_id: str, sku: str) -> tuple[ColumnElement[bool], ...]:
    return (s.shop_id == shop_id, s.product_id == product_id, s.sku == sku)


async def take(conn: AsyncConnection, shop_id: str, product_id: str, sku: str, qty: int) -> Level | None:
    """Take `qty` (> 0 takes, < 0 gives back) if that many are left; None (and nothing changed) if not."""
    q = (
        update(sku_stock)
        .where(*_key(shop_id, product_id, sku), s.count >= qty)
        .values(count=s.count - qty, version=s.version + 1)
        .returning(s.count, s.version)
    )
    row = (await conn.execute(q)).first()
    return None if row is None else Level(int(row[0]), int(row[1]))


async def level(conn: AsyncConnection, shop_id: str, product_id: str, sku: str) -> Level:
    """The SKU's count and version now (0, 0 for a SKU without a row)."""
    q = select(s.count, s.version).where(*_key(shop_id, product_id, sku))
    row = (await conn.execute(q)).first()
    return Level(0, 0) if row is None else Level(int(row[0]), int(row[1]))


async def set_count(conn: AsyncConnection, shop_id: str, product_id: str, sku: str, count: int) -> Level:
    """A stock take: the SKU's count is `count` (the row is made if the SKU had none)."""
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    stmt = dialect.insert(sku_stock).values(shop_id=shop_id, product_id=product_id, sku=sku, count=count,
                                            version=1)  # fmt: skip
    stmt = stmt.on_conflict_do_update(
        index_elements=["shop_id", "product_id", "sku"], set_={"count": count, "version": s.version + 1}
    ).returning(s.count, s.version)
    row = (await conn.execute(stmt)).one()
    return Level(int(row[0]), int(row[1]))


async def put_counts(
    conn: AsyncConnection, shop_id: str, product_id: str, stock: Mapping[str, int], *, keep: bool = False
) -> None:
    """A product's whole stock map in one statement: a catalog upload is a stock take of each of its SKUs;
    with `keep`, only SKUs without a row get one (a node re-reading its shipped catalog keeps live counts)."""
    if not stock:
        return
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    rows = [{"shop_id": shop_id, "product_id": product_id, "sku": sku, "count": count, "version": 1}
            for sku, count in stock.items()]  # fmt: skip
    stmt = dialect.insert(sku_stock).values(rows)
    keys = ["shop_id", "product_id", "sku"]
    if keep:
        await conn.execute(stmt.on_conflict_do_nothing(index_elements=keys))
    else:
        set_ = {"count": stmt.excluded.count, "version": s.version + 1}
        await conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=set_))


async def read_counts(conn: AsyncConnection, shop_id: str) -> dict[str, dict[str, int]]:
    """product id -> sku -> count, for the shop's products that have stock rows."""
    q = select(s.product_id, s.sku, s.count).where(s.shop_id == shop_id)
    out: dict[str, dict[str, int]] = {}
    for product_id, sku, count in (await conn.execute(q)).all():
        out.setdefault(str(product_id), {})[str(sku)] = int(count)
    return out


async def read_versions(conn: AsyncConnection, shop_id: str) -> dict[tuple[str, str], int]:
    """(product id, sku) -> version, for the shop's stock rows."""
    q = select(s.product_id, s.sku, s.version).where(s.shop_id == shop_id)
    return {(str(p), str(k)): int(v) for p, k, v in (await conn.execute(q)).all()}
