"""What `siyu bench playbooks` reports: per phase, and for the run (docs/bench/playbooks.json)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from siyu.bench.harness import LatencySummary

TARGET_P99_MS = 20.0  # issue 13: trigger -> action delivered p99


@dataclass
class LoadFigures:
    """The fan-out load's own figures for one phase (as `siyu bench fanout` reports them)."""

    viewers: int
    offered_per_s: float
    sent: int
    deliveries_per_s: float
    frames_per_s: float
    latency_high: LatencySummary
    latency_normal: LatencySummary
    echo_ratio: float
    errors: int
    loadgen_cpu_s: float


@dataclass
class PhaseResult:
    phase: str
    playbooks: int
    ledger: str  # the contact budget's ledger: "db" (the product's) or "memory" (diagnostic)
    offered_rate: float
    sent: int
    achieved_rate: float  # what the senders sent per second
    drain_s: float  # after the last send, until the last ack / reply arrived (a saturated node's backlog)
    committed_per_s: float  # comments the node committed (these and the fan-out load's) per second of sending
    # and draining: below the offered rate when the node cannot keep up
    ack: LatencySummary  # comment sent -> its ack (committed)
    action: LatencySummary | None  # comment sent -> the playbook's personal message received
    ack_errors: dict[str, int]
    acks_missing: int
    replies_missing: int  # no reply by the end of the drain
    late_acks: int  # acks of an earlier phase's comments (its drain gave up: the node stalled > 10 s)
    late_replies: int  # replies to an earlier phase's comments (arrived after its drain ended)
    runs_unfinished: int  # runs still going 180 s after the phase (not counted in `runs`)
    runs: dict[str, int]  # runs by trace status (the feature's counters)
    failed_actions: dict[str, int]  # failed or refused actions by code (from the traces)
    runs_started: int
    events: int  # events this node committed (the engine's committed feed)
    comments: int
    engine_feed_ms: float  # committed + seen: state, trigger matching, firing
    engine_clock_ms: float  # advance, once per room tick (every viewer's stage and dwell)
    engine_runs_ms: float  # the runs' coroutine steps: conditions, templates, actions
    of_which_budget_ms: float  # the contact budget's spend (loop side), a part of the runs
    engine_us_per_event: float  # (feed + runs) / events: what each event costs
    engine_ms_per_1000_events: float  # (feed + clock + runs) per 1,000 events: all the engine's CPU
    node_cpu_s: float  # this process: the node, its threads (SQLite writer, driver), the meter
    node_cpu_ms_per_1000_events: float
    sampled_normal: int
    dropped: dict[str, int]
    sender_cpu_s: float
    wall_s: float
    gc_pauses_over_10ms: int  # this process's garbage collections longer than 10 ms during the phase
    gc_max_ms: float
    load: LoadFigures | None = None


@dataclass
class PlaybooksResult:
    command: str
    machine: str
    nproc: int
    loadavg_before: list[float]  # 1/5/15-minute load averages: other work on the box skews the tails
    loadavg_after: list[float]
    backend: str
    playbooks: int
    rate: float
    duration: float
    senders: int
    viewers: int
    engine_alone: dict[str, dict[str, float]] = field(default_factory=dict)  # no room: CPU per event
    meter_overhead_us: float = 0.0  # one measured window's own cost (in every feed call and run step)
    phases: list[PhaseResult] = field(default_factory=list)
    target_p99_ms: float = TARGET_P99_MS

    @property
    def measured(self) -> PhaseResult | None:
        return next((p for p in self.phases if p.phase == "playbooks"), None)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        m = self.measured
        d["target_met"] = bool(m and m.action and m.action.count and m.action.p99_ms <= self.target_p99_ms)
        return d
