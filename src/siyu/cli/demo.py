"""``siyu demo``: the demo room with a simulated audience, and a partner room it fights PK battles with.

The demo room runs the 带货直播 playbook template. A second room (another shop, 小柚的衣橱) has its own
simulated audience and a simulated host who accepts PK invites; the demo room's simulated host invites it, a
simulated viewer asks for the mic and another calls a consultant (sim/together.py). Ctrl-C (or --duration)
ends it with a summary from the event log: the session, the playbooks' runs, the PK results next to their
recount from the log, the mic guests and the calls.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from typing import TYPE_CHECKING, Annotated, Any

import typer
import uvloop

from siyu.auth import Role
from siyu.cli.common import console, load_or_exit, until_signalled

if TYPE_CHECKING:
    from siyu.app import Node

__all__ = ["demo"]

ROOM, PARTNER_ROOM, PARTNER_SHOP_ID = "demo", "demo-pk", "xiaoyou"


async def open_partner_room(node: Node) -> None:
    """The PK partner: another shop (the demo catalog under 小柚's name) with a live room of its own."""
    from siyu.app import demo_catalog
    from siyu.rooms.features import Products
    from siyu.sim.together import PARTNER_SHOP, PARTNER_TITLE

    catalog: dict[str, Any] = copy.deepcopy(demo_catalog())
    catalog["shop"].update(PARTNER_SHOP)
    await node.rooms.load_catalog(PARTNER_SHOP_ID, catalog)
    await node.rooms.create_room(PARTNER_ROOM, PARTNER_SHOP_ID, PARTNER_TITLE)
    room = await node.services.room(PARTNER_ROOM)
    await room.feature(Products).reload_stock()
    await room.start_session("暖冬穿搭夜")  # each run of the demo is its own live session here too


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
    pk_after: Annotated[float, typer.Option("--pk-after", help="Seconds before the first PK invite")] = 8.0,
    pk_seconds: Annotated[int, typer.Option("--pk-seconds", help="A PK battle's length (60..900)")] = 120,
    mic_after: Annotated[float, typer.Option("--mic-after", help="Seconds before the mic request")] = 12.0,
    call_after: Annotated[float, typer.Option("--call-after", help="Seconds before the 1v1 call")] = 20.0,
) -> None:
    """A live room on SQLite with a simulated audience, a PK partner room, a mic guest and a 1v1 caller."""
    from siyu.app import Node, tune_gc
    from siyu.config import WeComSettings
    from siyu.playbooks.feature import Playbooks
    from siyu.playbooks.service import create_from_template
    from siyu.rooms.features import Products
    from siyu.rooms.welcome import WelcomeRenderer
    from siyu.sim import wecom as wecom_sandbox
    from siyu.sim.audience import Audience, AudienceConfig
    from siyu.sim.together import PARTNER_TITLE, Together, TogetherConfig
    from siyu.sim.together_report import together_report

    settings = load_or_exit(None, port=port, db_url=db)
    logging.basicConfig(level=logging.WARNING)
    together_cfg = TogetherConfig()
    together_cfg.pk.first_after_s, together_cfg.pk.seconds = pk_after, pk_seconds
    together_cfg.plan.mic_after_s, together_cfg.plan.call_after_s = mic_after, call_after

    async def main() -> None:
        sandbox = wecom_sandbox.serve()  # WeCom's API, locally: the invites' contact-way QR codes
        fake = sandbox.__enter__()
        settings.wecom = WeComSettings(
            api_base=fake.base, corp_id=wecom_sandbox.CORP_ID, secret=wecom_sandbox.SECRET,
            contact_users=["wanwan-zhuli"], group_chat_ids=["wrOgQhDgAAdemo"],
        )  # fmt: skip
        node = Node(settings)
        room = ROOM
        await node.start(demo_room=room)
        # the room runs the 带货直播 template: its playbooks drive the interactions (and the pin rotation)
        info, version, _doc = await create_from_template(
            node.rooms, room, "wanwan", "晚晚的衣橱·秋冬上新专场", "ecommerce", "demo"
        )
        live_room = await node.services.room(room)
        live_room.members.welcome = WelcomeRenderer(info.welcome_template)
        live_room.feature(Playbooks).changed(version, None, "demo")
        await node.ensure_demo_room(room, new_session=True)  # each run of the demo is its own live session
        await open_partner_room(node)
        tune_gc()
        viewer = node.signer.issue(room=room, user="demo-you", role=Role.VIEWER, nickname=nickname, level=6)
        host = node.signer.issue(room=room, user="demo-host", role=Role.HOST, nickname="晚晚")
        partner = node.signer.issue(room=PARTNER_ROOM, user="demo-you", role=Role.VIEWER, nickname=nickname)
        console.rule("siyu demo · 晚晚的衣橱")
        # URLs are printed unwrapped so they can be copied from any terminal width.
        console.print(f"[b]观众页[/b]      {node.http_url}/room/{room}#token={viewer}", soft_wrap=True)
        console.print(f"[b]主播控制台[/b]  {node.http_url}/host/{room}#token={host}", soft_wrap=True)
        console.print(f"PK 对手直播间 {node.http_url}/room/{PARTNER_ROOM}#token={partner}", soft_wrap=True)
        console.print(f"API 文档      {node.http_url}/docs", soft_wrap=True)
        console.print(
            f"模拟观众正在进入直播间…  {pk_after:.0f} 秒后晚晚向小柚的直播间发起 PK，"
            f"{mic_after:.0f} 秒后有观众申请连麦，{call_after:.0f} 秒后有观众呼叫顾问 1v1。按 Ctrl-C 停止"
        )

        def audience_of(room_id: str, share: float) -> Audience:
            listing = node.registry.loaded(room_id)
            products = listing.feature(Products).listing() if listing is not None else []
            cfg = AudienceConfig(arrivals * share, max(1, int(max_online * share)),
                                 mean_comment_gap_s=comment_gap, avoid_names=(nickname,))  # fmt: skip
            return Audience(node.ws_url, node.signer, room_id, cfg, {str(p["id"]): p for p in products})

        audience, rival = audience_of(room, 1.0), audience_of(PARTNER_ROOM, 0.6)
        stop = asyncio.Event()
        sims = [asyncio.create_task(a.run(stop)) for a in (audience, rival)]
        together = Together(node.ws_url, node.signer, room, PARTNER_ROOM, together_cfg)
        await together.start(stop)
        try:
            if duration > 0:
                await asyncio.wait([asyncio.create_task(until_signalled())], timeout=duration)
            else:
                await until_signalled()
        finally:
            stop.set()
            await asyncio.gather(*sims)  # the audiences leave once their gifts are acked (in the log) ...
            await together.finish()  # ... then a battle still on is stopped: its result counts them all
            await asyncio.sleep(0.3)  # the last leaves reach the log
            report = await node.session_report(room)
            rival_report = await node.session_report(PARTNER_ROOM)
            assert live_room.session is not None
            together_rep = await together_report(node.db, room, live_room.session.id)
            engine = live_room.feature(Playbooks).engine
            runs = {pid: dict(c.counts) for pid, c in engine.playbooks.items() if c.counts}
            await node.stop()
            console.rule("本场小结")
            if report is not None:
                console.print(report.text())
            s = audience.stats
            refused = "、".join(f"{code} {n} 次" for code, n in s.errors.items()) or "无"
            here = [p for p in together.peers if p.room_id == room]
            extra = sum(p.role is Role.VIEWER for p in here)  # the mic guest and the caller
            console.print(
                f"其中模拟观众 {s.entered + extra} 位：评论 {s.comments} 条（提问 {s.questions} 条），"
                f"点赞 {s.likes} 次，礼物 {s.gifts} 个，领券 {s.claims} 张，投票 {s.votes} 次，"
                f"下单 {s.orders} 笔共 {s.gmv:.2f} 元；被拒绝的操作：{refused}。"
                f"另有模拟的主播和顾问 {len(here) - extra} 位。"
            )
            done = sum(n.get("ok", 0) + n.get("partial", 0) for n in runs.values())
            console.print(f"带货直播剧本：{len(runs)} 个剧本运行过，共执行 {done} 次（见自动化日志）。")
            for pid, counts in sorted(runs.items()):
                console.print(f"  · {pid}: " + "，".join(f"{k} {v}" for k, v in sorted(counts.items())))
            console.rule("PK · 连麦 · 1v1")
            if rival_report is not None:
                r = rival.stats
                console.print(
                    f"PK 对手直播间「{PARTNER_TITLE}」：模拟观众 {r.entered} 位，礼物 {r.gifts} 个。"
                )
            for line in together_rep.lines():
                console.print(line)
            media = together.connected_calls
            console.print(f"音视频：{media} 路通话的画面在模拟端真实播放（aiortc，经 siyu 信令建立）。")
            sandbox.__exit__(None, None, None)

    uvloop.run(main())
