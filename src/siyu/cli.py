"""The `siyu` command line: a thin layer over the public API."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
import uvloop
from rich.console import Console

from siyu.assistant.cli import assistant_app
from siyu.auth import ANY_ROOM, Role, TokenSigner
from siyu.config import ConfigError, Settings, load_settings

app = typer.Typer(help="siyu 私域: live-room interaction layer", no_args_is_help=True)
token_app = typer.Typer(help="Issue signed access tokens", no_args_is_help=True)
app.add_typer(token_app, name="token")
bench_app = typer.Typer(help="Benchmarks (results go to docs/benchmarks.md)", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
app.add_typer(assistant_app, name="assistant")
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

    settings = _settings(config, host=host, port=port, ws_port=ws_port, db_url=db, redis_url=redis)
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
        await node.start()
        if demo_room:
            await node.ensure_demo_room(demo_room)
        tune_gc()
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
    comment_gap: Annotated[
        float, typer.Option("--comment-gap", help="Mean seconds between one simulated viewer's comments")
    ] = 6.0,
) -> None:
    """A live room on SQLite with a simulated audience; prints the viewer and host URLs."""
    from siyu.app import Node, tune_gc
    from siyu.sim.audience import Audience, AudienceConfig

    settings = _settings(None, port=port, db_url=db)
    logging.basicConfig(level=logging.WARNING)

    async def main() -> None:
        node = Node(settings)
        await node.start()
        room = "demo"
        await node.ensure_demo_room(room)
        tune_gc()
        viewer = node.signer.issue(room=room, user="demo-you", role=Role.VIEWER, nickname=nickname, level=6)
        host = node.signer.issue(room=room, user="demo-host", role=Role.HOST, nickname="晚晚")
        console.rule("siyu demo · 晚晚的衣橱")
        # URLs are printed unwrapped so they can be copied from any terminal width.
        console.print(f"[b]观众页[/b]      {node.http_url}/room/{room}#token={viewer}", soft_wrap=True)
        console.print(f"[b]主播控制台[/b]  {node.http_url}/host/{room}#token={host}", soft_wrap=True)
        console.print(f"API 文档      {node.http_url}/docs", soft_wrap=True)
        console.print("模拟观众正在进入直播间…  按 Ctrl-C 停止")
        audience = Audience(
            node.ws_url, node.signer, room,
            AudienceConfig(arrivals, max_online, mean_comment_gap_s=comment_gap),
        )  # fmt: skip
        stop = asyncio.Event()
        sim = asyncio.create_task(audience.run(stop))
        showing = asyncio.create_task(_rotate_pins(node, room, stop))
        try:
            if duration > 0:
                await asyncio.wait([asyncio.create_task(_until_signalled())], timeout=duration)
            else:
                await _until_signalled()
        finally:
            stop.set()
            await sim
            await showing
            answered = await node.event_count(room, "assistant.answered")
            hidden = await node.event_count(room, "comment.hidden")
            await node.stop()
            s = audience.stats
            console.print(
                f"模拟观众: 进入 {s.entered}, 3秒内离开 {s.bounced}, 评论 {s.comments} (提问 {s.questions}), "
                f"点赞 {s.likes}, 礼物 {s.gifts}, 错误 {s.errors or 0}"
            )
            console.print(f"AI助理回答 {answered} 条, 风控隐藏 {hidden} 条")

    uvloop.run(main())


async def _rotate_pins(node: Any, room_id: str, stop: asyncio.Event, every_s: float = 60.0) -> None:
    """The demo host shows products in turn (讲解中), so viewers' "这件" questions have a product."""
    room = await node.registry.get(room_id)
    if room is None or not room.products:
        return
    order = sorted(room.products, key=lambda pid: room.products[pid].get("link_no") or 0)
    i = 0
    while not stop.is_set():
        room.pin(order[i % len(order)])
        i += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)


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


@contextlib.contextmanager
def _progress() -> Iterator[Callable[[str, float, float], None]]:
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


def _run_bench(scenario: str, json_out: Path | None, **kwargs: Any) -> None:
    from rich.table import Table

    from siyu.bench.room import run_room_bench

    labels = {"connect": "连接观众", "measure": "测量中"}
    with _progress() as on_progress:
        result = run_room_bench(
            scenario, on_progress=lambda phase, done, total: on_progress(labels[phase], done, total), **kwargs
        )
    table = Table(title=f"siyu bench {scenario}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    data = result.as_dict()
    for key, value in data.items():
        if isinstance(value, dict):
            table.add_row(key, "  ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}"
                                         for k, v in value.items()))  # fmt: skip
        elif value is not None:
            table.add_row(key, str(value))
    console.print(table)
    if json_out is not None:
        json_out.write_text(json.dumps(data, ensure_ascii=False, indent=2))


JsonOpt = Annotated[Path | None, typer.Option("--json", help="Also write the result as JSON")]
ViewersOpt = Annotated[int, typer.Option(help="Concurrent viewers")]
WorkersOpt = Annotated[int, typer.Option(help="Load-generator processes")]
DbOpt = Annotated[str | None, typer.Option("--db", help="Server database URL (default: temp SQLite)")]


@bench_app.command("welcome")
def bench_welcome(
    viewers: ViewersOpt = 1000,
    probes: Annotated[int, typer.Option(help="Entries measured while the viewers are connected")] = 200,
    probe_rate: Annotated[float, typer.Option(help="Measured entries per second")] = 20.0,
    workers: WorkersOpt = 2,
    db: DbOpt = None,
    json_out: JsonOpt = None,
) -> None:
    """Enter -> personal welcome latency, with VIEWERS already in the room."""
    _run_bench("welcome", json_out, viewers=viewers, probes=probes, probe_rate=probe_rate, workers=workers,
               db_url=db)  # fmt: skip


@bench_app.command("comments")
def bench_comments(
    viewers: ViewersOpt = 1000,
    rate: Annotated[float, typer.Option(help="Comments per second into the room")] = 20.0,
    duration: Annotated[float, typer.Option(help="Seconds of sending")] = 20.0,
    workers: WorkersOpt = 2,
    db: DbOpt = None,
    json_out: JsonOpt = None,
) -> None:
    """Comment sent -> seen by another viewer, at RATE comments/s with VIEWERS connected."""
    _run_bench(
        "comments", json_out, viewers=viewers, rate=rate, duration=duration, workers=workers, db_url=db
    )


@bench_app.command("assistant")
def bench_assistant(
    viewers: ViewersOpt = 1000,
    rate: Annotated[float, typer.Option(help="Questions per second into the room")] = 20.0,
    duration: Annotated[float, typer.Option(help="Seconds of asking")] = 20.0,
    workers: WorkersOpt = 2,
    db: DbOpt = None,
    json_out: JsonOpt = None,
) -> None:
    """Question sent -> the assistant's answer received by the asker, with VIEWERS connected."""
    _run_bench(
        "assistant", json_out, viewers=viewers, rate=rate, duration=duration, workers=workers, db_url=db
    )


@bench_app.command("rss")
def bench_rss(
    connections: Annotated[int, typer.Option(help="Idle connections")] = 5000,
    workers: WorkersOpt = 2,
    json_out: JsonOpt = None,
) -> None:
    """Server RSS per idle room connection."""
    _run_bench("rss", json_out, viewers=connections, workers=workers)


@bench_app.command("fanout")
def bench_fanout(
    viewers: ViewersOpt = 5000,
    room_rate: Annotated[float, typer.Option("--room-rate", help="Comments per second into the room")] = 50.0,
    gift_rate: Annotated[float, typer.Option("--gift-rate", help="Gifts per second (high priority)")] = 5.0,
    duration: Annotated[float, typer.Option(help="Seconds per step")] = 20.0,
    workers: Annotated[int, typer.Option(help="siyu server processes (needs --redis when > 1)")] = 1,
    redis: Annotated[str | None, typer.Option("--redis", help="Redis URL for the siyu server")] = None,
    loadgen: Annotated[int, typer.Option(help="Load-generator processes")] = 2,
    peers: Annotated[bool, typer.Option("--peers", help="Also python-socketio and the raw baseline")] = False,
    sweep: Annotated[bool, typer.Option("--sweep", help="Step the offered rate up to find capacity")] = False,
    sampling: Annotated[bool, typer.Option(help="siyu's sampling of normal messages")] = True,
    batching: Annotated[bool, typer.Option(help="siyu's batching (off: one frame per message)")] = True,
    json_out: JsonOpt = None,
) -> None:
    """Room fan-out under load; with --peers, siyu vs python-socketio vs a raw picows broadcast."""
    from siyu.bench.fanout import TARGETS, default_sweep, run_fanout
    from siyu.bench.fanout_load import Step

    if peers:
        sampling = False  # every server must deliver every message for the comparison to mean anything
    targets = TARGETS if peers else ("siyu",)
    steps = [Step(room_rate, gift_rate, duration)]
    if sweep:
        share = gift_rate / max(room_rate + gift_rate, 1e-9)
        steps = [Step(r * (1 - share), r * share, duration) for r in default_sweep(viewers)]
    results = []
    with _progress() as on_progress:
        for target in targets:
            results.append(
                run_fanout(
                    target,
                    viewers=viewers,
                    steps=steps,
                    loadgen=loadgen,
                    workers=workers if target == "siyu" else 1,
                    redis_url=redis if target == "siyu" else None,
                    sampling=sampling,
                    batching=batching,
                    on_progress=on_progress,
                )  # fmt: skip
            )
    _print_fanout(results)
    if json_out is not None:
        json_out.write_text(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2))


def _print_fanout(results: list[Any]) -> None:
    from rich.table import Table

    table = Table(title="siyu bench fanout")
    columns = [
        "server", "offered/s", "deliveries/s", "frames/s", "delivered", "high p50/p99 ms",
        "normal p50/p95/p99 ms", "sampled", "dropped", "echo", "server CPU s", "loadgen CPU s",
    ]  # fmt: skip
    for col in columns:
        table.add_column(col, justify="right")
    for r in results:
        for st in r.steps:
            h, n = st.latency_high, st.latency_normal
            sampled = "-" if st.sampled_normal is None else str(st.sampled_normal)
            echo = "-" if st.echo_ratio is None else f"{st.echo_ratio:.1%}"
            table.add_row(
                r.target, f"{st.offered_msgs_per_s:g}", f"{st.deliveries_per_s:,.0f}",
                f"{st.frames_per_s:,.0f}", f"{st.delivered_ratio:.1%}", f"{h.p50_ms:.1f}/{h.p99_ms:.1f}",
                f"{n.p50_ms:.1f}/{n.p95_ms:.1f}/{n.p99_ms:.1f}", sampled, str(st.dropped or "-"), echo,
                f"{st.server_cpu_s:.1f}", f"{st.loadgen_cpu_s:.1f}",
            )  # fmt: skip
    console.print(table)
    for r in results:
        cap = r.capacity()
        console.print(
            f"{r.target}: {r.viewers} viewers, RSS/connection {r.rss_per_conn_kb} KB, "
            f"server RSS {r.server_rss_mb} MB, capacity (p99 <= 250 ms) "
            f"{cap if cap is not None else 'below the first step'} msgs/s"
        )


def main() -> None:
    app()
