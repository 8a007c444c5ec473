"""Engine creation (SQLite or PostgreSQL), pragmas, and migrations on start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class Database:
    """Owns the async engine. SQLite gets WAL and the configured `synchronous` level.

    For a SQLite file, `sqlite_file` names it: the event log writes through its own connection on one
    thread of its own (store/eventlog.py explains why).
    """

    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL") -> None:
        parsed = make_url(url)
        self.url = url
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        # orjson for JSON columns: it also serialises the event payload dataclasses directly
        kwargs: dict[str, Any] = {"json_serializer": json_dumps, "json_deserializer": orjson.loads}
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

        self.sqlite_synchronous = sqlite_synchronous
        self.sqlite_file: str | None = None
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            self.sqlite_file = parsed.database

    async def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        async with self.engine.begin() as conn:
            await conn.run_sync(_upgrade_head)

    async def close(self) -> None:
        await self.engine.dispose()


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def _upgrade_head(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")
