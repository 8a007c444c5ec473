"""Playbook rows: each room's document (version, paused playbooks), fire-once claims, run traces, tags."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from siyu.events import now_ms
from siyu.store.db import Database
from siyu.store.tables import events, playbook_files, playbook_fires, playbook_runs, viewer_tags


@dataclass(frozen=True, slots=True)
class StoredFile:
    room_id: str
    version: int
    source: str
    paused: list[str]
    updated_at: int
    updated_by: str


class PlaybookStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, room_id: str) -> StoredFile | None:
        c = playbook_files.c
        async with self.db.engine.connect() as conn:
            row = (await conn.execute(select(playbook_files).where(c.room_id == room_id))).first()
        if row is None:
            return None
        m = row._mapping
        return StoredFile(
            m["room_id"],
            int(m["version"]),
            m["source"],
            list(m["paused"] or []),
            int(m["updated_at"]),
            m["updated_by"],
        )

    async def save(self, room_id: str, source: str, by: str) -> int:
        """Store a (validated) document as the room's next version; its pauses stay."""
        c = playbook_files.c
        for _ in range(5):
            old = await self.get(room_id)
            try:
                async with self.db.engine.begin() as conn:
                    if old is None:
                        await conn.execute(
                            insert(playbook_files).values(
                                room_id=room_id,
                                version=1,
                                source=source,
                                paused=[],
                                updated_at=now_ms(),
                                updated_by=by,
                            )
                        )
                        return 1
                    done = await conn.execute(
                        update(playbook_files)
                        .where(c.room_id == room_id, c.version == old.version)
                        .values(version=old.version + 1, source=source, updated_at=now_ms(), updated_by=by)
                    )
                    if done.rowcount == 1:
                        return old.version + 1
            except IntegrityError:
                continue
        raise RuntimeError("playbook document changed concurrently five times")

    async def set_paused(self, room_id: str, playbook_id: str, paused: bool, by: str) -> int:
        """Pause or resume one playbook; the new version."""
        c = playbook_files.c
        for _ in range(5):
            old = await self.get(room_id)
            if old is None:
                raise LookupError(room_id)
            now = sorted((set(old.paused) | {playbook_id}) if paused else (set(old.paused) - {playbook_id}))
            async with self.db.engine.begin() as conn:
                done = await conn.execute(
                    update(playbook_files)
                    .where(c.room_id == room_id, c.version == old.version)
                    .values(version=old.version + 1, paused=now, updated_at=now_ms(), updated_by=by)
                )
            if done.rowcount == 1:
                return old.version + 1
        raise RuntimeError("playbook document changed concurrently five times")

    async def claim(self, room_id: str, playbook_id: str, key: str) -> bool:
        """The fire-once claim of a timer trigger: True for the one node whose insert wins."""
        try:
            async with self.db.engine.begin() as conn:
                await conn.execute(
                    insert(playbook_fires).values(
                        room_id=room_id, playbook_id=playbook_id, key=key[:200], at=now_ms()
                    )
                )
        except IntegrityError:
            return False
        return True

    async def write_runs(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            async with self.db.engine.begin() as conn:
                await conn.execute(insert(playbook_runs), rows)

    async def runs(
        self,
        room_id: str,
        *,
        limit: int = 100,
        playbook_id: str | None = None,
        user_id: str | None = None,
        before: int | None = None,
    ) -> list[dict[str, Any]]:
        c = playbook_runs.c
        q = select(c.trace).where(c.room_id == room_id)
        if playbook_id is not None:
            q = q.where(c.playbook_id == playbook_id)
        if user_id is not None:
            q = q.where(c.user_id == user_id)
        if before is not None:
            q = q.where(c.started_at < before)
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(q.order_by(c.started_at.desc()).limit(limit))).all()
        return [dict(r.trace) for r in rows]

    async def exposures(self, room_id: str, session_id: str) -> dict[str, dict[str, int]]:
        """experiment -> variant -> viewers exposed in this live session, from the log (every node's)."""
        e = events.c
        q = select(e.user_id, e.payload).where(
            e.room_id == room_id, e.session_id == session_id, e.type == "experiment.exposed"
        )
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(q)).all()
        seen: dict[str, dict[str, str]] = {}
        for user, body in rows:
            seen.setdefault(str(body["experiment"]), {})[str(user)] = str(body["variant"])
        out: dict[str, dict[str, int]] = {}
        for exp, users in seen.items():
            counts = out.setdefault(exp, {})
            for variant in users.values():
                counts[variant] = counts.get(variant, 0) + 1
        return out

    async def tag(self, shop_id: str, user_id: str, tag: str) -> None:
        try:
            async with self.db.engine.begin() as conn:
                await conn.execute(
                    insert(viewer_tags).values(shop_id=shop_id, user_id=user_id, tag=tag, at=now_ms())
                )
        except IntegrityError:
            pass  # tagged before

    async def tags(self, shop_id: str, user_id: str) -> set[str]:
        c = viewer_tags.c
        async with self.db.engine.connect() as conn:
            rows = (await conn.execute(select(c.tag).where(c.shop_id == shop_id, c.user_id == user_id))).all()
        return {r.tag for r in rows}
