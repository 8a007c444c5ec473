"""``siyu room create``: a room on a shop, its playbooks from a shipped scenario template (带货直播 ecommerce,
秀场直播 show, 1V1社交直播 one_on_one), written to the database (a running node picks the room up when it is
first used; to change a live room's playbooks, PUT /api/rooms/{room}/playbooks)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console

from siyu.cli.common import ConfigOpt, load_or_exit

__all__ = ["room_app"]

room_app = typer.Typer(help="Rooms: create one from a scenario template", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


@room_app.command("create")
def create(
    room: Annotated[str, typer.Option("--room", help="room id")],
    template: Annotated[str, typer.Option("--template", help="ecommerce | show | one_on_one")] = "ecommerce",
    shop: Annotated[
        str, typer.Option("--shop", help="shop id (the demo shop's catalog is loaded if absent)")
    ] = "wanwan",
    title: Annotated[str, typer.Option("--title", help="the room's title")] = "",
    db: Annotated[
        str | None, typer.Option("--db", help="SQLAlchemy URL (default: the configured database)")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Create (or update) a room whose playbooks are a shipped scenario template."""
    from siyu.app import demo_catalog
    from siyu.playbooks.model import PlaybookIssue
    from siyu.playbooks.service import SCENARIOS, create_from_template
    from siyu.rooms.service import RoomService
    from siyu.store import Database

    if template not in SCENARIOS:
        err_console.print(f"[red]✗[/] 没有模板 {template}：可选 {', '.join(SCENARIOS)}")
        raise typer.Exit(2)
    settings = load_or_exit(config, db_url=db)

    async def run() -> None:
        database = Database(settings.db_url)
        try:
            await database.migrate()
            rooms = RoomService(database)
            if "shop" not in await rooms.catalog_document(shop):
                if shop != "wanwan":
                    raise LookupError(f"没有店铺 {shop}：先上传它的商品目录（PUT /api/shops/{shop}/catalog）")
                await rooms.load_catalog(shop, demo_catalog())
            info, version, doc = await create_from_template(
                rooms, room, shop, title or doc_title(template), template, "cli"
            )
            console.print(
                f"✓ 直播间 {info.id}（{info.title}）· 模板 {template} v{version} · "
                f"{len(doc.playbooks)} 个剧本"
            )
            for pb in doc.playbooks:
                console.print(f"  · {pb.id}  {pb.name}")
        finally:
            await database.close()

    try:
        asyncio.run(run())
    except (LookupError, PlaybookIssue) as exc:
        err_console.print(f"[red]✗[/] {exc}")
        raise typer.Exit(2) from exc


def doc_title(template: str) -> str:
    return {"ecommerce": "带货直播间", "show": "秀场直播间", "one_on_one": "1V1 社交直播间"}.get(
        template, "直播间"
    )
