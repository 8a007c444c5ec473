"""The load-generator side of `siyu bench playbooks`: one process holds its share of the commenting viewers,
sends its share of the comments per phase, and measures, per comment, send -> ack (the commit) and send ->
the playbook's personal `assistant` message (intent "playbook") back to the same client.

Each comment's text carries its number (`第<n>条`); the playbook's reply quotes the comment
(`{{ comment }}`), so the reply names the comment it answers without anything added to the protocol.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections import Counter
from multiprocessing.connection import Connection
from typing import Any

import orjson
import uvloop
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from siyu.auth import Role, TokenSigner
from siyu.bench.harness import process_cpu_s, raise_fd_limit

KEYWORD = "接龙{:03d}号"  # fixed width: no keyword is a part of another
NEUTRAL = "来了来了"  # matches no playbook of the bench document
NUMBER = re.compile(r"第(\d+)条")
STALL_S = 10.0  # after the last send, wait for outstanding acks and replies while any keep coming


def comment_text(i: int, n: int, keywords: int, matched: bool) -> str:
    """The i-th comment of a phase, numbered n: the keyword of playbook i % keywords, or a neutral text."""
    return f"{KEYWORD.format(i % keywords) if matched else NEUTRAL} 第{n}条"


def keyword_playbooks(n: int) -> int:
    """How many of a bench document's N playbooks are keyword playbooks (the rest: one in ten, else one)."""
    return n - (n // 10 if n >= 10 else min(1, n - 1))


def texts(count: int, playbooks: int, matched: bool) -> list[str]:
    """`count` comments as a phase sends them (for the engine measured without a room)."""
    return [comment_text(i, i, keyword_playbooks(playbooks), matched) for i in range(count)]


class _Tally:
    """One phase's measurements in this process (times: perf_counter of this process)."""

    def __init__(self) -> None:
        self.ack_due: dict[int, float] = {}  # comment number -> sent at
        self.reply_due: dict[int, float] = {}
        self.ack_ms: list[float] = []
        self.reply_ms: list[float] = []
        self.errors: Counter[str] = Counter()
        self.frames = 0
        self.late_acks = 0  # acks of an earlier phase's comments (a saturated node's backlog)
        self.other_replies = 0  # playbook messages that answer no comment of this phase
        self.last_answer = time.perf_counter()  # the node's progress: the last ack or reply, any phase's

    def on_message(self, m: dict[str, Any], now: float) -> None:
        kind = m.get("type")
        if kind == "ack":
            self.last_answer = now
            n = int(m["cid"])
            sent = self.ack_due.pop(n, None)
            if sent is None:
                self.late_acks += 1
                return
            if "error" in m:
                self.errors[str(m["error"].get("code"))] += 1
                self.reply_due.pop(n, None)  # a refused comment triggers nothing
            else:
                self.ack_ms.append((now - sent) * 1000)
        elif kind == "assistant" and m.get("intent") == "playbook":
            self.last_answer = now
            found = NUMBER.search(str(m.get("text", "")))
            sent = self.reply_due.pop(int(found.group(1)), None) if found else None
            if sent is None:
                self.other_replies += 1
            else:
                self.reply_ms.append((now - sent) * 1000)


class Sender(WSListener):
    """One commenting viewer: room traffic is only counted; acks and personal messages are decoded."""

    __slots__ = ("tally", "transport", "welcomed")

    def __init__(self, tally: list[_Tally], welcomed: asyncio.Future[None]) -> None:
        self.tally = tally  # a one-item list: the parent swaps the phase's tally in
        self.welcomed = welcomed
        self.transport: WSTransport | None = None

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type is not WSMsgType.TEXT:
            return
        t = self.tally[0]
        t.frames += 1
        payload = frame.get_payload_as_bytes()
        if payload.startswith(b'{"type":"batch"'):
            if b'"ack"' not in payload and b'"playbook"' not in payload:
                return  # room traffic: counted, not decoded
            msgs = orjson.loads(payload)["msgs"]
        else:
            msgs = [orjson.loads(payload)]
        now = time.perf_counter()
        for m in msgs:
            if m.get("type") == "welcome" and not self.welcomed.done():
                self.welcomed.set_result(None)
            else:
                t.on_message(m, now)

    def send(self, payload: bytes) -> None:
        assert self.transport is not None
        self.transport.send(WSMsgType.TEXT, payload)


async def _connect(cfg: dict[str, Any], user: str, tally: list[_Tally]) -> Sender:
    signer = TokenSigner(cfg["secret"], 3600)
    token = signer.issue(room=cfg["room"], user=user, role=Role.VIEWER, nickname=f"观众{user[1:]}")
    welcomed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    _t, client = await ws_connect(lambda: Sender(tally, welcomed), f"{cfg['url']}?token={token}")
    assert isinstance(client, Sender)
    await asyncio.wait_for(welcomed, 60)
    return client


async def _phase(cfg: dict[str, Any], clients: list[Sender], tally: _Tally, phase: dict[str, Any],
                 first: int) -> dict[str, Any]:  # fmt: skip
    """Send this process's share of `phase["rate"]` for `phase["duration"]` s, then wait for the answers."""
    rate = phase["rate"] * cfg["share"]
    count = int(rate * phase["duration"])
    keywords = max(1, int(phase["keywords"]))
    step, w = cfg["workers"], cfg["index"]
    start = time.perf_counter()
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        n = (first + i) * step + w  # unique across processes and phases: no text is ever repeated
        now = time.perf_counter()
        tally.ack_due[n] = now
        if phase["matched"]:
            tally.reply_due[n] = now
        text = comment_text(first + i, n, keywords, phase["matched"])
        frame = {"type": "comment", "cid": str(n), "text": text}
        clients[i % len(clients)].send(orjson.dumps(frame))
    send_s = time.perf_counter() - start
    # drain: a saturated node works off its backlog before the next phase starts (no overlap); give up
    # once no ack or reply at all (this phase's or an earlier one's) has arrived for STALL_S
    while (tally.ack_due or tally.reply_due) and time.perf_counter() - tally.last_answer < STALL_S:
        await asyncio.sleep(0.05)  # a load generator's drain window, not a test's wait
    drain_s = time.perf_counter() - start - send_s
    return {
        "sent": count, "send_s": send_s, "drain_s": drain_s, "ack_ms": tally.ack_ms,
        "reply_ms": tally.reply_ms,
        "errors": dict(tally.errors), "acks_missing": len(tally.ack_due),
        "replies_missing": len(tally.reply_due), "late_acks": tally.late_acks,
        "other_replies": tally.other_replies, "frames": tally.frames,
    }  # fmt: skip


async def _main(pipe: Connection, cfg: dict[str, Any]) -> None:
    loop = asyncio.get_running_loop()
    tally = [_Tally()]
    sem = asyncio.Semaphore(100)
    clients: list[Sender] = []

    async def one(user: str) -> None:
        async with sem:
            clients.append(await _connect(cfg, user, tally))
            if len(clients) % 100 == 0:
                pipe.send(("progress", len(clients)))

    await asyncio.gather(*(one(u) for u in cfg["users"]))
    pipe.send(("connected", len(clients)))
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    loop.add_reader(pipe.fileno(), lambda: inbox.put_nowait(pipe.recv()))
    os.set_blocking(pipe.fileno(), True)  # add_reader made it non-blocking; results are large
    first = 0
    while True:
        cmd = await inbox.get()
        if cmd == "stop":
            break
        tally[0] = _Tally()
        cpu0 = process_cpu_s()
        result = await _phase(cfg, clients, tally[0], cmd, first)
        first += result["sent"]
        result["cpu_s"] = process_cpu_s() - cpu0
        pipe.send(("stepdone", result))
    loop.remove_reader(pipe.fileno())
    for c in clients:
        if c.transport is not None:
            c.transport.disconnect()
    pipe.send(("done", {"cpu_s": process_cpu_s()}))


def sender_worker(pipe: Connection, cfg: dict[str, Any]) -> None:
    """Entry point of a sender process (harness.WorkerPool): "connected", then one "stepdone" per phase."""
    raise_fd_limit()
    try:
        uvloop.run(_main(pipe, cfg))
    except Exception as exc:
        pipe.send(("error", repr(exc)))
