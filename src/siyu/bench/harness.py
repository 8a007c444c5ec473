"""Benchmark plumbing: a server in its own process, load generators in worker processes, statistics.

The server under test runs as `python -m siyu serve` so its CPU time and RSS are its own; load
generators are separate processes (spawned, each with its own uvloop) so they never share a core's
time slice accounting with the server.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import psutil


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def terminate(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it has not exited within 20 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _tree(pid: int) -> list[psutil.Process]:
    """A server process and its children (`siyu serve --workers N` runs its workers as children)."""
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def tree_cpu_seconds(pid: int) -> float:
    return float(sum(t.user + t.system for t in (p.cpu_times() for p in _tree(pid))))


def tree_rss(pid: int) -> int:
    return sum(int(p.memory_info().rss) for p in _tree(pid))


def process_cpu_s() -> float:
    """This process's CPU time (user + system), seconds."""
    import resource

    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def raise_fd_limit() -> int:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return int(resource.getrlimit(resource.RLIMIT_NOFILE)[0])


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


@dataclass
class LatencySummary:
    count: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @classmethod
    def of(cls, samples_ms: list[float]) -> LatencySummary:
        s = sorted(samples_ms)
        return cls(
            len(s),
            percentile(s, 50),
            percentile(s, 95),
            percentile(s, 99),
            s[-1] if s else float("nan"),
        )


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = psutil.virtual_memory().total / 2**30
    py = platform.python_version()
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Python {py}, {platform.system()}"


@dataclass
class ServerProcess:
    """`siyu serve --demo-room ROOM` in a child process, on a temporary SQLite file unless db_url is given."""

    room: str = "bench"
    db_url: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    workers: int = 1
    redis_url: str | None = None
    secret: str = field(default_factory=lambda: secrets.token_hex(24))
    port: int = 0
    ws_port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    _dir: tempfile.TemporaryDirectory[str] | None = None
    _log: Any = None

    def start(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="siyu-bench-")
        db = self.db_url or f"sqlite+aiosqlite:///{self._dir.name}/bench.db"
        self.port, self.ws_port = free_port(), free_port()
        env = {**os.environ, "SIYU_SECRET": self.secret, **self.env}
        self._log = open(Path(self._dir.name) / "server.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "siyu", "serve", "--port", str(self.port), "--ws-port", str(self.ws_port),
             "--db", db, "--demo-room", self.room, "--workers", str(self.workers),
             *(["--redis", self.redis_url] if self.redis_url else [])],
            env=env, cwd=self._dir.name, stdout=self._log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.wait_ready(60)

    def wait_ready(self, timeout_s: float) -> None:
        """Until GET /readyz answers 200 from every worker (each answer names its node; a new connection
        per try lets SO_REUSEPORT spread them): the demo room is loaded with its session live."""
        assert self.proc is not None
        ready: set[str] = set()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_tail()}")
            try:
                r = httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1)
                if r.status_code == 200:
                    ready.add(str(r.json().get("node")))
                    if len(ready) >= self.workers:
                        return
                    continue
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"server not ready ({len(ready)}/{self.workers} workers): {self.log_tail()}")

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port}/ws/rooms/{self.room}"

    def cpu_seconds(self) -> float:
        assert self.proc is not None
        return tree_cpu_seconds(self.proc.pid)

    def rss(self) -> int:
        assert self.proc is not None
        return tree_rss(self.proc.pid)

    def log_tail(self) -> str:
        if self._dir is None:
            return ""
        return (Path(self._dir.name) / "server.log").read_text(errors="replace")[-2000:]

    def stop(self) -> None:
        if self.proc is not None:
            terminate(self.proc)
        if self._log is not None:
            self._log.close()
        if self._dir is not None:
            # keep the last server's log for a post-mortem; the rest of the directory goes
            log_file = Path(self._dir.name) / "server.log"
            if log_file.exists():
                log_file.replace(Path(tempfile.gettempdir()) / "siyu-bench-server.log")
            self._dir.cleanup()


WorkerFn = Callable[[Connection, dict[str, Any]], None]


class WorkerPool:
    """Load-generator processes talking to the parent over pipes: ("progress", n) / ("done", result)."""

    def __init__(self, target: WorkerFn, configs: list[dict[str, Any]]) -> None:
        ctx = mp.get_context("spawn")
        self.pipes: list[Connection] = []
        self.procs: list[mp.process.BaseProcess] = []
        for cfg in configs:
            parent, child = ctx.Pipe()
            p = ctx.Process(target=target, args=(child, cfg), daemon=True)
            p.start()
            self.pipes.append(parent)
            self.procs.append(p)
        self.progress = [0] * len(configs)
        self.connected: list[int | None] = [None] * len(configs)
        self.step_results: list[dict[str, Any] | None] = [None] * len(configs)
        self.results: list[dict[str, Any] | None] = [None] * len(configs)

    def poll(self, timeout: float = 0.1) -> None:
        """Collect progress and results; raise if a worker failed."""
        from multiprocessing.connection import wait

        for ready in wait(self.pipes, timeout):
            i = self.pipes.index(ready)  # type: ignore[arg-type]
            pipe = self.pipes[i]
            try:
                kind, value = pipe.recv()
            except EOFError:
                if self.results[i] is None:
                    raise RuntimeError(f"load worker {i} died") from None
                continue
            if kind == "progress":
                self.progress[i] = int(value)
            elif kind == "connected":
                self.connected[i] = int(value)
            elif kind == "stepdone":
                self.step_results[i] = dict(value)
            elif kind == "done":
                self.results[i] = dict(value)
            elif kind == "error":
                raise RuntimeError(f"load worker {i} failed: {value}")

    def send_all(self, msg: Any) -> None:
        for pipe in self.pipes:
            pipe.send(msg)

    @property
    def all_connected(self) -> bool:
        return all(c is not None for c in self.connected)

    @property
    def done(self) -> bool:
        return all(r is not None for r in self.results)

    def close(self) -> None:
        for p in self.procs:
            p.join(10)
            if p.is_alive():
                p.terminate()
        for pipe in self.pipes:
            pipe.close()
