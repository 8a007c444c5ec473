"""``siyu bench playbooks``: trigger -> action delivered with N active playbooks at RATE comments/s, while the
fan-out benchmark's load runs against the same node; the engine's CPU per 1,000 events.

The node runs in this process (the shared `demo_node`), so the engine's CPU is read directly
(bench/engine_meter.py); the clients run in spawned load processes: the commenters
(bench/playbooks_load.py) and the fan-out load (bench/fanout_load.py: viewers receiving the room's traffic,
a few of them sending comments and gifts, probes measuring delivery).

One run, phases on the same connections, each with the same comment rate and the fan-out load:

- `baseline`: no playbooks (an empty document): the room without the engine's work;
- `unmatched`: the N playbooks, comments that match none (the cost of feeding and matching);
- `playbooks`: the N playbooks, every comment carries one playbook's keyword and that playbook sends the
  commenter a personal message that quotes it (send_private): send -> that message is the measured latency;
- `playbooks_memory_ledger` (diagnostic, `memory_ledger=True`): the same with the contact budget's ledger
  in memory (`ContactBudget(None)`, what a dry run uses) instead of its database row: the engine's cost
  without the ledger's transaction. Not the product's path (one node only, nothing persisted).

Every personal message spends the per-viewer contact budget (rooms/budget.py, one compare-and-set
transaction per message). Its default rules (15 s between messages, 12 a session, 3 a minute) would refuse
almost every message at this rate, so the bench installs rules with no gap and no caps: the ledger's
transaction is still paid on every message, only its verdict is always yes.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from siyu.app import Node, tune_gc
from siyu.bench.claims import demo_node
from siyu.bench.engine_meter import EngineMeter, engine_alone
from siyu.bench.fanout import _summaries
from siyu.bench.fanout_load import Step, load_worker
from siyu.bench.harness import LatencySummary, WorkerPool, machine
from siyu.bench.playbooks_doc import EMPTY_DOCUMENT, OPEN_BUDGET, bench_document
from siyu.bench.playbooks_load import keyword_playbooks, sender_worker, texts
from siyu.bench.playbooks_result import LoadFigures, PhaseResult, PlaybooksResult
from siyu.config import Limits
from siyu.playbooks.feature import Playbooks
from siyu.playbooks.run import Trace
from siyu.playbooks.service import put_document
from siyu.rooms.budget import ContactBudget

SETTLE_S = 5.0
ROOM = "demo"
Progress = Callable[[str, float, float], None]


@contextmanager
def _server_gc() -> Iterator[list[float]]:
    """The server's GC and switch-interval tuning (`siyu serve` does it after start), undone afterwards;
    yields the collections' pause lengths (ms) as they happen, so a phase can count its own."""
    threshold, interval = gc.get_threshold(), sys.getswitchinterval()
    pauses: list[float] = []
    began = [0.0]

    def watch(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
        else:
            pauses.append((time.perf_counter() - began[0]) * 1000)

    tune_gc()
    gc.callbacks.append(watch)
    try:
        yield pauses
    finally:
        gc.callbacks.remove(watch)
        gc.unfreeze()
        gc.set_threshold(*threshold)
        sys.setswitchinterval(interval)


async def _wait(pools: list[WorkerPool], done: Callable[[], bool], tick: Callable[[], None]) -> None:
    """Collect the load processes' messages (in a thread: the node keeps this loop) until `done()`."""
    while not done():
        for pool in pools:
            await asyncio.to_thread(pool.poll, 0.05)
        tick()


def _count_failures(feature: Playbooks, failures: Counter[str]) -> None:
    """Tally the codes of failed or refused actions as the engine hands each trace to the feature."""
    handed = feature.engine.on_trace

    def traced(trace: Trace) -> None:
        for step in trace.actions:
            if step["status"] in ("failed", "refused"):
                failures[str(step.get("code"))] += 1
        if handed is not None:
            handed(trace)

    feature.engine.on_trace = traced


async def _settle(feature: Playbooks, members: int, timeout_s: float = 120.0) -> None:
    """Until every viewer is in the room (admitted, welcomed), then SETTLE_S for the entries' commits and
    writes: the first phase must not pay for the crowd's arrival."""
    deadline = time.perf_counter() + timeout_s
    while feature.room.members.count < members and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(SETTLE_S)


async def _runs_finished(feature: Playbooks, timeout_s: float = 180.0) -> int:
    """Wait until the engine's runs have finished (so the next phase starts on an idle engine); how many
    were still running after `timeout_s`."""
    engine = feature.engine
    tasks = [t for c in engine.playbooks.values() for ts in c.active.values() for t in ts if not t.done()]
    if not tasks:
        return 0
    _done, pending = await asyncio.wait(tasks, timeout=timeout_s)
    return len(pending)


def _status_counts(feature: Playbooks) -> dict[str, int]:
    out: dict[str, int] = {}
    for compiled in feature.engine.playbooks.values():
        for status, n in compiled.counts.items():
            out[status] = out.get(status, 0) + n
    return out


def _load_figures(step: Step, results: list[dict[str, Any]], viewers: int) -> LoadFigures:
    high, normal = _summaries("siyu", results)
    sent = sum(r["sends"] for r in results)
    return LoadFigures(
        viewers=viewers, offered_per_s=step.comment_rate + step.gift_rate, sent=sent,
        deliveries_per_s=round(sum(r["msgs"] for r in results) / step.duration, 1),
        frames_per_s=round(sum(r["frames"] for r in results) / step.duration, 1),
        latency_high=high, latency_normal=normal,
        echo_ratio=round(sum(r["echo"] for r in results) / sent, 4) if sent else 0.0,
        errors=sum(r["errors"] for r in results), loadgen_cpu_s=round(sum(r["cpu_s"] for r in results), 2),
    )  # fmt: skip


PHASES = (  # name, with the N playbooks, comments carry a keyword, the budget ledger
    ("baseline", False, False, "db"),
    ("unmatched", True, False, "db"),
    ("playbooks", True, True, "db"),
    ("playbooks_memory_ledger", True, True, "memory"),
)


@dataclass
class _Bench:
    """What every phase runs against."""

    node: Node
    feature: Playbooks
    meter: EngineMeter
    failures: Counter[str]
    sending: WorkerPool
    fanout: WorkerPool | None
    rate: float
    duration: float
    step: Step
    progress: Progress
    gc_pauses: list[float] = field(default_factory=list)


async def run_playbooks(
    playbooks: int = 100,
    rate: float = 2000.0,
    duration: float = 20.0,
    viewers: int = 1000,
    *,
    load: bool = True,
    memory_ledger: bool = True,
    senders: int | None = None,
    sender_procs: int = 1,
    loadgen: int = 1,
    room_rate: float = 50.0,
    gift_rate: float = 5.0,
    db_url: str | None = None,
    command: str = "",
    on_progress: Progress | None = None,
) -> PlaybooksResult:
    """The phases (PHASES; the last only with `memory_ledger`) on one node and one set of connections."""
    if playbooks < 1:
        raise ValueError("playbooks must be at least 1")
    senders = senders or max(sender_procs, min(1000, int(rate / 2)))
    progress = on_progress or (lambda label, done, total: None)
    limits = Limits(comment_rate="100000/second", frame_rate="100000/second")
    result = PlaybooksResult(
        command=command, machine=machine(), nproc=len(os.sched_getaffinity(0)),
        loadavg_before=[round(x, 2) for x in os.getloadavg()], loadavg_after=[], backend="",
        playbooks=playbooks, rate=rate, duration=duration, senders=senders, viewers=viewers if load else 0,
    )  # fmt: skip
    count, document = int(min(rate * duration, 20_000)), bench_document(playbooks)
    for name, doc, matched in (("none", EMPTY_DOCUMENT, False), ("unmatched", document, False),
                               ("matched", document, True)):  # fmt: skip
        comments = texts(count, playbooks, matched)
        result.engine_alone[name] = await engine_alone(doc, comments, OPEN_BUDGET)
    pools: list[WorkerPool] = []
    with EngineMeter() as meter:
        result.meter_overhead_us = meter.overhead_us
        async with demo_node("playbooks", db_url, limits=limits) as node:
            result.backend = "sqlite" if node.db.is_sqlite else "postgresql"
            feature = (await node.services.room(ROOM)).feature(Playbooks)
            feature.budget.rules = OPEN_BUDGET
            failures: Counter[str] = Counter()
            _count_failures(feature, failures)
            base = {"url": node.ws_url(ROOM), "secret": node.settings.secret, "room": ROOM}
            users = [f"p{i:05d}" for i in range(senders)]
            cfgs = [{**base, "users": users[i::sender_procs], "share": len(users[i::sender_procs]) / senders,
                     "workers": sender_procs, "index": i} for i in range(sender_procs)]  # fmt: skip
            pools.append(WorkerPool(sender_worker, cfgs))
            if load:
                pools.append(WorkerPool(load_worker, _fanout_configs(node, viewers, loadgen)))
            bench = _Bench(node, feature, meter, failures, pools[0], pools[1] if load else None, rate,
                           duration, Step(room_rate, gift_rate, duration), progress)  # fmt: skip
            try:
                with _server_gc() as bench.gc_pauses:
                    await _wait(pools, lambda: all(p.all_connected for p in pools), lambda: progress(
                        "连接观众", sum(sum(p.progress) for p in pools), senders + result.viewers))
                    await _settle(feature, senders + result.viewers)
                    db_ledger = feature.budget
                    for name, with_playbooks, matched, ledger in PHASES:
                        if ledger == "memory" and not memory_ledger:
                            continue
                        n = playbooks if with_playbooks else 0
                        feature.budget = feature.effects.budget = (
                            db_ledger if ledger == "db" else ContactBudget(None, OPEN_BUDGET)
                        )
                        doc = bench_document(n) if n else EMPTY_DOCUMENT
                        await put_document(node.services, ROOM, doc, "bench")
                        await feature.reload()  # running before the first comment of the phase
                        result.phases.append(await _phase(bench, name, n, matched, ledger))
                    feature.budget = feature.effects.budget = db_ledger
                    for pool in pools:
                        pool.send_all("stop")
                    await _wait(pools, lambda: all(p.done for p in pools), lambda: None)
            finally:
                for pool in pools:
                    pool.close()
    result.loadavg_after = [round(x, 2) for x in os.getloadavg()]
    return result


def _fanout_configs(node: Node, viewers: int, loadgen: int) -> list[dict[str, Any]]:
    users = [f"v{i:06d}" for i in range(viewers)]
    commenters, gifters = users[: max(4, loadgen * 4)], users[max(4, loadgen * 4) : max(4, loadgen * 4) + 2]
    out = []
    for i in range(loadgen):
        share = users[i::loadgen]
        mine = set(share)
        out.append({
            "target": "siyu", "url": node.ws_url(ROOM), "port": node.gateway.port,
            "secret": node.settings.secret, "room": ROOM, "users": share, "tag": f"f{i}-",
            "share": 1 / loadgen,
            "commenters": [u for u in commenters if u in mine], "gifters": [u for u in gifters if u in mine],
        })  # fmt: skip
    return out


async def _phase(b: _Bench, name: str, n: int, matched: bool, ledger: str) -> PhaseResult:
    node, feature, meter, sending, fanout = b.node, b.feature, b.meter, b.sending, b.fanout
    rate, duration, step = b.rate, b.duration, b.step
    before, counts0, stats0 = meter.snapshot(), _status_counts(feature), node.fanout_stats.as_dict()
    b.failures.clear()
    gc0 = len(b.gc_pauses)
    cpu0, t0 = time.process_time(), time.perf_counter()
    sending.step_results = [None] * len(sending.pipes)
    sending.send_all({"rate": rate, "duration": duration, "matched": matched,
                      "keywords": keyword_playbooks(n)})  # fmt: skip
    pools = [sending]
    if fanout is not None:
        fanout.step_results = [None] * len(fanout.pipes)
        fanout.send_all(step)
        pools.append(fanout)
    label = f"{name}: {rate:g} 条/秒"
    await _wait(pools, lambda: all(r is not None for p in pools for r in p.step_results),
                lambda: b.progress(label, min(time.perf_counter() - t0, duration), duration))  # fmt: skip
    unfinished = await _runs_finished(feature)  # a saturated node's runs outlive the senders' patience
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    after, counts1, stats1 = meter.snapshot(), _status_counts(feature), node.fanout_stats.as_dict()
    got = [r for r in sending.step_results if r is not None]
    calls = {k: after["calls"].get(k, 0) - before["calls"].get(k, 0) for k in after["calls"]}
    events = calls.get("committed", 0)
    comments = after["committed_types"].get("comment.posted", 0) - before["committed_types"].get(
        "comment.posted", 0
    )
    feed_ms = (after["feed_s"] - before["feed_s"]) * 1000
    clock_ms = (after["clock_s"] - before["clock_s"]) * 1000
    runs_ms = (after["run_s"] - before["run_s"]) * 1000
    sent = sum(r["sent"] for r in got)
    send_s = max(r["send_s"] for r in got) if got else 0.0
    drain_s = max((r["drain_s"] for r in got), default=0.0)
    errors: dict[str, int] = {}
    for r in got:
        for code, k in r["errors"].items():
            errors[code] = errors.get(code, 0) + k
    per_k = 1000 / events if events else 0.0
    out = PhaseResult(
        phase=name, playbooks=n, ledger=ledger, offered_rate=rate, sent=sent,
        achieved_rate=round(sent / send_s, 1) if send_s else 0.0,
        drain_s=round(drain_s, 2), committed_per_s=round(comments / max(1e-9, send_s + drain_s), 1),
        ack=LatencySummary.of([x for r in got for x in r["ack_ms"]]),
        action=LatencySummary.of([x for r in got for x in r["reply_ms"]]) if matched else None,
        ack_errors=errors, acks_missing=sum(r["acks_missing"] for r in got),
        replies_missing=sum(r["replies_missing"] for r in got) if matched else 0,
        late_acks=sum(r["late_acks"] for r in got), late_replies=sum(r["other_replies"] for r in got),
        runs_unfinished=unfinished,
        runs={k: v - counts0.get(k, 0) for k, v in counts1.items() if v - counts0.get(k, 0)},
        failed_actions=dict(b.failures),
        runs_started=calls.get("runs", 0), events=events, comments=comments,
        engine_feed_ms=round(feed_ms, 1), engine_clock_ms=round(clock_ms, 1),
        engine_runs_ms=round(runs_ms, 1),
        of_which_budget_ms=round((after["budget_s"] - before["budget_s"]) * 1000, 1),
        engine_us_per_event=round((feed_ms + runs_ms) * 1000 / events, 2) if events else 0.0,
        engine_ms_per_1000_events=round((feed_ms + clock_ms + runs_ms) * per_k, 2),
        node_cpu_s=round(cpu, 2), node_cpu_ms_per_1000_events=round(cpu * 1000 * per_k, 1),
        sampled_normal=int(stats1["sampled_normal"]) - int(stats0["sampled_normal"]),  # type: ignore[call-overload]
        dropped={k: int(stats1[k]) - int(stats0[k]) for k in ("dropped_low", "dropped_normal", "evicted")},  # type: ignore[call-overload]
        sender_cpu_s=round(sum(r["cpu_s"] for r in got), 2), wall_s=round(wall, 2),
        gc_pauses_over_10ms=sum(1 for ms in b.gc_pauses[gc0:] if ms > 10),
        gc_max_ms=round(max(b.gc_pauses[gc0:], default=0.0), 1),
    )  # fmt: skip
    if fanout is not None:
        load = [r for r in fanout.step_results if r is not None]
        out.load = _load_figures(step, load, sum(c or 0 for c in fanout.connected))
    return out
