"""``siyu bench poll``: VIEWERS real WebSocket clients in a room, each votes once in a poll at RATE votes/s.

Reported: vote -> ack p50/p99 (the vote committed), vote -> tally p50/p99 (the first `poll_tally` a
watching viewer gets whose total counts it: the k-th acknowledged vote is in every tally whose total is
>= k), the tally frames a viewer got per second, and the result's total (must equal the votes). The
baseline in the same run is the arithmetic of pushing every vote to the room as it comes (what a
per-vote broadcast costs in frames at this rate and audience), against the frames actually sent.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass
from typing import Any

from siyu.auth import Role
from siyu.bench.claims import _client, _pct, crowd, demo_node
from siyu.realtime.client import RoomClient


@dataclass(slots=True)
class PollResult:
    viewers: int
    rate: float
    backend: str
    votes_acked: int
    result_total: int
    ack_p50_ms: float
    ack_p99_ms: float
    tally_p50_ms: float
    tally_p99_ms: float
    tallies_per_s_per_viewer: float
    frames_to_viewers: int  # poll_tally frames the room sent (tallies x viewers)
    per_vote_broadcast_frames: int  # the baseline: every vote pushed to every viewer

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _unpack(frame: dict[str, Any]) -> list[dict[str, Any]]:
    return list(frame["msgs"]) if frame.get("type") == "batch" else [frame]


async def run_poll(viewers: int = 1000, rate: float = 200.0, db_url: str | None = None) -> PollResult:
    async with demo_node("poll", db_url) as node:
        host = await _client(node, "host", Role.HOST)
        clients = await crowd(node, viewers, "v")
        host.send({"type": "poll_start", "cid": "p", "question": "想看哪款", "options": ["A", "B", "C"],
                   "seconds": 600})  # fmt: skip
        poll_id = ""
        while not poll_id:
            for m in _unpack(await host.recv(60)):
                if m.get("type") == "ack" and m.get("cid") == "p":
                    poll_id = str(m["msg"]["poll_id"])
        watcher = clients[0]
        tallies: list[tuple[float, int]] = []  # (when, total) as the watcher saw them
        acks: dict[int, float] = {}
        sent: dict[int, float] = {}
        done = asyncio.Event()

        async def watch() -> None:
            while not done.is_set():
                try:
                    frame = await watcher.recv(30)
                except TimeoutError:
                    continue
                for m in _unpack(frame):
                    if m.get("type") == "poll_tally":
                        tallies.append((time.perf_counter(), int(m["total"])))
                    elif m.get("type") == "ack" and str(m.get("cid", "")).startswith("vote-"):
                        acks[int(str(m["cid"])[5:])] = time.perf_counter()

        async def ack_of(i: int, c: RoomClient) -> None:
            while True:
                for m in _unpack(await c.recv(120)):
                    if m.get("type") == "ack" and m.get("cid") == f"vote-{i}":
                        acks[i] = time.perf_counter()
                        return

        watching = asyncio.create_task(watch())
        waiting = [asyncio.create_task(ack_of(i, c)) for i, c in enumerate(clients) if i > 0]
        began = time.perf_counter()
        for i, c in enumerate(clients):
            due = began + i / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            sent[i] = time.perf_counter()
            c.send({"type": "vote", "poll_id": poll_id, "option": i % 3, "cid": f"vote-{i}"})
        await asyncio.gather(*waiting)
        while not tallies or tallies[-1][1] < viewers:  # the last tally counts every vote
            await asyncio.sleep(0.05)
        done.set()
        watching.cancel()
        span = tallies[-1][0] - began
        order = sorted(acks, key=lambda i: acks[i])  # the k-th acknowledged vote is in tallies >= k
        tally_lat = []
        for k, i in enumerate(order, start=1):
            seen = next(t for t, total in tallies if total >= k)
            tally_lat.append((seen - sent[i]) * 1000)
        ack_lat = [(acks[i] - sent[i]) * 1000 for i in acks]
        host.send({"type": "poll_close", "cid": "c", "poll_id": poll_id})
        total = -1
        while total < 0:
            for m in _unpack(await host.recv(60)):
                if m.get("type") == "poll_result":
                    total = int(m["total"])
        await asyncio.gather(*(c.close() for c in clients), host.close())
        return PollResult(
            viewers=viewers, rate=rate, backend="sqlite" if node.db.is_sqlite else "postgresql",
            votes_acked=len(acks), result_total=total, ack_p50_ms=_pct(ack_lat, 0.5),
            ack_p99_ms=_pct(ack_lat, 0.99), tally_p50_ms=_pct(tally_lat, 0.5),
            tally_p99_ms=_pct(tally_lat, 0.99),
            tallies_per_s_per_viewer=len(tallies) / span if span > 0 else 0.0,
            frames_to_viewers=len(tallies) * viewers, per_vote_broadcast_frames=viewers * viewers,
        )  # fmt: skip
