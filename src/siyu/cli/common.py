"""What the command groups share: the console, loading settings, waiting for Ctrl-C, progress bars."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from siyu.config import ConfigError, Settings, load_settings

__all__ = ["ConfigOpt", "console", "load_or_exit", "progress_bars", "until_signalled"]

console = Console()

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="Path to a siyu.toml")]


def load_or_exit(config: Path | None, **overrides: object) -> Settings:
    try:
        return load_settings(config, **{k: v for k, v in overrides.items() if v is not None})
    except ConfigError as exc:
        console.print(f"[red]配置错误 {exc.code}[/red]: {exc.message}")
        raise typer.Exit(2) from exc


async def until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


@contextlib.contextmanager
def progress_bars() -> Iterator[Callable[[str, float, float], None]]:
    """A rich progress display; yields `update(label, done, total)` (one bar per label)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f}"),
    )
    with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
        tasks: dict[str, Any] = {}

        def update(label: str, done: float, total: float) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(label, total=total)
            progress.update(tasks[label], completed=done)

        yield update
