"""The Alembic migrations build exactly the schema the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from siyu.store.db import Database
from siyu.store.tables import metadata


def _diff(conn: Connection) -> list[Any]:
    ctx = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(ctx, metadata))


async def test_migrations_match_tables_and_are_idempotent(db_url: str) -> None:
    db = Database(db_url)
    try:
        await db.migrate()
        await db.migrate()  # a second start-up finds the schema current and changes nothing
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(_diff)
            names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert diff == []
        assert {
            "shops",
            "products",
            "rooms",
            "live_sessions",
            "viewers",
            "events",
            "alembic_version",
        } <= names
    finally:
        await db.close()
