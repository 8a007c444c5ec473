"""``siyu serve``: the API and the room gateway (``siyu demo`` is in demo.py)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
import uvloop

from siyu.cli.common import ConfigOpt, console, load_or_exit, until_signalled
from siyu.config import ConfigError

__all__ = ["serve"]


def serve(
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(help="HTTP port (API, pages)")] = None,
    ws_port: Annotated[int | None, typer.Option("--ws-port", help="WebSocket port (default port+1)")] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="SQLAlchemy URL, e.g. postgresql+asyncpg://...")
    ] = None,
    demo_room: Annotated[
        str | None, typer.Option("--demo-room", help="Also load the shipped catalog into a live room")
    ] = None,
    redis: Annotated[
        str | None,
        typer.Option("--redis", help="Redis URL: serve rooms together with other processes/machines"),
    ] = None,
    workers: Annotated[
        int, typer.Option(help="Server processes on these ports (SO_REUSEPORT); needs --redis")
    ] = 1,
    config: ConfigOpt = None,
) -> None:
    """Run the HTTP API and the room WebSocket gateway."""
    from siyu.app import Node, tune_gc

    settings = load_or_exit(config, host=host, port=port, ws_port=ws_port, db_url=db, redis_url=redis)
    if workers > 1:
        from siyu.supervisor import prepare_sync, run_workers

        if not settings.redis_url:
            console.print("[red]配置错误 config.workers_need_redis[/red]: --workers > 1 needs --redis")
            raise typer.Exit(2)
        if not settings.port:
            console.print("[red]配置错误 config.workers_need_port[/red]: --workers > 1 needs a fixed --port")
            raise typer.Exit(2)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        prepare_sync(settings, demo_room)
        ws = settings.ws_port or settings.port + 1
        console.print(f"siyu: {workers} workers on HTTP :{settings.port}, WebSocket :{ws}")
        raise typer.Exit(run_workers(settings, workers, ws))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("picows").setLevel(logging.WARNING)  # it logs every accepted connection at INFO

    async def main() -> None:
        node = Node(settings)
        try:
            await node.start(demo_room=demo_room)  # GET /readyz answers 200 from here on
        except ConfigError as exc:  # found at start-up (e.g. config.sqlite_shared)
            console.print(f"[red]配置错误 {exc.code}[/red]: {exc.message}")
            await node.stop()
            raise SystemExit(2) from exc
        tune_gc()
        console.print(
            f"siyu serving HTTP {node.http_url}  WebSocket ws://{node.public_host}:{node.gateway.port}"
        )
        try:
            await until_signalled()
        finally:
            await node.stop()

    uvloop.run(main())
