"""``siyu assistant ...``: ask one question, answer a questions file, evaluate against a QA file, and the
recommender's offline evaluation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from siyu.assistant.engine import Assistant

assistant_app = typer.Typer(
    help="AI live-room assistant: answers viewers' questions from the catalog", no_args_is_help=True
)
console = Console()
err_console = Console(stderr=True)

CatalogOpt = Annotated[Path, typer.Option("--catalog", help="Catalog file (.json, or .csv + .meta.json)")]


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[red]错误[/red]: {escape(message)}", soft_wrap=True)
    return typer.Exit(2)


def _assistant(catalog: Path) -> Assistant:
    from siyu.assistant.engine import Assistant
    from siyu.catalog import Catalog, CatalogError

    if not catalog.is_file():
        raise _fail(f"catalog file not found: {catalog}")
    try:
        return Assistant(Catalog.load(catalog))
    except (CatalogError, OSError) as exc:
        raise _fail(f"cannot load catalog {catalog}: {exc}") from exc


@assistant_app.command("ask")
def ask(
    question: Annotated[str, typer.Argument(help="The viewer's comment")],
    catalog: CatalogOpt,
    current_product: Annotated[
        str | None, typer.Option("--current-product", help="Product id on screen, e.g. P03")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {intent, product_id, answer, handoff}")
    ] = False,
) -> None:
    """Answer one question."""
    assistant = _assistant(catalog)
    if current_product is not None and assistant.catalog.get(current_product) is None:
        raise _fail(f"unknown product {current_product!r}")
    answer = assistant.ask(question, current_product)
    if as_json:
        typer.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
        return
    product = answer.product_id or "-"
    flag = " [转人工]" if answer.handoff else ""
    console.print(
        f"[bold]{answer.intent}[/bold] {product} ({answer.confidence:.2f}){escape(flag)}:"
        f" {escape(answer.answer)}"
    )


@assistant_app.command("answer")
def answer_file(
    catalog: CatalogOpt,
    questions: Annotated[Path, typer.Option("--questions", help="JSONL: id, question, current_product")],
    out: Annotated[Path, typer.Option("--out", help="Where to write one answer per line (JSONL)")],
) -> None:
    """Answer every question of a JSONL file."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from siyu.assistant.evaluate import QAFormatError, load_questions

    if not questions.is_file():
        raise _fail(f"questions file not found: {questions}")
    assistant = _assistant(catalog)
    try:
        items = load_questions(questions)
    except QAFormatError as exc:
        raise _fail(str(exc)) from exc
    lines = []
    with Progress(
        TextColumn("answering"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err_console
    ) as progress:
        task = progress.add_task("answer", total=len(items))
        for item in items:
            answer = assistant.ask(item.question, item.current_product)
            lines.append(json.dumps({"id": item.id, **answer.to_dict()}, ensure_ascii=False))
            progress.advance(task)
    try:
        out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc.strerror or exc}") from exc
    console.print(f"{len(lines)} answers -> {escape(str(out))}")


@assistant_app.command("eval")
def eval_(
    catalog: CatalogOpt,
    qa: Annotated[Path, typer.Option("--qa", help="QA JSONL with expectations (qa_dev.jsonl format)")],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the full report as JSON")
    ] = None,
    rounds: Annotated[int, typer.Option(help="Passes over the set for the latency figures")] = 3,
) -> None:
    """Score the assistant on a QA file (README scoring) and measure its latency."""
    from rich.table import Table

    from siyu.assistant.evaluate import QAFormatError, evaluate, load_qa

    if not qa.is_file():
        raise _fail(f"QA file not found: {qa}")
    assistant = _assistant(catalog)
    try:
        items = load_qa(qa)
    except QAFormatError as exc:
        raise _fail(str(exc)) from exc
    report = evaluate(assistant, items, rounds=rounds)

    summary = Table(title=f"{escape(qa.name)}: {report.n} questions")
    summary.add_column("metric")
    summary.add_column("value", justify="right")
    summary.add_row("intent accuracy", f"{report.intent_acc:.3f}")
    summary.add_row("product accuracy", f"{report.product_acc:.3f}")
    summary.add_row("fact accuracy", f"{report.fact_acc:.3f}")
    summary.add_row("pass rate", f"{report.pass_rate:.3f}")
    summary.add_row("latency p50 (ms)", f"{report.latency_p50_ms or 0:.3f}")
    summary.add_row("latency p99 (ms)", f"{report.latency_p99_ms or 0:.3f}")
    console.print(summary)

    per = Table(title="per intent")
    per.add_column("intent")
    for col in ("n", "intent acc", "product acc", "fact acc", "pass rate"):
        per.add_column(col, justify="right")
    for intent, r in report.per_intent.items():
        per.add_row(
            intent,
            str(int(r["n"])),
            f"{r['intent_acc']:.2f}",
            f"{r['product_acc']:.2f}",
            f"{r['fact_acc']:.2f}",
            f"{r['pass_rate']:.2f}",
        )
    console.print(per)
    for failure in report.failures:
        got = failure["got"] or {}
        console.print(
            f"[yellow]FAIL[/yellow] {escape(str(failure['id']))} {escape(failure['question'])} -> "
            f"{got.get('intent')} {got.get('product_id')}: {escape(str(got.get('answer')))}"
        )
    if json_out is not None:
        try:
            json_out.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
        except OSError as exc:
            raise _fail(f"cannot write {json_out}: {exc.strerror or exc}") from exc


@assistant_app.command("recommend-eval")
def recommend_eval(
    viewers: Annotated[int, typer.Option(help="Simulated viewers per run")] = 2000,
    seed: Annotated[int, typer.Option(help="First seed (runs use seed .. seed+runs-1)")] = 0,
    runs: Annotated[int, typer.Option(help="Seeds to average over")] = 5,
    k: Annotated[int, typer.Option(help="Hit rate @k")] = 5,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the result as JSON")] = None,
) -> None:
    """Offline hit rate@k of the recommender vs the popularity baseline on a generated interaction log."""
    from siyu.recommend import run_offline_eval

    with console.status("生成行为日志并评估推荐…"):
        result = run_offline_eval(viewers=viewers, seed=seed, k=k, runs=runs)
    console.print(result.summary())
    if json_out is not None:
        json_out.write_text(json.dumps(result.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
