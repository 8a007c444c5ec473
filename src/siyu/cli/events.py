"""``siyu events export``: a live session's events from the event log as JSONL, one event per line in the
log's order (`siyu.events.event_to_json`; read back with `event_from_json`), e.g. for
``siyu playbook dry-run FILE --events EVENTS.jsonl``. Every event of the session is written, room messages
and the rest (entries, leaves, personal answers...)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.markup import escape

from siyu.cli.common import ConfigOpt, load_or_exit

__all__ = ["events_app"]

events_app = typer.Typer(help="The event log: export a live session's events", no_args_is_help=True)
err_console = Console(stderr=True)

PROGRESS_FROM = 1000
"""Exports to a file of at least this many events show a progress bar (on stderr)."""


class ExportError(Exception):
    """Nothing (or not everything) could be exported; the message says why, for people."""


@events_app.command("export")
def export(
    room: Annotated[str, typer.Option("--room", help="Room id")],
    session: Annotated[
        str | None, typer.Option("--session", help="Live session id (default: the room's latest)")
    ] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="SQLAlchemy URL (default: the configured database)")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout")] = None,
    config: ConfigOpt = None,
) -> None:
    """Write a live session's events as JSONL (one JSON object per event, in the log's order).

    Exit 2 with the reason when there is nothing to export: no such database, room or session."""
    settings = load_or_exit(config, db_url=db)
    try:
        written, skipped, session_id = asyncio.run(_export(settings.db_url, room, session, out))
    except ExportError as exc:
        err_console.print(f"[red]无法导出[/red]: {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from exc
    if skipped:
        kinds = "、".join(f"{k} {n} 条" for k, n in sorted(skipped.items()))
        err_console.print(f"[yellow]跳过本版本不认识的事件[/yellow]: {escape(kinds)}", soft_wrap=True)
    where = f" → {escape(str(out))}" if out is not None else ""
    done = f"已导出 {written} 条事件（直播间 {escape(room)}，场次 {session_id}）{where}"
    err_console.print(done, soft_wrap=True)


def _sqlite_file(url: str) -> str | None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ExportError(f"数据库地址无效: {url}") from exc
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return str(parsed.database)


async def _export(url: str, room_id: str, session_id: str | None, out: Path | None) -> tuple[
    int, dict[str, int], str
]:  # fmt: skip
    """(events written, {type: rows skipped}, the session's id)."""
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    import siyu.app  # noqa: F401 - registers every wing's payload types
    from siyu.events import event_to_json
    from siyu.rooms.service import NotFound, RoomService
    from siyu.store.db import Database

    path = _sqlite_file(url)
    if path is not None and not Path(path).is_file():  # (opening it would make an empty one)
        raise ExportError(f"数据库文件不存在: {path}")
    try:
        database = Database(url)
    except (ArgumentError, ImportError) as exc:
        raise ExportError(f"无法打开数据库 {url}: {exc}") from exc
    service = RoomService(database)
    try:
        try:
            await service.get_room(room_id)
        except NotFound:
            raise ExportError(f"没有这个直播间: {room_id}") from None
        try:
            session = await service.session(room_id, session_id)
        except NotFound:
            which = f"没有这个场次: {session_id}" if session_id else "还没有开播过"
            raise ExportError(f"直播间 {room_id} {which}") from None
        total = await service.session_size(session)
        written = 0
        skipped: dict[str, int] = {}
        with _sink(out) as put, _progress(total if out is not None else 0) as advance:
            lines: list[bytes] = []
            async with contextlib.aclosing(service.session_events(session)) as rows:
                async for kind, event in rows:
                    if event is None:
                        skipped[kind] = skipped.get(kind, 0) + 1
                        continue
                    lines.append(orjson.dumps(event_to_json(event)))
                    written += 1
                    if len(lines) >= 500:
                        put(b"\n".join(lines) + b"\n")
                        advance(written + sum(skipped.values()))
                        lines.clear()
            if lines:
                put(b"\n".join(lines) + b"\n")
            advance(total)
        return written, skipped, session.id
    except (SQLAlchemyError, OSError) as exc:  # e.g. not a siyu database (no such table), no server
        reason = getattr(exc, "orig", None) or exc
        raise ExportError(f"无法读取事件日志: {reason.__class__.__name__}: {reason}") from exc
    finally:
        await database.close()


@contextlib.contextmanager
def _sink(out: Path | None) -> Iterator[Callable[[bytes], None]]:
    """`put(data)` to stdout, or to a file written beside `out` and moved there once complete (a failed
    export leaves none); a failed write raises ExportError."""
    if out is None:
        stdout = sys.stdout.buffer

        def put_out(data: bytes) -> None:
            stdout.write(data)

        yield put_out
        stdout.flush()
        return
    part = out.with_name(out.name + ".part")
    try:
        try:
            f = part.open("wb")
        except OSError as exc:
            raise ExportError(f"无法写入 {out}: {exc.strerror or exc}") from exc
        with f:

            def put(data: bytes) -> None:
                try:
                    f.write(data)
                except OSError as exc:
                    raise ExportError(f"无法写入 {out}: {exc.strerror or exc}") from exc

            yield put
        try:
            os.replace(part, out)
        except OSError as exc:
            raise ExportError(f"无法写入 {out}: {exc.strerror or exc}") from exc
    finally:
        part.unlink(missing_ok=True)


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr for a long export (`advance(done)`), or nothing for a short one."""
    if total < PROGRESS_FROM:
        yield lambda _done: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("导出事件"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err_console
    ) as progress:
        task = progress.add_task("export", total=total)
        yield lambda done: progress.update(task, completed=done)
