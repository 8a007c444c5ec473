"""``siyu luckybag verify``: check a lucky bag's draw from its audit (over HTTP, or a saved file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.markup import escape

from siyu.cli.common import console
from siyu.interactions.luckybag.draw import verify

__all__ = ["luckybag_app"]

luckybag_app = typer.Typer(help="Lucky bags (福袋): check a draw", no_args_is_help=True)


def _fetch(url: str, room: str, bag: str) -> dict[str, Any]:
    got = httpx.get(f"{url.rstrip('/')}/api/rooms/{room}/luckybags/{bag}", timeout=10)
    if got.status_code != 200:
        error = (
            got.json().get("error", {})
            if got.headers.get("content-type", "").startswith("application/json")
            else {}
        )
        raise ValueError(
            f"HTTP {got.status_code} {error.get('code', '')}: {error.get('message', got.text[:200])}"
        )
    data: dict[str, Any] = got.json()
    return data


@luckybag_app.command("verify")
def luckybag_verify(
    url: Annotated[str | None, typer.Option(help="The server, e.g. http://127.0.0.1:8000")] = None,
    room: Annotated[str | None, typer.Option(help="Room id (with --url)")] = None,
    bag: Annotated[str | None, typer.Option(help="Lucky bag id (with --url)")] = None,
    file: Annotated[Path | None, typer.Option(help="An audit JSON saved before (instead of --url)")] = None,
    save: Annotated[Path | None, typer.Option(help="Also write the fetched audit JSON here")] = None,
) -> None:
    """Recompute a bag's winners from its published entries and seed: sha256(seed) must be the seed hash
    published at the start, and the winners the draw of docs/protocol.md. Prints OK (exit 0) or what
    differs (exit 1); exit 2 when there is nothing to check (no such bag, unreadable file, bad options)."""
    try:
        if file is not None:
            audit = json.loads(file.read_text(encoding="utf-8"))
        elif url and room and bag:
            audit = _fetch(url, room, bag)
        else:
            raise ValueError("give --file, or --url with --room and --bag")
        if not isinstance(audit, dict):
            raise ValueError("the audit is not a JSON object")
    except (OSError, ValueError, httpx.HTTPError) as exc:
        console.print(f"[red]无法核对[/red]: {escape(str(exc))}")
        raise typer.Exit(2) from exc
    if save is not None:
        save.write_text(json.dumps(audit, ensure_ascii=False, indent=2), encoding="utf-8")
    problems = verify(audit)
    name = escape(str(audit.get("bag_id", "?")))
    if problems:
        console.print(f"[red]不一致[/red] 福袋 {name}:")
        for p in problems:
            console.print(f"  - {escape(p)}")
        raise typer.Exit(1)
    winners = ", ".join(
        str(w.get("nick", w.get("id"))) for w in audit.get("winners", []) if isinstance(w, dict)
    )
    entered = len(audit.get("entries", []))
    console.print(
        f"[green]OK[/green] 福袋 {name}: sha256(seed) = seed_hash; {entered} 人参与，"
        f"按公开算法抽出的中奖者与公布的一致：{escape(winners) or '无'}"
    )
