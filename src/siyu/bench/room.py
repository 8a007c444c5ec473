"""Room benchmarks: welcome latency, comment delivery latency, assistant answers, RSS per connection.

`siyu bench welcome|comments|assistant|rss` start the server in its own process, spread the viewers over
load-generator processes, and report percentiles. Latency is measured with the wall clock shared
by every process on the machine: the sender stamps `time.time_ns()` into the comment text.
"""

from __future__ import annotations

import asyncio
import math
import os
import resource
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from typing import Any

import uvloop

from siyu.auth import Role, TokenSigner
from siyu.bench.harness import LatencySummary, ServerProcess, WorkerPool, machine, raise_fd_limit
from siyu.realtime.client import RoomClient, connect

BENCH_PREFIX = "bench "


# --- load-generator side (runs in worker processes) ---------------------------------------------


class _Viewer:
    """One simulated viewer: resolves `welcomed` on its welcome, records comment latencies."""

    __slots__ = ("asked", "client", "latencies", "t0", "user", "welcomed", "welcome_ms")

    def __init__(self, user: str, latencies: list[float] | None) -> None:
        self.user = user
        self.latencies = latencies
        self.asked: dict[str, float] = {}  # cid -> perf_counter when the question left (assistant mode)
        self.welcomed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.t0 = time.perf_counter()
        self.welcome_ms = 0.0
        self.client: RoomClient | None = None

    def on_message(self, msg: dict[str, Any]) -> None:
        mtype = msg.get("type")
        if mtype == "batch":
            if self.latencies is not None:
                now = time.time_ns()
                for m in msg["msgs"]:
                    if m["type"] == "comment" and m["user"]["id"] != self.user:
                        text: str = m["text"]
                        if text.startswith(BENCH_PREFIX):
                            self.latencies.append((now - int(text[len(BENCH_PREFIX) :])) / 1e6)
        elif mtype == "assistant" and self.latencies is not None and "reply_to" in msg:
            sent = self.asked.pop(msg["reply_to"]["cid"], None)
            if sent is not None:
                self.latencies.append((time.perf_counter() - sent) * 1000)
        elif mtype == "welcome" and not self.welcomed.done():
            self.welcome_ms = (time.perf_counter() - self.t0) * 1000
            self.welcomed.set_result(None)


async def _enter(
    url: str, signer: TokenSigner, room: str, user: str, latencies: list[float] | None
) -> _Viewer:
    token = signer.issue(room=room, user=user, role=Role.VIEWER, nickname=user)
    v = _Viewer(user, latencies)
    v.t0 = time.perf_counter()
    v.client = await connect(f"{url}?token={token}", v.on_message)
    await asyncio.wait_for(v.welcomed, 30)
    return v


async def _worker_main(pipe: Connection, cfg: dict[str, Any]) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    signer = TokenSigner(cfg["secret"], 3600)
    url, room = cfg["url"], cfg["room"]
    latencies: list[float] | None = [] if cfg["mode"] in ("comments", "assistant") else None
    sem = asyncio.Semaphore(cfg.get("concurrency", 50))
    viewers: list[_Viewer] = []
    errors = 0

    async def one(user: str) -> None:
        nonlocal errors
        async with sem:
            try:
                viewers.append(await _enter(url, signer, room, user, latencies))
            except Exception:
                errors += 1
            if len(viewers) % 100 == 0:
                pipe.send(("progress", len(viewers)))

    await asyncio.gather(*(one(u) for u in cfg["users"]))
    pipe.send(("progress", len(viewers)))
    ramp_ms = [v.welcome_ms for v in viewers]

    go: asyncio.Future[Any] = loop.create_future()

    def on_go() -> None:
        if not go.done():
            go.set_result(pipe.recv())

    loop.add_reader(pipe.fileno(), on_go)
    pipe.send(("connected", len(viewers)))
    await go
    loop.remove_reader(pipe.fileno())
    os.set_blocking(pipe.fileno(), True)  # the loop made it non-blocking; large results need blocking writes
    result: dict[str, Any] = {"connected": len(viewers), "connect_errors": errors, "ramp_ms": ramp_ms}

    if cfg["mode"] == "welcome" and cfg.get("probes"):
        probe_ms: list[float] = []
        gap = 1 / cfg["probe_rate"]
        for i in range(cfg["probes"]):
            t = time.perf_counter()
            v = await _enter(url, signer, room, f"{cfg['probe_prefix']}{i}", None)
            probe_ms.append(v.welcome_ms)
            assert v.client is not None
            await v.client.close()
            await asyncio.sleep(max(0.0, gap - (time.perf_counter() - t)))
        result["probe_ms"] = probe_ms
    elif cfg["mode"] == "comments":
        senders = [v for v in viewers if v.user in set(cfg["senders"])]
        result["sent"] = await _send_paced(cfg, senders, lambda s, cid, i: f"{BENCH_PREFIX}{time.time_ns()}")
        result["latency_ms"] = latencies
    elif cfg["mode"] == "assistant":
        senders = [v for v in viewers if v.user in set(cfg["senders"])]
        questions = bench_questions()

        def ask(s: _Viewer, cid: str, i: int) -> str:
            s.asked[cid] = time.perf_counter()
            return questions[(i * 7) % len(questions)]

        result["sent"] = await _send_paced(cfg, senders, ask)
        result["unanswered"] = sum(len(s.asked) for s in senders)
        result["latency_ms"] = latencies
    elif cfg["mode"] == "idle":
        await asyncio.sleep(cfg.get("hold_s", 0))
    for v in viewers:
        if v.client is not None:
            await v.client.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu_s"] = usage.ru_utime + usage.ru_stime
    return result


def bench_questions() -> list[str]:
    """Product questions by link number (the bench room pins nothing), in viewers' phrasings."""
    forms = ["{n}号链接多少钱", "{n}号有XL码吗", "{n}号是什么面料呀", "{n}号几天发货", "{n}号有几个颜色",
             "165 110斤{n}号穿什么码", "{n}号黑色M还有吗", "{n}号起球吗"]  # fmt: skip
    return [f.format(n=n) for n in range(1, 25) for f in forms]


async def _send_paced(
    cfg: dict[str, Any], senders: list[_Viewer], text: Callable[[_Viewer, str, int], str]
) -> int:
    """The senders take turns commenting at cfg["rate"] (this worker's share) for cfg["duration"];
    `text(sender, cid, i)` gives the i-th comment. Returns how many were sent, 2 s after the last."""
    sent = 0
    if senders:
        gap = 1 / (cfg["rate"] * len(senders) / max(1, cfg["total_senders"]))
        stop_at = time.perf_counter() + cfg["duration"]
        next_t = time.perf_counter()
        while time.perf_counter() < stop_at:
            s = senders[sent % len(senders)]
            assert s.client is not None
            cid = f"{s.user}-{sent}"
            s.client.send({"type": "comment", "cid": cid, "text": text(s, cid, sent)})
            sent += 1
            next_t += gap
            await asyncio.sleep(max(0.0, next_t - time.perf_counter()))
    else:
        await asyncio.sleep(cfg["duration"])
    await asyncio.sleep(2.0)  # let the last messages and answers arrive
    return sent


def worker(pipe: Connection, cfg: dict[str, Any]) -> None:
    """Entry point of a load-generator process."""
    raise_fd_limit()
    try:
        result = uvloop.run(_worker_main(pipe, cfg))
        pipe.send(("done", result))
    except Exception as exc:  # reported to the parent, which aborts the run
        pipe.send(("error", repr(exc)))


# --- orchestration (parent process) -------------------------------------------------------------


@dataclass
class RoomBenchResult:
    scenario: str
    viewers: int
    machine: str
    server_cpu_s: float
    loadgen_cpu_s: float
    wall_s: float
    server_rss_mb: float
    connect_errors: int
    ramp: LatencySummary
    measured: LatencySummary | None = None
    offered_rate: float | None = None
    sent: int | None = None
    deliveries: int | None = None
    expected_deliveries: int | None = None
    rss_per_conn_kb: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _split(users: list[str], n: int) -> list[list[str]]:
    return [users[i::n] for i in range(n)]


def run_room_bench(
    scenario: str,
    *,
    viewers: int,
    workers: int = 2,
    rate: float = 20.0,
    duration: float = 20.0,
    probes: int = 200,
    probe_rate: float = 20.0,
    db_url: str | None = None,
    on_progress: Any = None,
) -> RoomBenchResult:
    """Run one scenario: "welcome", "comments", "assistant" or "rss"; `on_progress(phase, done, total)`."""
    raise_fd_limit()
    if scenario == "welcome":
        duration = probes / probe_rate  # only drives the progress bar
    server = ServerProcess(db_url=db_url)
    server.start()
    pool: WorkerPool | None = None
    try:
        users = [f"v{i:06d}" for i in range(viewers)]
        total_senders = max(1, math.ceil(rate / 0.4)) if scenario in ("comments", "assistant") else 0
        sender_set = users[:total_senders]
        base = {"url": server.ws_url, "secret": server.secret, "room": server.room, "concurrency": 50}
        mode = {"rss": "idle"}.get(scenario, scenario)
        configs = []
        for i, share in enumerate(_split(users, workers)):
            cfg = {**base, "mode": mode, "users": share}
            if mode == "welcome":
                cfg.update(probes=probes if i == 0 else 0, probe_rate=probe_rate, probe_prefix=f"p{i}-")
            if mode in ("comments", "assistant"):
                cfg.update(senders=[u for u in share if u in sender_set], total_senders=total_senders,
                           rate=rate, duration=duration)  # fmt: skip
            configs.append(cfg)
        # warm the server (room loaded, code paths hot) and take the idle baseline before the load
        rss0 = server.rss()
        cpu0 = server.cpu_seconds()
        t0 = time.perf_counter()
        pool = WorkerPool(worker, configs)
        while not pool.all_connected:
            pool.poll()
            if on_progress:
                on_progress("connect", sum(pool.progress), viewers)
        time.sleep(1.5)  # let banners and state settle
        rss_loaded = server.rss()
        pool.send_all("go")
        t_measure = time.perf_counter()
        while not pool.done:
            pool.poll()
            if on_progress:
                elapsed = time.perf_counter() - t_measure
                on_progress("measure", min(elapsed, duration), duration)
        results = [r for r in pool.results if r is not None]
        wall = time.perf_counter() - t0
        server_cpu = server.cpu_seconds() - cpu0
        connected_n = sum(r["connected"] for r in results)
        out = RoomBenchResult(
            scenario=scenario,
            viewers=connected_n,
            machine=machine(),
            server_cpu_s=round(server_cpu, 2),
            loadgen_cpu_s=round(sum(r["cpu_s"] for r in results), 2),
            wall_s=round(wall, 2),
            server_rss_mb=round(rss_loaded / 2**20, 1),
            connect_errors=sum(r["connect_errors"] for r in results),
            ramp=LatencySummary.of([x for r in results for x in r["ramp_ms"]]),
        )
        if scenario == "welcome":
            out.measured = LatencySummary.of([x for r in results for x in r.get("probe_ms", [])])
        elif scenario == "comments":
            lat = [x for r in results for x in r["latency_ms"]]
            out.measured = LatencySummary.of(lat)
            out.sent = sum(r["sent"] for r in results)
            out.offered_rate = rate
            out.deliveries = len(lat)
            out.expected_deliveries = out.sent * (connected_n - 1)
        elif scenario == "assistant":
            out.measured = LatencySummary.of([x for r in results for x in r["latency_ms"]])
            out.sent = sum(r["sent"] for r in results)
            out.offered_rate = rate
            out.deliveries = sum(len(r["latency_ms"]) for r in results)
            out.expected_deliveries = out.sent
        elif scenario == "rss":
            out.rss_per_conn_kb = round((rss_loaded - rss0) / max(1, connected_n) / 1024, 2)
        return out
    finally:
        if pool is not None:
            pool.close()
        server.stop()
