"""Engine creation (SQLite or PostgreSQL), pragmas, and migrations on start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, pool
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class Database:
    """Owns the async engine. SQLite gets WAL and the configured `synchronous` level.

    For a SQLite file there is also `inline_writer`, a synchronous connection the event log commits on
    from the event-loop thread. Measured (docs/architecture.md, "Event log on SQLite"): through
    aiosqlite a commit is 3-4 hops to its thread and back, and while the loop is busy writing a batch to
    thousands of sockets each hop waits for the GIL's switch interval and for the loop's next turn,
    so commits took 7 ms at p50 and 66-230 ms at p99 under fan-out load. Inline, a commit is one
    fsync (~0.2 ms here) and never waits for another thread. It is opened with busy_timeout 0: it
    must never block the loop, so the event log retries a locked database asynchronously instead.
    """

    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL") -> None:
        parsed = make_url(url)
        self.url = url
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        # orjson for JSON columns: it also serialises the event payload dataclasses directly
        kwargs: dict[str, Any] = {"json_serializer": _dumps, "json_deserializer": orjson.loads}
        if self.is_sqlite:
            db_path = parsed.database
            if db_path and db_path != ":memory:":
                Path(db_path).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs.update(pool_size=10, max_overflow=10)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            sync = sqlite_synchronous

            @event.listens_for(self.engine.sync_engine, "connect")
            def _pragmas(dbapi_conn: Any, _record: Any) -> None:
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute(f"PRAGMA synchronous={sync}")
                cur.execute("PRAGMA busy_timeout=30000")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()

        self.inline_writer: Engine | None = None
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            self.inline_writer = create_engine(
                parsed.set(drivername="sqlite+pysqlite"),
                poolclass=pool.StaticPool,
                json_serializer=_dumps,
                connect_args={"check_same_thread": False, "timeout": 0},
            )
            sync = sqlite_synchronous

            @event.listens_for(self.inline_writer, "connect")
            def _inline_pragmas(dbapi_conn: Any, _record: Any) -> None:
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute(f"PRAGMA synchronous={sync}")
                cur.execute("PRAGMA busy_timeout=0")
                # checkpoints (copying the WAL into the database file) run off the loop thread
                cur.execute("PRAGMA wal_autocheckpoint=0")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()

    async def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        async with self.engine.begin() as conn:
            await conn.run_sync(_upgrade_head)

    async def checkpoint(self) -> None:
        """Copy the WAL back into the database file (SQLite), on aiosqlite's thread."""
        if self.is_sqlite:
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    async def close(self) -> None:
        if self.inline_writer is not None:
            self.inline_writer.dispose()
        await self.engine.dispose()


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def _upgrade_head(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")
