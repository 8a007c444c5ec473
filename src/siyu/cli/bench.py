"""``siyu bench ...``: the room benchmarks (welcome, comments, assistant, rss) and the fan-out comparison."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from siyu.cli.common import console, progress_bars

__all__ = ["bench_app"]

bench_app = typer.Typer(help="Benchmarks (results go to docs/benchmarks.md)", no_args_is_help=True)


def _run_bench(scenario: str, json_out: Path | None, **kwargs: Any) -> None:
    from rich.table import Table

    from siyu.bench.room import run_room_bench

    labels = {"connect": "连接观众", "measure": "测量中"}
    with progress_bars() as on_progress:
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


@bench_app.command("claims")
def bench_claims(
    claimers: Annotated[int, typer.Option(help="Concurrent claimers (real WebSocket clients)")] = 5000,
    quantity: Annotated[int, typer.Option(help="Coupons in the drop")] = 100,
    db: DbOpt = None,
    json_out: JsonOpt = None,
) -> None:
    """CLAIMERS claim a QUANTITY-coupon drop at once: grants, claim -> ack p50/p99, claims/s; and a naive
    read-then-write claim in the same run, which oversells."""
    import asyncio

    from rich.table import Table

    from siyu.bench.claims import run_claims

    result = asyncio.run(run_claims(claimers, quantity, db))
    table = Table(title="siyu bench claims")
    table.add_column("metric")
    table.add_column("value", justify="right")
    data = result.as_dict()
    for key, value in data.items():
        table.add_row(key, f"{value:.2f}" if isinstance(value, float) else str(value))
    console.print(table)
    if json_out is not None:
        json_out.write_text(json.dumps(data, ensure_ascii=False, indent=2))


@bench_app.command("orders")
def bench_orders(
    buyers: Annotated[int, typer.Option(help="Concurrent buyers (real WebSocket clients)")] = 2000,
    stock: Annotated[int, typer.Option(help="Pieces of the SKU left")] = 100,
    db: DbOpt = None,
    json_out: JsonOpt = None,
) -> None:
    """BUYERS order the last STOCK pieces of one SKU at once: orders placed, order -> ack p50/p99,
    orders/s; and a naive read-then-write order in the same run, which oversells."""
    import asyncio

    from siyu.bench.orders import run_orders

    _print_result("siyu bench orders", asyncio.run(run_orders(buyers, stock, db)).as_dict(), json_out)


def _print_result(title: str, data: dict[str, Any], json_out: Path | None) -> None:
    from rich.table import Table

    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in data.items():
        table.add_row(key, f"{value:.2f}" if isinstance(value, float) else str(value))
    console.print(table)
    if json_out is not None:
        json_out.write_text(json.dumps(data, ensure_ascii=False, indent=2))


@bench_app.command("poll")
def bench_poll(
    viewers: ViewersOpt = 1000,
    rate: Annotated[float, typer.Option(help="Votes per second (each viewer votes once)")] = 200.0,
    db: DbOpt = None,
    json_out: JsonOpt = None,
) -> None:
    """VIEWERS vote once each at RATE votes/s: vote -> ack and vote -> tally p50/p99, tally frames, and the
    frames a per-vote broadcast would cost."""
    import asyncio

    from siyu.bench.polls import run_poll

    _print_result("siyu bench poll", asyncio.run(run_poll(viewers, rate, db)).as_dict(), json_out)


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
    with progress_bars() as on_progress:
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


@bench_app.command("playbooks")
def bench_playbooks(
    playbooks: Annotated[int, typer.Option(help="Active playbooks in the room's document")] = 100,
    rate: Annotated[float, typer.Option(help="Comments per second, each a playbook's trigger")] = 2000.0,
    duration: Annotated[float, typer.Option(help="Seconds of sending per phase")] = 20.0,
    viewers: Annotated[int, typer.Option(help="Viewers of the fan-out load")] = 1000,
    load: Annotated[bool, typer.Option("--load/--no-load", help="Run the fan-out load alongside")] = True,
    memory_ledger: Annotated[
        bool, typer.Option(help="Also a diagnostic phase with the contact budget's ledger in memory")
    ] = True,
    senders: Annotated[int | None, typer.Option(help="Commenting viewers (default: rate/2, ≤ 1,000)")] = None,
    room_rate: Annotated[float, typer.Option("--room-rate", help="Fan-out load: comments/s")] = 50.0,
    gift_rate: Annotated[float, typer.Option("--gift-rate", help="Fan-out load: gifts/s")] = 5.0,
    db: DbOpt = None,
    json_out: JsonOpt = None,
) -> None:
    """Comment -> the playbook's personal message, with PLAYBOOKS active at RATE comments/s while the
    fan-out load runs; engine CPU per 1,000 events; in the same run a baseline (no playbooks), an unmatched
    phase and a diagnostic one with the contact budget's ledger in memory."""
    import sys

    import uvloop

    from siyu.bench.playbooks import run_playbooks

    command = " ".join(["siyu", *sys.argv[1:]])
    with progress_bars() as on_progress:
        result = uvloop.run(
            run_playbooks(
                playbooks, rate, duration, viewers, load=load, memory_ledger=memory_ledger, senders=senders,
                room_rate=room_rate, gift_rate=gift_rate, db_url=db, command=command, on_progress=on_progress,
            )  # fmt: skip
        )
    _print_playbooks(result.as_dict())
    if json_out is not None:
        json_out.write_text(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))


def _ms(s: dict[str, Any] | None) -> str:
    if not s or not s.get("count"):
        return "-"
    return f"{s['p50_ms']:.1f} / {s['p95_ms']:.1f} / {s['p99_ms']:.1f} / {s['max_ms']:.1f}"


def _print_playbooks(data: dict[str, Any]) -> None:
    from rich.table import Table

    phases = data["phases"]
    table = Table(title=f"siyu bench playbooks ({data['machine']}, nproc {data['nproc']})")
    table.add_column("metric")
    for p in phases:
        table.add_column(p["phase"], justify="right")

    def row(label: str, value: Any) -> None:
        table.add_row(label, *(value(p) for p in phases))

    row("playbooks (ledger)", lambda p: f"{p['playbooks']} ({p['ledger']})")
    row("sent (achieved/s)", lambda p: f"{p['sent']:,} ({p['achieved_rate']:,.0f}/s)")
    row("ack p50/p95/p99/max ms", lambda p: _ms(p["ack"]))
    row("trigger → action p50/p95/p99/max ms", lambda p: _ms(p["action"]))
    row("replies missing", lambda p: str(p["replies_missing"]) if p["action"] else "-")
    row("runs by status", lambda p: " ".join(f"{k}={v:,}" for k, v in p["runs"].items()) or "-")
    row("events committed", lambda p: f"{p['events']:,}")
    row("engine µs/event (feed + runs)", lambda p: f"{p['engine_us_per_event']:.1f}")
    row("engine CPU ms / 1,000 events (all)", lambda p: f"{p['engine_ms_per_1000_events']:.1f}")
    row("… feed / clock / runs (budget) ms", lambda p: f"{p['engine_feed_ms']:.0f} / "
        f"{p['engine_clock_ms']:.0f} / {p['engine_runs_ms']:.0f} "
        f"({p['of_which_budget_ms']:.0f})")  # fmt: skip
    row("node CPU s (ms / 1,000 events)",
        lambda p: f"{p['node_cpu_s']:.1f} ({p['node_cpu_ms_per_1000_events']:.0f})")  # fmt: skip
    row("fan-out high p50/p95/p99/max ms", lambda p: _ms(p["load"] and p["load"]["latency_high"]))
    row("fan-out normal p50/p95/p99/max ms", lambda p: _ms(p["load"] and p["load"]["latency_normal"]))
    row("fan-out deliveries/s", lambda p: f"{p['load']['deliveries_per_s']:,.0f}" if p["load"] else "-")
    console.print(table)
    alone = "  ".join(f"{k}: {v['feed_us_per_event']:.1f} / {v['us_per_event']:.1f}"
                      for k, v in data["engine_alone"].items())  # fmt: skip
    console.print(f"engine alone (no room), µs per event, feed / with runs: {alone}; the meter's own "
                  f"window: {data['meter_overhead_us']:.2f} µs per feed call or run step")  # fmt: skip
    m = next((p["action"] for p in phases if p["phase"] == "playbooks"), None) or {}
    verdict = "met" if data["target_met"] else "NOT met"
    console.print(f"trigger → action p99 {m.get('p99_ms', float('nan')):.1f} ms; target ≤ "
                  f"{data['target_p99_ms']:g} ms: {verdict}")  # fmt: skip


@bench_app.command("call")
def bench_call(
    calls: Annotated[int, typer.Option(help="Calls set up one by one (and as many baseline calls)")] = 30,
    hold: Annotated[float, typer.Option(help="Then one call held this long (s) for its stats; 0: no")] = 30.0,
    width: Annotated[int, typer.Option(help="Video width asked for")] = 1280,
    height: Annotated[int, typer.Option(help="Video height asked for")] = 720,
    fps: Annotated[int, typer.Option(help="Frame rate asked for (and of the fake camera)")] = 30,
    netem: Annotated[int, typer.Option(help="Also the run in a network namespace with this delay (ms)")] = 0,
    baseline_only: Annotated[bool, typer.Option("--baseline-only", help="Only the aiortc baseline")] = False,
    start_kbps: Annotated[int, typer.Option(help="Diagnostic: x-google-start-bitrate on the bench page")] = 0,
    driver: Annotated[str | None, typer.Option(help="pages (real pages) | bench (bench page)")] = None,
    delay: Annotated[int, typer.Option(help="Emulated one-way delay (ms): user-space proxies")] = 0,
    answer_after: Annotated[int, typer.Option(help="Pages: the automated 接听 waits this long (ms)")] = 0,
    in_netns: Annotated[int, typer.Option(hidden=True, help="Set by --netem for the run inside")] = -1,
    json_out: JsonOpt = None,
) -> None:
    """1v1 call set-up, viewer's request -> first remote video frame decoded, in Chromium with fake devices,
    split into ring/accept, signalling and ICE/DTLS/media; a plain aiortc offer -> first frame baseline in the
    same run; then one call held HOLD s (resolution, fps, freezes). With --netem MS, the same again with MS of
    added delay on loopback inside a network namespace."""
    import asyncio
    import sys

    from siyu.bench.call import run_call_bench
    from siyu.bench.call_netem import drop_opts, run_in_netns
    from siyu.bench.call_report import print_call

    argv = sys.argv[sys.argv.index("call") + 1 :] if "call" in sys.argv else []
    command = " ".join(["siyu bench call", *argv])
    inside = in_netns >= 0
    with progress_bars() as on_progress:
        result = asyncio.run(run_call_bench(
            calls, hold, width, height, fps, baseline_only=baseline_only, delay_ms=max(0, in_netns),
            command=command, start_kbps=start_kbps, in_netns=inside, driver=driver, on_progress=on_progress,
            emulated_delay_ms=delay, answer_after_ms=max(0, answer_after),
        )).as_dict()  # fmt: skip
    runs = [result]
    if netem > 0 and not inside:
        runs.append(run_in_netns(netem, drop_opts(argv)))
    for r in runs:
        print_call(console, r)
    if json_out is not None:
        json_out.write_text(json.dumps(runs if len(runs) > 1 else result, ensure_ascii=False, indent=2))


@bench_app.command("pk")
def bench_pk(
    viewers: Annotated[int, typer.Option(help="Viewers in EACH of the two rooms")] = 1000,
    rate: Annotated[float, typer.Option(help="Gifts per second into room A")] = 5.0,
    duration: Annotated[float, typer.Option(help="Seconds of gifting")] = 30.0,
    redis: Annotated[str | None, typer.Option("--redis", help="Redis URL (default: a throwaway one)")] = None,
    db: DbOpt = None,
    json_out: JsonOpt = None,
) -> None:
    """PK scoreboard on two nodes: a gift in room A -> the score seen in room B (p50/p95/p99)."""
    import asyncio

    from siyu.bench.pk import run_pk

    data = asyncio.run(run_pk(viewers, rate, duration, redis, db)).as_dict()
    _print_result("siyu bench pk", {k: v for k, v in data.items() if not isinstance(v, dict)}, None)
    for key in ("gift_to_score_in_b", "gift_ack"):
        console.print(key, "  ".join(f"{k}={v:.1f}" for k, v in data[key].items()))
    if json_out is not None:
        json_out.write_text(json.dumps(data, ensure_ascii=False, indent=2))
