"""``siyu playbook validate | schema | dry-run``: playbook files checked, their JSON Schema, and a replay of a
recorded session (``siyu events export``) that prints what would have fired and why, touching no room.

Exit codes: 0 fine, 1 a file does not validate (or an events / catalog file is not what it should be),
2 a file is missing or unreadable.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from siyu.cli.common import console

if TYPE_CHECKING:
    from siyu.playbooks.model import PlaybookFile
    from siyu.playbooks.run import Trace

__all__ = ["playbook_app"]

playbook_app = typer.Typer(help="Activation playbooks: validate, JSON Schema, dry run", no_args_is_help=True)
err_console = Console(stderr=True)

STATUS_ORDER = (
    "ok", "partial", "refused", "failed", "conditions_failed", "holdout", "skipped", "cancelled", "running",
)  # fmt: skip
STATUS_ZH = {
    "ok": "完成", "partial": "部分完成", "refused": "被拦下", "failed": "失败",
    "conditions_failed": "条件不满足",
    "holdout": "对照组", "skipped": "跳过", "cancelled": "取消", "running": "未结束",
}  # fmt: skip
STEP_MARK = {"ok": "✓", "failed": "✗", "refused": "⊘"}


@dataclass(slots=True)
class Loaded:
    """One playbook file read and validated: `doc`, or its `errors` and the exit code they mean."""

    file: str
    doc: PlaybookFile | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    code: int = 0  # 0 valid, 1 invalid, 2 unreadable

    def report(self) -> dict[str, Any]:
        """`validate --json`'s entry: file, ok, the playbook ids (null when invalid), errors."""
        ids = [pb.id for pb in self.doc.playbooks] if self.doc is not None else None
        return {"file": self.file, "ok": self.code == 0, "playbooks": ids, "errors": self.errors}


def _read(path: Path) -> str:
    """The file's text; OSError or UnicodeDecodeError when it cannot be read."""
    return path.read_text(encoding="utf-8")


def _unreadable(file: str, exc: Exception) -> Loaded:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    error = {"path": "(file)", "message": f"无法读取: {reason}", "type": "file.unreadable"}
    return Loaded(file, errors=[error], code=2)


def load(path: Path) -> Loaded:
    """Read and validate one playbook file; never raises for what is wrong with the file."""
    import siyu.app  # noqa: F401 - every wing's event payload types (triggers read them)
    from siyu.playbooks.model import PlaybookIssue, parse_file

    file = str(path)
    try:
        text = _read(path)
    except (OSError, UnicodeDecodeError) as exc:
        return _unreadable(file, exc)
    try:
        return Loaded(file, doc=parse_file(text, file))
    except PlaybookIssue as exc:
        return Loaded(file, errors=list(exc.errors), code=1)
    except RecursionError:
        # a YAML alias that contains itself through a nested list (choose, random_split, and/or/not):
        # the model's validators recurse without end; the file is refused rather than a traceback shown
        msg = "嵌套过深或循环引用（YAML 别名引用了它自己？）"
        error = {"path": "(document)", "message": msg, "type": "document.too_deep"}
        return Loaded(file, errors=[error], code=1)


def _print_errors(loaded: Loaded, out: Console) -> None:
    for e in loaded.errors:
        message = " ".join(e["message"].split())  # one line per error (YAML's messages span several)
        line = f"{loaded.file}: {e['path']}: {message} [{e['type']}]"
        out.print(f"[red]✗[/red] {escape(line)}", soft_wrap=True, highlight=False)


@playbook_app.command("validate")
def validate(
    files: Annotated[list[Path], typer.Argument(help="Playbook files (YAML or JSON)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON report instead")] = False,
) -> None:
    """Check playbook files: each valid file's playbooks, or each error (file, path in the document, message
    and code).

    Exit 1 when a file does not validate, 2 when a file is missing or unreadable."""
    results = [load(f) for f in files]
    code = max(r.code for r in results)
    if as_json:
        report = {"ok": code == 0, "files": [r.report() for r in results]}
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for r in results:
            if r.doc is not None:
                ids = ", ".join(pb.id for pb in r.doc.playbooks)
                line = f"{r.file}: {len(r.doc.playbooks)} 个剧本" + (f"（{ids}）" if ids else "")
                console.print(f"[green]✓[/green] {escape(line)}", soft_wrap=True, highlight=False)
            else:
                _print_errors(r, console)
    if code:
        raise typer.Exit(code)


@playbook_app.command("schema")
def schema(
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout")] = None,
) -> None:
    """The JSON Schema of a playbook file, with every registered trigger, condition and action (for editor
    completion, e.g. `# yaml-language-server: $schema=playbook.schema.json`)."""
    from siyu.playbooks.model import json_schema

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False)
    if out is None:
        typer.echo(text)
        return
    try:
        out.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        err_console.print(f"[red]无法写入[/red] {escape(str(out))}: {escape(exc.strerror or str(exc))}")
        raise typer.Exit(2) from exc
    err_console.print(f"JSON Schema → {escape(str(out))}", soft_wrap=True)


class InputError(Exception):
    """An events or catalog file that cannot be used: `code` is the exit code (1 invalid, 2 unreadable)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _products(catalog: Path | None) -> dict[str, str]:
    """Product id -> short name, from a catalog JSON (the shape of siyu/data/catalog.json) or the demo's."""
    if catalog is None:
        from siyu.app import demo_catalog

        data: Any = demo_catalog()
    else:
        try:
            data = json.loads(_read(catalog))
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{catalog}: {_unreadable(str(catalog), exc).errors[0]['message']}", 2) from exc
        except ValueError as exc:
            raise InputError(f"{catalog}: 不是 JSON: {exc}", 1) from exc
    products = data.get("products") if isinstance(data, dict) else None
    if not isinstance(products, list) or not all(isinstance(p, dict) and "id" in p for p in products):
        raise InputError(f"{catalog}: 不是商品目录（需要 products: [{{id, short_name, …}}]）", 1)
    return {str(p["id"]): str(p.get("short_name") or p.get("name") or p["id"]) for p in products}


def _events(path: Path) -> list[Any]:
    import siyu.app  # noqa: F401 - every wing's event payload types (event_from_json needs them)
    from siyu.playbooks.dryrun import read_events

    try:
        with path.open("rb") as f:
            return read_events(f)
    except OSError as exc:
        raise InputError(f"{path}: 无法读取: {exc.strerror or exc}", 2) from exc
    except ValueError as exc:  # "line N: not an exported event (...)"
        raise InputError(f"{path}: {exc}", 1) from exc


@playbook_app.command("dry-run")
def dry_run(
    file: Annotated[Path, typer.Argument(help="The playbook file")],
    events: Annotated[Path, typer.Option("--events", help="A recorded session: `siyu events export` JSONL")],
    catalog: Annotated[
        Path | None, typer.Option("--catalog", help="Catalog JSON for product names (default: the demo's)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the runs and what was done as JSON")] = False,
) -> None:
    """Replay a recorded event stream through the file's playbooks, touching no room: each run in order
    (time from the first event, playbook, trigger and why, each condition's verdict, each action), then
    runs per playbook and status. Exit 1 when the playbook, events or catalog file is invalid."""
    from siyu.playbooks.dryrun import dry_run as replay

    loaded = load(file)
    if loaded.doc is None:
        _print_errors(loaded, err_console)
        raise typer.Exit(loaded.code)
    try:
        products = _products(catalog)
        recorded = _events(events)
        traces, done = asyncio.run(replay(loaded.doc, recorded, products))
    except InputError as exc:
        err_console.print(f"[red]✗[/red] {escape(str(exc))}", soft_wrap=True, highlight=False)
        raise typer.Exit(exc.code) from exc
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        # a line that decodes but carries a field of the wrong type (payloads are not validated on read)
        msg = f"{events}: 事件无法回放: {type(exc).__name__}: {exc}"
        err_console.print(f"[red]✗[/red] {escape(msg)}", soft_wrap=True, highlight=False)
        raise typer.Exit(1) from exc
    runs = sorted(traces, key=lambda t: t.started_at)  # traces are kept as runs finish; print by start
    if as_json:
        typer.echo(json.dumps({"runs": [t.wire() for t in runs], "done": done}, ensure_ascii=False, indent=2))
        return
    first = recorded[0].ts if recorded else 0
    names = {e.user_id: e.payload.nickname for e in recorded if e.user_id and hasattr(e.payload, "nickname")}
    for trace in runs:
        _print_run(trace, first, names)
    console.print(_summary(loaded.doc, runs, done))
    total = sum(1 for d in done if d["what"] != "record")
    span = _clock(recorded[-1].ts - first) if recorded else "00:00"
    summary = f"回放 {len(recorded)} 条事件（{span}）：{len(runs)} 次运行，{total} 个动作"
    console.print(escape(summary), highlight=False)


def _clock(ms: int) -> str:
    s = max(0, ms) // 1000
    return f"{s // 60:02d}:{s % 60:02d}"


def _print_run(t: Trace, first: int, names: dict[str, str]) -> None:
    who = ""
    if t.user_id is not None:
        nick = names.get(t.user_id)
        who = f" → {t.user_id}" + (f"（{nick}）" if nick else "")
    variant = f" [变体 {t.variant}]" if t.variant else ""
    status = STATUS_ZH.get(t.status, t.status)
    head = f"{_clock(t.started_at - first)} {t.playbook}{who}{variant} · {status}"
    console.print(f"[bold]{escape(head)}[/bold]", soft_wrap=True, highlight=False)
    why = t.trigger.get("why") or ""
    ev = t.trigger.get("event")
    source = f"（事件 {ev['type']}）" if ev else ""
    console.print(escape(f"    触发 {t.trigger['type']}：{why}{source}"), soft_wrap=True, highlight=False)
    for c in t.conditions:
        mark = "[green]✓[/green]" if c["passed"] else "[red]✗[/red]"
        line = f"    条件 {mark} {escape(c['type'])}：{escape(c['reading'])}"
        console.print(line, soft_wrap=True, highlight=False)
    for a in t.actions:
        mark = STEP_MARK.get(a["status"], "·")
        code = f" [{a['code']}]" if a.get("code") else ""
        line = f"{mark} {a['type']} {a['status']}{code}：{a['reading']}"
        console.print("    动作 " + escape(line), soft_wrap=True, highlight=False)
        if a.get("note"):
            console.print("         " + escape(str(a["note"])), soft_wrap=True, highlight=False)
    if t.note:
        console.print("    " + escape(f"说明：{t.note}"), soft_wrap=True, highlight=False)


def _summary(doc: PlaybookFile, runs: list[Trace], done: list[dict[str, Any]]) -> Table:
    """Runs per playbook and status, and the actions each would have done (every playbook of the file)."""
    by_pb: dict[str, Counter[str]] = {pb.id: Counter() for pb in doc.playbooks}
    for t in runs:
        by_pb.setdefault(t.playbook, Counter())[t.status] += 1
    actions = Counter(d["playbook"] for d in done if d["what"] != "record")
    seen = {s for c in by_pb.values() for s in c}
    statuses = [s for s in STATUS_ORDER if s in seen] + sorted(seen - set(STATUS_ORDER))
    table = Table(title="剧本运行汇总", title_justify="left")
    table.add_column("剧本")
    table.add_column("运行", justify="right")
    for s in statuses:
        table.add_column(STATUS_ZH.get(s, s), justify="right")
    table.add_column("动作", justify="right")
    for pb_id, counts in by_pb.items():
        cells = [str(counts.get(s, 0)) for s in statuses]
        table.add_row(escape(pb_id), str(sum(counts.values())), *cells, str(actions.get(pb_id, 0)))
    return table
