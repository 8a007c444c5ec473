"""`siyu bench fanout`: room fan-out under load, for siyu and side by side with two peers.

Targets: siyu (`siyu serve`), python-socketio (one room emit per message, on uvicorn) and the raw picows
broadcast baseline ("the limit"). Each runs in its own process; N viewers are spread over load-generator
processes; comment and gift senders are among them. A run is a list of steps (offered rates) on the same
connections, so a sweep finds each server's capacity.

Latency is sender -> receiver, measured by a subset of "probe" viewers in every load process:
- siyu: the sender notes (seq, send time) from its ack; probes note (seq, receive time); the parent joins
  them. The protocol carries no client timestamps, so nothing is added to the messages.
- peers: the payload carries the send time (`t`) and the class (`k`).
Gifts are high priority, comments normal. Deliveries are logical messages received by viewers.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from siyu.bench.fanout_load import Step, load_worker
from siyu.bench.harness import (
    LatencySummary,
    ServerProcess,
    WorkerPool,
    machine,
    raise_fd_limit,
    terminate,
    tree_cpu_seconds,
    tree_rss,
)
from siyu.bench.peers import peer_command

TARGETS = ("siyu", "socketio", "raw")


# --- parent side -------------------------------------------------------------------------------------


class PeerProcess:
    """A benchmark peer (raw or socketio) in its own process."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.proc = subprocess.Popen(peer_command(kind, 0), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        if not line.startswith("READY "):
            raise RuntimeError(f"peer {kind} did not start: {line!r}")
        self.port = int(line.split()[1])

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.proc.pid)

    def rss(self) -> int:
        return tree_rss(self.proc.pid)

    def stop(self) -> None:
        terminate(self.proc)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@dataclass
class StepResult:
    offered_msgs_per_s: float
    sent: int
    deliveries_per_s: float
    frames_per_s: float
    expected_deliveries: int
    delivered_ratio: float
    latency_high: LatencySummary
    latency_normal: LatencySummary
    sampled_normal: int | None
    dropped: dict[str, int] | None
    echo_ratio: float | None
    errors: int
    server_cpu_s: float
    loadgen_cpu_s: float


@dataclass
class FanoutResult:
    target: str
    viewers: int
    workers: int
    sampling: bool
    batching: bool
    machine: str
    rss_per_conn_kb: float
    server_rss_mb: float
    steps: list[StepResult] = field(default_factory=list)

    def capacity(self, p99_ms: float = 250.0) -> float | None:
        """The highest offered rate with every class's p99 within `p99_ms` and >= 99 % delivered."""
        ok = [
            s.offered_msgs_per_s
            for s in self.steps
            if max(s.latency_high.p99_ms, s.latency_normal.p99_ms) <= p99_ms
            and (s.delivered_ratio >= 0.99 or s.sampled_normal)
        ]
        return max(ok) if ok else None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["capacity_msgs_per_s"] = self.capacity()
        return d


def _metrics(port: int) -> dict[str, Any]:
    import httpx

    try:
        data: dict[str, Any] = httpx.get(f"http://127.0.0.1:{port}/api/metrics", timeout=5).json()
        return data
    except (httpx.HTTPError, ValueError):
        return {}


def _summaries(target: str, results: list[dict[str, Any]]) -> tuple[LatencySummary, LatencySummary]:
    high: list[float] = []
    normal: list[float] = []
    if target == "siyu":
        sent: dict[int, int] = {}
        for r in results:
            sent.update(r["sent"])
        for r in results:
            for seq, recv_ns, kind in r["probe"]:
                t0 = sent.get(seq)
                if t0 is not None:
                    (high if kind == "gift" else normal).append((recv_ns - t0) / 1e6)
    else:
        for r in results:
            high += r["lat"]["high"]
            normal += r["lat"]["normal"]
    return LatencySummary.of(high), LatencySummary.of(normal)


def run_fanout(
    target: str,
    *,
    viewers: int,
    steps: list[Step],
    loadgen: int = 2,
    workers: int = 1,
    redis_url: str | None = None,
    sampling: bool = True,
    batching: bool = True,
    on_progress: Any = None,
) -> FanoutResult:
    """One target, one set of connections, one result per step."""
    raise_fd_limit()
    server: ServerProcess | PeerProcess
    env = {
        # the benchmark measures fan-out, not the per-user anti-spam limits
        "SIYU_LIMITS__COMMENT_RATE": "100000/second",
        "SIYU_LIMITS__FRAME_RATE": "100000/second",
        "SIYU_FANOUT__SAMPLING": "true" if sampling else "false",
    }
    if not batching:  # one frame per message, like the peers: compares the raw write path
        env.update(SIYU_FANOUT__MAX_BATCH="1", SIYU_FANOUT__FLUSH_MS="1", SIYU_FANOUT__HIGH_FLUSH_MS="1")
    if target == "siyu":
        server = ServerProcess(env=env, workers=workers, redis_url=redis_url)
        server.start()
        port = server.port
        url = server.ws_url
        secret = server.secret
    else:
        server = PeerProcess(target)
        port, url, secret = server.port, "", ""
    pool: WorkerPool | None = None
    try:
        users = [f"v{i:06d}" for i in range(viewers)]
        n_comment = max(4, loadgen * 4)
        n_gift = max(2, loadgen * 2)
        commenters, gifters = users[:n_comment], users[n_comment : n_comment + n_gift]
        configs = []
        for i in range(loadgen):
            share = users[i::loadgen]
            configs.append({
                "target": target, "url": url, "port": port, "secret": secret, "room": "bench",
                "users": share, "tag": f"w{i}-", "share": 1 / loadgen,
                "commenters": [u for u in commenters if u in set(share)],
                "gifters": [u for u in gifters if u in set(share)],
            })  # fmt: skip
        rss0 = server.rss()
        pool = WorkerPool(load_worker, configs)
        while not pool.all_connected:
            pool.poll()
            if on_progress:
                on_progress(f"{target}: 连接观众", sum(pool.progress), viewers)
        time.sleep(2.0)
        connected = sum(c or 0 for c in pool.connected)
        rss1 = server.rss()
        result = FanoutResult(
            target=target,
            viewers=connected,
            workers=workers,
            sampling=sampling,
            batching=batching,
            machine=machine(),
            rss_per_conn_kb=round((rss1 - rss0) / max(1, connected) / 1024, 2),
            server_rss_mb=round(rss1 / 2**20, 1),
        )
        for i, step in enumerate(steps):
            before = _metrics(port) if target == "siyu" else {}
            cpu0 = server.cpu_seconds()
            pool.step_results = [None] * loadgen
            pool.send_all(step)
            t0 = time.perf_counter()
            while any(r is None for r in pool.step_results):
                pool.poll()
                if on_progress:
                    label = f"{target}: 第{i + 1}档 {step.comment_rate + step.gift_rate:g} 条/秒"
                    on_progress(label, min(time.perf_counter() - t0, step.duration), step.duration)
            results = [r for r in pool.step_results if r is not None]
            after = _metrics(port) if target == "siyu" else {}
            res = _step_result(target, step, results, connected, before, after, server.cpu_seconds() - cpu0)
            result.steps.append(res)
            if _saturated(res, sampling and target == "siyu"):
                break  # the server fell behind: higher rates would only pile up backlog
        pool.send_all("stop")
        while not pool.done:
            pool.poll()
        return result
    finally:
        if pool is not None:
            pool.close()
        server.stop()


def _step_result(
    target: str,
    step: Step,
    results: list[dict[str, Any]],
    viewers: int,
    before: dict[str, Any],
    after: dict[str, Any],
    server_cpu: float,
) -> StepResult:
    high, normal = _summaries(target, results)
    sent = sum(r["sends"] for r in results)
    msgs = sum(r["msgs"] for r in results)
    frames = sum(r["frames"] for r in results)
    expected = sent * viewers

    def delta(key: str) -> int:
        return int(after.get(key, 0)) - int(before.get(key, 0))

    siyu = target == "siyu"
    echo = sum(r["echo"] for r in results)
    dropped = None
    if siyu:
        dropped = {
            "low": delta("dropped_low"),
            "normal": delta("dropped_normal"),
            "evicted": delta("evicted"),
        }
    return StepResult(
        offered_msgs_per_s=step.comment_rate + step.gift_rate,
        sent=sent,
        deliveries_per_s=round(msgs / step.duration, 1),
        frames_per_s=round(frames / step.duration, 1),
        expected_deliveries=expected,
        delivered_ratio=round(msgs / expected, 4) if expected else 0.0,
        latency_high=high,
        latency_normal=normal,
        sampled_normal=delta("sampled_normal") if siyu else None,
        dropped=dropped,
        echo_ratio=round(echo / sent, 4) if siyu and sent else None,
        errors=sum(r["errors"] for r in results),
        server_cpu_s=round(server_cpu, 2),
        loadgen_cpu_s=round(sum(r["cpu_s"] for r in results), 2),
    )


def _saturated(res: StepResult, sampling: bool) -> bool:
    worst = max(res.latency_high.p99_ms, res.latency_normal.p99_ms)
    return worst > 2000 or (not sampling and res.delivered_ratio < 0.9)


def default_sweep(viewers: int) -> list[float]:
    """Offered rates (messages/s into the room) for the capacity sweep."""
    base = [25, 50, 100, 200, 400, 800, 1600]
    return [r for r in base if r * viewers <= 4_000_000] or [base[0]]
