"""The load-generator side of `siyu bench fanout`: one process holds its share of the viewers, sends its
share of the comments and gifts, and reports counts, latencies and CPU per step (see bench/fanout.py)."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import orjson
import uvloop
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from siyu.auth import Role, TokenSigner
from siyu.bench.harness import process_cpu_s, raise_fd_limit
from siyu.bench.peer_clients import connect_raw, connect_socketio

PROBES_PER_WORKER = 100
DRAIN_S = 2.0


@dataclass
class Step:
    comment_rate: float
    gift_rate: float
    duration: float


# --- load-generator side ---------------------------------------------------------------------------


class _Counter:
    """Per-process tallies for the current step."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.frames = 0
        self.msgs = 0
        self.probe: list[tuple[int, int, str]] = []  # siyu: (seq, recv ns, type)
        self.lat: dict[str, list[float]] = {"high": [], "normal": []}  # peers: ms
        self.sent: dict[int, int] = {}  # siyu: seq -> send ns
        self.pending: dict[str, int] = {}  # siyu: cid -> send ns
        self.echo = 0
        self.errors = 0


class SiyuViewer(WSListener):
    __slots__ = ("c", "probe", "sender", "transport")

    def __init__(self, c: _Counter, probe: bool, sender: bool) -> None:
        self.c = c
        self.probe = probe
        self.sender = sender
        self.transport: WSTransport | None = None

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type is not WSMsgType.TEXT:
            return
        c = self.c
        c.frames += 1
        if not self.probe and not self.sender:
            # most viewers only count: a batch holds one '"type":' per message plus its own
            payload = frame.get_payload_as_bytes()
            if payload.startswith(b'{"type":"batch"'):
                c.msgs += payload.count(b'"type":') - 1
            return
        msg = orjson.loads(frame.get_payload_as_memoryview())
        kind = msg["type"]
        if kind == "batch":
            msgs = msg["msgs"]
            c.msgs += len(msgs)
            if self.probe:
                now = time.time_ns()
                for m in msgs:
                    if "seq" in m:
                        c.probe.append((m["seq"], now, m["type"]))
        elif kind == "ack":
            sent = c.pending.pop(msg["cid"], None)
            if sent is not None and "seq" in msg:
                c.sent[msg["seq"]] = sent
                c.echo += "msg" in msg
            elif "error" in msg:
                c.errors += 1

    def send(self, payload: dict[str, Any]) -> None:
        assert self.transport is not None
        self.transport.send(WSMsgType.TEXT, orjson.dumps(payload))


async def _connect_siyu(cfg: dict[str, Any], c: _Counter, user: str, probe: bool) -> Any:
    signer = TokenSigner(cfg["secret"], 3600)
    token = signer.issue(room=cfg["room"], user=user, role=Role.VIEWER, nickname=user)
    sender = user in cfg["commenters"] or user in cfg["gifters"]
    _t, client = await ws_connect(lambda: SiyuViewer(c, probe, sender), f"{cfg['url']}?token={token}")
    return client


def _peer_listener(c: _Counter, probe: bool) -> Any:
    def on_message(msg: dict[str, Any]) -> None:
        c.frames += 1
        c.msgs += 1
        if probe:
            c.lat["high" if msg.get("k") == "g" else "normal"].append((time.time_ns() - msg["t"]) / 1e6)

    return on_message


class _CountingRaw(WSListener):
    """A raw-peer viewer that only counts (no decode), like siyu's non-probe viewers."""

    def __init__(self, c: _Counter) -> None:
        self.c = c

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type is WSMsgType.TEXT:
            self.c.frames += 1
            self.c.msgs += 1


async def _load_main(pipe: Connection, cfg: dict[str, Any]) -> None:
    loop = asyncio.get_running_loop()
    kind = cfg["target"]
    c = _Counter()
    sem = asyncio.Semaphore(100)
    clients: dict[str, Any] = {}
    probes = set(cfg["users"][:PROBES_PER_WORKER])

    async def one(user: str) -> None:
        async with sem:
            probe = user in probes
            if kind == "siyu":
                clients[user] = await _connect_siyu(cfg, c, user, probe)
            elif kind == "socketio":
                clients[user] = await connect_socketio(cfg["port"], _peer_listener(c, probe))
            elif probe or user in cfg["commenters"] or user in cfg["gifters"]:
                clients[user] = await connect_raw(cfg["port"], _peer_listener(c, probe))
            else:
                _t, clients[user] = await ws_connect(
                    lambda: _CountingRaw(c), f"ws://127.0.0.1:{cfg['port']}/"
                )
            if len(clients) % 200 == 0:
                pipe.send(("progress", len(clients)))

    await asyncio.gather(*(one(u) for u in cfg["users"]))
    pipe.send(("connected", len(clients)))
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    loop.add_reader(pipe.fileno(), lambda: inbox.put_nowait(pipe.recv()))
    os.set_blocking(pipe.fileno(), True)  # add_reader made it non-blocking; step results are large
    commenters = [clients[u] for u in cfg["commenters"]]
    gifters = [clients[u] for u in cfg["gifters"]]
    n = 0
    while True:
        cmd = await inbox.get()
        if cmd == "stop":
            break
        step: Step = cmd
        c.reset()
        cpu0 = process_cpu_s()
        schedule: list[tuple[float, str]] = []
        for rate, k in ((step.comment_rate * cfg["share"], "c"), (step.gift_rate * cfg["share"], "g")):
            if rate > 0:
                count = int(rate * step.duration)
                schedule += [(i / rate, k) for i in range(count)]
        schedule.sort()
        start = time.perf_counter()
        for at, k in schedule:
            delay = start + at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            n += 1
            pool = gifters if k == "g" else commenters
            client = pool[n % len(pool)]
            now = time.time_ns()
            if kind == "siyu":
                cid = f"{cfg['tag']}{n}"
                c.pending[cid] = now
                if k == "g":
                    client.send({"type": "gift", "gift_id": "rose", "cid": cid})
                else:
                    # distinct texts: moderation hides a viewer repeating one comment (spam)
                    client.send({"type": "comment", "cid": cid, "text": f"主播这件好好看 第{n}条"})
            else:
                client.send_comment({"type": "comment", "k": k, "t": now, "text": f"主播这件好好看 第{n}条"})
        await asyncio.sleep(max(0.0, start + step.duration - time.perf_counter()) + DRAIN_S)
        pipe.send(("stepdone", {
            "frames": c.frames, "msgs": c.msgs, "probe": c.probe, "lat": c.lat, "sent": c.sent,
            "sends": len(schedule), "echo": c.echo, "errors": c.errors, "cpu_s": process_cpu_s() - cpu0,
        }))  # fmt: skip
    loop.remove_reader(pipe.fileno())
    pipe.send(("done", {"cpu_s": process_cpu_s()}))


def load_worker(pipe: Connection, cfg: dict[str, Any]) -> None:
    raise_fd_limit()
    try:
        uvloop.run(_load_main(pipe, cfg))
    except Exception as exc:
        pipe.send(("error", repr(exc)))
