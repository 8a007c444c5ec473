"""``siyu serve`` (the API and the room gateway) and ``siyu demo`` (a room with a simulated audience)."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import typer
import uvloop

from siyu.auth import Role
from siyu.cli.common import ConfigOpt, console, load_or_exit, until_signalled
from siyu.config import ConfigError

__all__ = ["demo", "serve"]


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
    from siyu.config import WeComSettings
    from siyu.playbooks.feature import Playbooks
    from siyu.playbooks.service import create_from_template
    from siyu.rooms.features import Products
    from siyu.rooms.welcome import WelcomeRenderer
    from siyu.sim import wecom as wecom_sandbox
    from siyu.sim.audience import Audience, AudienceConfig

    settings = load_or_exit(None, port=port, db_url=db)
    logging.basicConfig(level=logging.WARNING)

    async def main() -> None:
        sandbox = wecom_sandbox.serve()  # WeCom's API, locally: the invites' contact-way QR codes
        fake = sandbox.__enter__()
        settings.wecom = WeComSettings(
            api_base=fake.base, corp_id=wecom_sandbox.CORP_ID, secret=wecom_sandbox.SECRET,
            contact_users=["wanwan-zhuli"], group_chat_ids=["wrOgQhDgAAdemo"],
        )  # fmt: skip
        node = Node(settings)
        room = "demo"
        await node.start(demo_room=room)
        # the room runs the 带货直播 template: its playbooks drive the interactions (and the pin rotation)
        info, version, _doc = await create_from_template(
            node.rooms, room, "wanwan", "晚晚的衣橱·秋冬上新专场", "ecommerce", "demo"
        )
        live_room = await node.services.room(room)
        live_room.members.welcome = WelcomeRenderer(info.welcome_template)
        live_room.feature(Playbooks).changed(version, None, "demo")
        await node.ensure_demo_room(room, new_session=True)  # each run of the demo is its own live session
        tune_gc()
        viewer = node.signer.issue(room=room, user="demo-you", role=Role.VIEWER, nickname=nickname, level=6)
        host = node.signer.issue(room=room, user="demo-host", role=Role.HOST, nickname="晚晚")
        console.rule("siyu demo · 晚晚的衣橱")
        # URLs are printed unwrapped so they can be copied from any terminal width.
        console.print(f"[b]观众页[/b]      {node.http_url}/room/{room}#token={viewer}", soft_wrap=True)
        console.print(f"[b]主播控制台[/b]  {node.http_url}/host/{room}#token={host}", soft_wrap=True)
        console.print(f"API 文档      {node.http_url}/docs", soft_wrap=True)
        console.print("模拟观众正在进入直播间…  按 Ctrl-C 停止")
        listing = (await node.services.room(room)).feature(Products).listing()
        audience = Audience(
            node.ws_url, node.signer, room,
            AudienceConfig(arrivals, max_online, mean_comment_gap_s=comment_gap, avoid_names=(nickname,)),
            products={str(p["id"]): p for p in listing},
        )  # fmt: skip
        stop = asyncio.Event()
        sim = asyncio.create_task(audience.run(stop))
        try:
            if duration > 0:
                await asyncio.wait([asyncio.create_task(until_signalled())], timeout=duration)
            else:
                await until_signalled()
        finally:
            stop.set()
            await sim
            await asyncio.sleep(0.3)  # the last leaves reach the log
            report = await node.session_report(room)
            engine = live_room.feature(Playbooks).engine
            runs = {pid: dict(c.counts) for pid, c in engine.playbooks.items() if c.counts}
            await node.stop()
            console.rule("本场小结")
            if report is not None:
                console.print(report.text())
            s = audience.stats
            refused = "、".join(f"{code} {n} 次" for code, n in s.errors.items()) or "无"
            console.print(
                f"其中模拟观众 {s.entered} 位：评论 {s.comments} 条（提问 {s.questions} 条），"
                f"点赞 {s.likes} 次，礼物 {s.gifts} 个，领券 {s.claims} 张，投票 {s.votes} 次，"
                f"下单 {s.orders} 笔共 {s.gmv:.2f} 元；被拒绝的操作：{refused}。"
            )
            done = sum(n.get("ok", 0) + n.get("partial", 0) for n in runs.values())
            console.print(f"带货直播剧本：{len(runs)} 个剧本运行过，共执行 {done} 次（见自动化日志）。")
            for pid, counts in sorted(runs.items()):
                console.print(f"  · {pid}: " + "，".join(f"{k} {v}" for k, v in sorted(counts.items())))
            sandbox.__exit__(None, None, None)

    uvloop.run(main())
