"""The `siyu` command line: a thin layer over the public API."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import Annotated

import typer
import uvloop
from rich.console import Console
from rich.panel import Panel

from siyu.auth import ANY_ROOM, Role, TokenSigner
from siyu.config import ConfigError, Settings, load_settings

app = typer.Typer(help="siyu 私域: live-room interaction layer", no_args_is_help=True)
token_app = typer.Typer(help="Issue signed access tokens", no_args_is_help=True)
app.add_typer(token_app, name="token")
console = Console()

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="Path to a siyu.toml")]


def _settings(config: Path | None, **overrides: object) -> Settings:
    try:
        return load_settings(config, **{k: v for k, v in overrides.items() if v is not None})
    except ConfigError as exc:
        console.print(f"[red]配置错误 {exc.code}[/red]: {exc.message}")
        raise typer.Exit(2) from exc


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(help="HTTP port (API, pages)")] = None,
    ws_port: Annotated[int | None, typer.Option("--ws-port", help="WebSocket port (default port+1)")] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="SQLAlchemy URL, e.g. postgresql+asyncpg://...")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Run the HTTP API and the room WebSocket gateway."""
    from siyu.app import Node

    settings = _settings(config, host=host, port=port, ws_port=ws_port, db_url=db)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("picows").setLevel(logging.WARNING)  # it logs every accepted connection at INFO

    async def main() -> None:
        node = Node(settings)
        await node.start()
        console.print(
            f"siyu serving HTTP {node.http_url}  WebSocket ws://{node.public_host}:{node.gateway.port}"
        )
        try:
            await _until_signalled()
        finally:
            await node.stop()

    uvloop.run(main())


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="HTTP port; the WebSocket gateway uses port+1")] = 8000,
    db: Annotated[str, typer.Option("--db")] = "sqlite+aiosqlite:///./var/demo.db",
    arrivals: Annotated[float, typer.Option(help="Simulated viewers arriving per second")] = 1.5,
    max_online: Annotated[int, typer.Option(help="Cap on simulated viewers online")] = 60,
    nickname: Annotated[str, typer.Option(help="Your nickname on the viewer page")] = "小鹿",
    duration: Annotated[float, typer.Option(help="Stop after this many seconds (0 = until Ctrl-C)")] = 0,
) -> None:
    """A live room on SQLite with a simulated audience; prints the viewer and host URLs."""
    from siyu.app import Node
    from siyu.sim.audience import Audience, AudienceConfig

    settings = _settings(None, port=port, db_url=db)
    logging.basicConfig(level=logging.WARNING)

    async def main() -> None:
        node = Node(settings)
        await node.start()
        room = "demo"
        await node.ensure_demo_room(room)
        viewer = node.signer.issue(room=room, user="demo-you", role=Role.VIEWER, nickname=nickname, level=6)
        host = node.signer.issue(room=room, user="demo-host", role=Role.HOST, nickname="晚晚")
        console.print(
            Panel.fit(
                f"[b]观众页[/b]  {node.http_url}/room/{room}#token={viewer}\n\n"
                f"[b]主播控制台[/b]  {node.http_url}/host/{room}#token={host}\n\n"
                f"WebSocket  {node.ws_url(room)}?token=…   API docs {node.http_url}/docs\n"
                "按 Ctrl-C 停止",
                title="siyu demo · 晚晚的衣橱",
            )
        )
        audience = Audience(node.ws_url, node.signer, room, AudienceConfig(arrivals, max_online))
        stop = asyncio.Event()
        sim = asyncio.create_task(audience.run(stop))
        try:
            if duration > 0:
                await asyncio.wait([asyncio.create_task(_until_signalled())], timeout=duration)
            else:
                await _until_signalled()
        finally:
            stop.set()
            await sim
            await node.stop()
            s = audience.stats
            console.print(
                f"模拟观众: 进入 {s.entered}, 3秒内离开 {s.bounced}, 评论 {s.comments} (提问 {s.questions}), "
                f"点赞 {s.likes}, 礼物 {s.gifts}, 错误 {s.errors or 0}"
            )

    uvloop.run(main())


@token_app.command("issue")
def token_issue(
    room: Annotated[str, typer.Option(help=f"Room id ({ANY_ROOM!r} for an operator of every room)")],
    user: Annotated[str, typer.Option(help="User id")],
    role: Annotated[Role, typer.Option(help="viewer | host | assistant | operator")] = Role.VIEWER,
    nickname: Annotated[str | None, typer.Option(help="Display name")] = None,
    level: Annotated[int, typer.Option(help="Fan level")] = 0,
    ttl: Annotated[int | None, typer.Option(help="Lifetime in seconds")] = None,
    config: ConfigOpt = None,
) -> None:
    """Print a signed token for ROOM, USER and ROLE."""
    settings = _settings(config)
    signer = TokenSigner(settings.secret, settings.token_ttl_s)
    typer.echo(signer.issue(room=room, user=user, role=role, nickname=nickname, level=level, ttl_s=ttl))


def main() -> None:
    app()
