"""``siyu bench pk``: the PK scoreboard across two nodes — a gift in room A -> the score seen in room B.

Two `siyu serve` processes share one database and one Redis: node 1 serves room A (`pka`), node 2 room B
(`pkb`), each with VIEWERS real WebSocket viewers (picows clients in this process). A's host invites B, B's
host accepts; a sender in A gifts one 小心心 (1 coin) at RATE gifts/s for DURATION seconds, so A's score after
the k-th gift is k. A watcher in B records every `pk_score` (its `scores[1]` is A's side): the k-th gift's
latency is the first score >= k the watcher saw, minus when the gift was sent. The scoreboard is at most one
update per second per room by design (docs/protocol.md section 11), so the figures include that wait.
Also reported: how many of B's viewers saw the final score, and that it equals the log's recount (the
result's score after `pk_end`).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from typing import Any

from siyu.auth import Role, TokenSigner
from siyu.bench.harness import LatencySummary, ServerProcess, free_port, machine, raise_fd_limit, terminate
from siyu.realtime.client import RoomClient, connect


@dataclass(slots=True)
class PkBenchResult:
    viewers_per_room: int
    rate: float
    duration_s: float
    backend: str
    machine: str
    gifts: int
    gift_to_score_in_b: dict[str, float]  # p50/p95/p99/max ms, count
    gift_ack: dict[str, float]
    score_updates_per_s_in_b: float
    b_viewers_with_final_score: int
    final_score_a: int
    result_score_a: int  # the `pk.ended` result (recounted from the log)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _msgs(frame: dict[str, Any]) -> list[dict[str, Any]]:
    return list(frame["msgs"]) if frame.get("type") == "batch" else [frame]


@contextlib.contextmanager
def _redis(url: str | None) -> Any:
    """The given Redis, or a throwaway redis-server (no persistence) on a free port."""
    if url is not None:
        yield url
        return
    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError("siyu bench pk needs Redis: pass --redis or install redis-server")
    port, workdir = free_port(), tempfile.mkdtemp(prefix="siyu-bench-redis-")
    argv = [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    argv += ["--dir", workdir]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        terminate(proc)
        shutil.rmtree(workdir, ignore_errors=True)


class Pair:
    """Two nodes on one database and one Redis, room `pka` on the first and `pkb` on the second."""

    def __init__(self, redis_url: str, db_url: str | None) -> None:
        self.dir = tempfile.TemporaryDirectory(prefix="siyu-bench-pk-")
        db = db_url or f"sqlite+aiosqlite:///{self.dir.name}/pk.db"
        self.a = ServerProcess(room="pka", db_url=db, redis_url=redis_url)
        self.b = ServerProcess(room="pkb", db_url=db, redis_url=redis_url, secret=self.a.secret)
        self.signer = TokenSigner(self.a.secret, 3600)
        self.backend = "sqlite" if db.startswith("sqlite") else "postgresql"

    def start(self) -> None:
        self.a.start()  # one after the other: the first migrates the database
        self.b.start()

    def stop(self) -> None:
        self.a.stop()
        self.b.stop()
        self.dir.cleanup()

    async def client(self, node: ServerProcess, user: str, role: Role = Role.VIEWER,
                     on_message: Callable[[dict[str, Any]], None] | None = None) -> RoomClient:  # fmt: skip
        token = self.signer.issue(room=node.room, user=user, role=role, nickname=user, level=1)
        c = await connect(f"{node.ws_url}?token={token}", on_message, timeout=60)
        if on_message is None:
            while (await c.recv(60))["type"] != "welcome":
                pass
        return c


async def _ack(c: RoomClient, cid: str) -> dict[str, Any]:
    while True:
        for m in _msgs(await c.recv(60)):
            if m.get("type") == "ack" and m.get("cid") == cid:
                if "error" in m:
                    raise RuntimeError(f"{cid}: {m['error']}")
                return m


async def _crowd(pair: Pair, node: ServerProcess, n: int, last: list[int]) -> list[RoomClient]:
    """`n` viewers; `last[i]`: the latest A-side score viewer i saw (-1: none)."""

    def seen(i: int) -> Callable[[dict[str, Any]], None]:
        def on(frame: dict[str, Any]) -> None:
            for m in _msgs(frame):
                if m.get("type") == "pk_score":
                    last[i] = int(m["scores"][1] if node is pair.b else m["scores"][0])

        return on

    clients: list[RoomClient] = []
    for start in range(0, n, 250):
        k = min(250, n - start)
        clients += await asyncio.gather(
            *(pair.client(node, f"{node.room}-v{start + i}", on_message=seen(start + i)) for i in range(k))
        )
    return clients


@contextlib.asynccontextmanager
async def _pair(redis_url: str | None, db_url: str | None) -> AsyncIterator[Pair]:
    with _redis(redis_url) as url:
        pair = Pair(url, db_url)
        await asyncio.to_thread(pair.start)
        try:
            yield pair
        finally:
            await asyncio.to_thread(pair.stop)


async def run_pk(viewers: int = 1000, rate: float = 5.0, duration: float = 30.0, redis_url: str | None = None,
                 db_url: str | None = None) -> PkBenchResult:  # fmt: skip
    raise_fd_limit()
    async with _pair(redis_url, db_url) as pair:
        host_a = await pair.client(pair.a, "host-a", Role.HOST)
        host_b = await pair.client(pair.b, "host-b", Role.HOST)
        last_b = [-1] * viewers
        crowd = await _crowd(pair, pair.a, viewers, [-1] * viewers)
        crowd += await _crowd(pair, pair.b, viewers, last_b)
        scores: list[tuple[float, int]] = []  # (when, A's score) as B's watcher saw them
        result: list[int] = []  # A's score in the result (`pk.ended`: recounted from the log)

        def watch(frame: dict[str, Any]) -> None:
            for m in _msgs(frame):
                if m.get("type") == "pk_score":
                    scores.append((time.perf_counter(), int(m["scores"][1])))
                elif m.get("type") == "pk" and m.get("phase") == "punish":
                    result.append(int(m["sides"][1]["score"]))

        watcher = await pair.client(pair.b, "watcher", on_message=watch)
        # a viewer may send 5 gifts per 10 s (the `comment` rate rule): the gifts go round a few senders
        senders = [await pair.client(pair.a, f"sender{i}") for i in range(int(rate * 2) + 1)]
        host_a.send({"type": "pk_invite", "room_id": "pkb", "seconds": 900, "punish_s": 60, "cid": "i"})
        pk_id = str((await _ack(host_a, "i"))["pk"]["pk_id"])
        host_b.send({"type": "pk_answer", "pk_id": pk_id, "accept": True, "cid": "a"})
        await _ack(host_b, "a")

        gifts = max(1, int(rate * duration))
        sent: list[float] = [0.0] * gifts
        acked: dict[int, float] = {}

        async def acks(i: int) -> None:
            mine = set(range(i, gifts, len(senders)))
            while mine - set(acked):
                for m in _msgs(await senders[i].recv(60)):
                    if m.get("type") == "ack" and str(m.get("cid", "")).startswith("g"):
                        if "error" in m:
                            raise RuntimeError(f"gift refused: {m['error']}")
                        acked[int(str(m["cid"])[1:])] = time.perf_counter()

        reading = [asyncio.create_task(acks(i)) for i in range(len(senders))]
        began = time.perf_counter()
        for k in range(gifts):
            await asyncio.sleep(max(0.0, began + k / rate - time.perf_counter()))
            sent[k] = time.perf_counter()
            senders[k % len(senders)].send({"type": "gift", "gift_id": "heart", "count": 1, "cid": f"g{k}"})
        await asyncio.gather(*reading)
        deadline = time.perf_counter() + 30
        while (not scores or scores[-1][1] < gifts) and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        lat = []
        for k, t in enumerate(sent, start=1):
            seen = next((when for when, score in scores if score >= k), None)
            if seen is not None:
                lat.append((seen - t) * 1000)
        span = (scores[-1][0] - scores[0][0]) if len(scores) > 1 else 0.0
        deadline = time.perf_counter() + 10  # the last pk_score reaches B's crowd (a bound, not a wait)
        while sum(1 for s in last_b if s == gifts) < viewers and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        with_final = sum(1 for s in last_b if s == gifts)
        host_a.send({"type": "pk_end", "pk_id": pk_id, "cid": "e"})  # the result, then the punishment's end
        await _ack(host_a, "e")
        deadline = time.perf_counter() + 10
        while not result and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        host_a.send({"type": "pk_end", "pk_id": pk_id, "cid": "c"})
        await _ack(host_a, "c")
        await asyncio.gather(*(c.close() for c in (*crowd, *senders, watcher, host_a, host_b)))
        return PkBenchResult(
            viewers_per_room=viewers, rate=rate, duration_s=duration, backend=pair.backend, machine=machine(),
            gifts=gifts, gift_to_score_in_b=asdict(LatencySummary.of(lat)),
            gift_ack=asdict(LatencySummary.of([(acked[k] - sent[k]) * 1000 for k in acked])),
            score_updates_per_s_in_b=(len(scores) - 1) / span if span > 0 else 0.0,
            b_viewers_with_final_score=with_final, final_score_a=scores[-1][1] if scores else 0,
            result_score_a=result[0] if result else -1,
        )  # fmt: skip
