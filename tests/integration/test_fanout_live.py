"""Room fan-out against a running node: sampling, priorities, slow consumers, and `serve --workers 2`.

Every client here is a real WebSocket client; the slow consumer is a raw TCP socket that completes the
upgrade by hand and then never reads again.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
import pytest
import websockets

from siyu.app import Node
from siyu.auth import Role, TokenSigner
from tests.conftest import Client, RedisProcess, free_port

pytestmark = pytest.mark.integration

RELAXED = {"comment_rate": "100000/second", "frame_rate": "100000/second"}


class Tap:
    """Reads a client's frames in the background, so its socket never backs up, and files them."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.acks: dict[str, dict[str, Any]] = {}
        self.msgs: list[dict[str, Any]] = []  # room messages (with a seq), in arrival order
        self.batches: list[tuple[float, dict[str, Any]]] = []  # (arrival time.monotonic(), frame)
        self.other: list[dict[str, Any]] = []
        self.closed: BaseException | None = None
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                raw = await self.client.ws.recv()
            except websockets.ConnectionClosed as exc:
                self.closed = exc
                return
            frame = orjson.loads(raw)
            kind = frame.get("type")
            if kind == "batch":
                self.batches.append((time.monotonic(), frame))
                self.msgs.extend(m for m in frame["msgs"] if "seq" in m)
            elif kind == "ack":
                self.acks[frame["cid"]] = frame
            else:
                self.other.append(frame)

    def seqs(self, mtype: str) -> list[int]:
        return [m["seq"] for m in self.msgs if m["type"] == mtype]

    def got(self, mtype: str, seqs: list[int]) -> Callable[[], bool]:
        """A predicate: every one of `seqs` has arrived as a `mtype` room message."""
        return lambda: set(seqs) <= set(self.seqs(mtype))

    async def until(self, what: str, predicate: Callable[[], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if self.closed is not None:
                raise AssertionError(f"{what}: the connection closed: {self.closed!r}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not reached within {timeout}s")
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


def check_batches(tap: Tap) -> None:
    """Every batch's from..to covers the seqs it carries, and the ranges only move forward.

    (The order of the messages inside one batch is checked by test_batch_carries_messages_in_seq_order.)
    """
    last_to = 0
    for _, batch in tap.batches:
        seqs = [m["seq"] for m in batch["msgs"] if "seq" in m]
        if not seqs:
            continue
        assert "from" in batch and "to" in batch, batch
        assert all(batch["from"] <= s <= batch["to"] for s in seqs), batch
        assert len(set(seqs)) == len(seqs), seqs
        assert batch["from"] > last_to, (last_to, batch["from"])
        last_to = batch["to"]


async def send_burst(sender: Client, n_comments: int, gift_every: int, text: Callable[[int], str]) -> int:
    """n comments (cid c{i}) with a gift (cid g{k}) after every `gift_every`-th; the last frame is a gift."""
    gifts = 0
    for i in range(n_comments):
        await sender.send({"type": "comment", "cid": f"c{i}", "text": text(i)})
        if (i + 1) % gift_every == 0 or i == n_comments - 1:
            await sender.send({"type": "gift", "cid": f"g{gifts}", "gift_id": "rocket", "count": 1})
            gifts += 1
    return gifts


def check_acks(
    tap: Tap, n_comments: int, n_gifts: int, text: Callable[[int], str]
) -> tuple[list[int], list[int]]:
    """Every action got a success ack carrying its own echo; returns (comment seqs, gift seqs)."""
    comments = []
    for i in range(n_comments):
        ack = tap.acks[f"c{i}"]
        assert "error" not in ack, ack
        msg = ack["msg"]
        assert msg["type"] == "comment" and msg["seq"] == ack["seq"], ack
        assert msg["cid"] == f"c{i}" and msg["text"] == text(i), ack
        assert msg["user"]["id"] == tap.client.welcome["you"]["id"]
        comments.append(ack["seq"])
    gifts = []
    for k in range(n_gifts):
        ack = tap.acks[f"g{k}"]
        assert "error" not in ack and ack["msg"]["type"] == "gift" and ack["msg"]["seq"] == ack["seq"], ack
        gifts.append(ack["seq"])
    assert len(set(comments + gifts)) == n_comments + n_gifts
    return comments, gifts


async def test_sampling_under_load_keeps_gifts_echoes_and_staff_complete(
    node_factory: Callable[..., Any], connect: Any
) -> None:
    cap = 5.0
    node: Node = await node_factory(fanout={"normal_cap_per_s": cap, "flush_ms": 20}, limits=RELAXED)
    host = Tap(await connect(node, user="host", role=Role.HOST, nickname="晚晚"))
    viewer = Tap(await connect(node, user="watcher", nickname="旁观者"))
    sender = Tap(await connect(node, user="spammer", nickname="刷屏"))
    taps = (host, viewer, sender)
    n = 60

    def text(i: int) -> str:
        return f"刷屏评论第{i}条"

    try:
        t0 = time.monotonic()
        n_gifts = await send_burst(sender.client, n, 15, text)
        await sender.until("all acks", lambda: len(sender.acks) == n + n_gifts)
        comments, gifts = check_acks(sender, n, n_gifts, text)
        for tap in taps:
            await tap.until("every gift", tap.got("gift", gifts))
    finally:
        for tap in taps:
            await tap.stop()

    for tap in taps:
        check_batches(tap)
        assert tap.seqs("gift") == gifts  # high priority: never sampled, in order
    # the host console sees every comment
    assert host.seqs("comment") == comments
    # the viewer sees a sample: the comments the room-level bucket let through, nothing else
    seen = viewer.seqs("comment")
    assert set(seen) <= set(comments) and seen == sorted(set(seen))
    sampled_out = node.fanout_stats.sampled_normal
    assert sampled_out > 0
    assert len(seen) == n - sampled_out
    # bucket of `cap` tokens, full when the burst starts, refilled at `cap`/s until the last comment batch
    t_last = max((t for t, b in viewer.batches if any(m["type"] == "comment" for m in b["msgs"])), default=t0)
    assert int(cap) <= len(seen) <= cap * (t_last - t0) + cap, (len(seen), t_last - t0)
    # the sender, a viewer too, gets the same sample in the room stream, and its own echo for all 60 in acks
    assert sender.seqs("comment") == seen
    assert node.fanout_stats.dropped == {"low": 0, "normal": 0} and node.fanout_stats.evicted == 0


async def test_sampling_off_viewers_get_every_comment(node_factory: Callable[..., Any], connect: Any) -> None:
    node: Node = await node_factory(
        fanout={"sampling": False, "normal_cap_per_s": 5, "flush_ms": 20}, limits=RELAXED
    )
    viewer = Tap(await connect(node, user="watcher"))
    sender = Tap(await connect(node, user="spammer"))
    n = 60

    def text(i: int) -> str:
        return f"不采样{i}"

    try:
        n_gifts = await send_burst(sender.client, n, 20, text)
        await sender.until("all acks", lambda: len(sender.acks) == n + n_gifts)
        comments, gifts = check_acks(sender, n, n_gifts, text)
        await viewer.until("every gift", viewer.got("gift", gifts))
    finally:
        await viewer.stop()
        await sender.stop()
    check_batches(viewer)
    assert viewer.seqs("comment") == comments
    assert viewer.seqs("gift") == gifts
    assert node.fanout_stats.sampled_normal == 0


async def test_batch_carries_messages_in_seq_order(node_factory: Callable[..., Any], connect: Any) -> None:
    # one long window for both priorities, so the comment and the gift surely share a batch
    node: Node = await node_factory(fanout={"flush_ms": 500, "high_flush_ms": 500}, limits=RELAXED)
    viewer: Client = await connect(node, user="watcher")
    sender = Tap(await connect(node, user="spammer"))
    try:
        await sender.client.send({"type": "comment", "cid": "c", "text": "先说一句"})
        await sender.client.send({"type": "gift", "cid": "g", "gift_id": "rose", "count": 1})
        await sender.until("acks", lambda: {"c", "g"} <= set(sender.acks))
    finally:
        await sender.stop()
    c_seq, g_seq = sender.acks["c"]["seq"], sender.acks["g"]["seq"]
    assert c_seq < g_seq
    # the client of docs/protocol.md section 2: in order, dropping what is not above the highest processed
    highest = viewer.welcome["seq"]
    processed: list[int] = []
    frames: list[dict[str, Any]] = []
    while g_seq not in processed and (not frames or highest < g_seq):
        frame = await viewer.recv_frame(timeout=10)
        if frame["type"] != "batch":
            continue
        frames.append(frame)
        for msg in frame["msgs"]:
            if "seq" in msg and msg["seq"] > highest:
                processed.append(msg["seq"])
                highest = msg["seq"]
    assert processed == [c_seq, g_seq], frames


# --- slow consumer ---------------------------------------------------------------------------------


def parse_frames(buf: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """Complete server frames (opcode, payload) at the start of `buf`, and the bytes left over."""
    frames = []
    i = 0
    while len(buf) - i >= 2:
        b0, b1 = buf[i], buf[i + 1]
        assert not b1 & 0x80, "server frames are never masked"
        size, j = b1 & 0x7F, i + 2
        if size >= 126:
            width = 2 if size == 126 else 8
            if len(buf) < j + width:
                break
            size, j = int.from_bytes(buf[j : j + width], "big"), j + width
        if len(buf) < j + size:
            break
        frames.append((b0 & 0x0F, buf[j : j + size]))
        i = j + size
    return frames, buf[i:]


async def open_stuck_client(node: Node, user: str) -> socket.socket:
    """A WebSocket client on a raw socket with a tiny receive buffer: it reads its welcome, never more."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)  # before connect: fixes the TCP window
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", node.gateway.port))
    token = node.signer.issue(room="demo", user=user, role=Role.VIEWER, nickname=user)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /ws/rooms/demo?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{node.gateway.port}\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    buf = b""
    while True:
        chunk = await asyncio.wait_for(loop.sock_recv(sock, 4096), 5)
        assert chunk, "the server closed during the handshake"
        buf += chunk
        if b"\r\n\r\n" in buf:
            head, _, rest = buf.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 101"), head
            frames, _ = parse_frames(rest)
            if frames:
                opcode, payload = frames[0]
                assert opcode == 1 and orjson.loads(payload)["type"] == "welcome", payload[:200]
                return sock


async def drain_until_eof(sock: socket.socket, timeout: float) -> tuple[bytes, str]:
    """Read everything left on the socket; returns (bytes, how it ended: 'eof' or 'reset')."""
    loop = asyncio.get_running_loop()
    data = bytearray()
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(
                f"the stuck client's socket is still open after {timeout}s ({len(data)} B read)"
            )
        try:
            chunk = await asyncio.wait_for(loop.sock_recv(sock, 65536), left)
        except ConnectionResetError:
            return bytes(data), "reset"
        except TimeoutError:
            continue
        if not chunk:
            return bytes(data), "eof"
        data += chunk


# the smallest thresholds FanoutSettings allows (drop_* >= 1024, max_buffer_bytes >= 4096); no sampling
SLOW = {"sampling": False, "drop_low_bytes": 1024, "drop_normal_bytes": 2048, "max_buffer_bytes": 4096}
COAT = "这件大衣真好看" * 27 + "好看"  # 191 characters (+ a number: no two alike), ~0.8 KB on the wire


async def flood_until_evicted(node: Node, sender: Tap, sent_c: list[str], sent_g: list[str]) -> None:
    """Bursts of 40 long comments and a gift (cids c{i}, g{k}), each burst acked, until an eviction."""
    deadline = time.monotonic() + 15
    while node.fanout_stats.evicted == 0:
        assert time.monotonic() < deadline, (
            f"no eviction after {len(sent_c)} comments; stats {node.fanout_stats.as_dict()}"
        )
        for _ in range(40):
            cid = f"c{len(sent_c)}"
            sent_c.append(cid)
            await sender.client.send({"type": "comment", "cid": cid, "text": f"{COAT}{len(sent_c)}"})
        # high priority too (a tier-3 gift): a consumer parked between drop_normal_bytes and max_buffer_bytes
        # still grows
        cid = f"g{len(sent_g)}"
        sent_g.append(cid)
        await sender.client.send({"type": "gift", "cid": cid, "gift_id": "rocket", "count": 1})
        await sender.until("burst acked", lambda: all(c in sender.acks for c in (*sent_c, *sent_g)))


async def test_slow_consumer_is_evicted_and_never_blocks_the_room(
    node_factory: Callable[..., Any], connect: Any
) -> None:
    node: Node = await node_factory(fanout=SLOW, limits=RELAXED, sqlite_synchronous="NORMAL")
    stuck = await open_stuck_client(node, "stuck")
    viewer = Tap(await connect(node, user="watcher"))
    sender = Tap(await connect(node, user="spammer"))
    sent_c: list[str] = []
    sent_g: list[str] = []
    try:
        assert len(node.gateway.connections) == 3
        await flood_until_evicted(node, sender, sent_c, sent_g)
        assert node.fanout_stats.evicted == 1
        # the room goes on: one more gift reaches the viewer, and everything before it did too
        sent_g.append("last")
        await sender.client.send({"type": "gift", "cid": "last", "gift_id": "rose", "count": 1})
        await sender.until("last gift acked", lambda: "last" in sender.acks)
        last_seq = sender.acks["last"]["seq"]
        await viewer.until("last gift", lambda: last_seq in viewer.seqs("gift"))
        acked_c = [sender.acks[c]["seq"] for c in sent_c]
        acked_g = [sender.acks[g]["seq"] for g in sent_g]
        assert viewer.seqs("comment") == acked_c  # no sampling, no drop for a reader that keeps up
        assert viewer.seqs("gift") == acked_g
        assert sender.seqs("comment") == acked_c
        check_batches(viewer)

        # the server closed the stuck client: after what the kernel still held, its socket ends
        data, how = await drain_until_eof(stuck, timeout=10)
        assert how in ("eof", "reset")
        assert len(data) > 4096  # it was sent more than it read before it was dropped
        frames, _partial = parse_frames(data)
        closes = [payload for opcode, payload in frames if opcode == 8]
        if closes:  # see test_evicted_slow_consumer_can_read_close_4009
            assert int.from_bytes(closes[0][:2], "big") == 4009
        await viewer.until("evicted peer detached", lambda: len(node.gateway.connections) == 2, timeout=5)

        # and it still serves new connections
        late = await connect(node, user="late", nickname="后来者")
        await late.send({"type": "comment", "cid": "hi", "text": "我来晚了"})
        ack = await late.expect("ack", cid="hi")
        await viewer.until("late comment", lambda: ack["seq"] in viewer.seqs("comment"))
    finally:
        stuck.close()
        await viewer.stop()
        await sender.stop()
    assert node.fanout_stats.evicted == 1
    assert viewer.closed is None and sender.closed is None


async def test_evicted_slow_consumer_can_read_close_4009(
    node_factory: Callable[..., Any], connect: Any
) -> None:
    node: Node = await node_factory(fanout=SLOW, limits=RELAXED, sqlite_synchronous="NORMAL")
    stuck = await open_stuck_client(node, "stuck")
    sender = Tap(await connect(node, user="spammer"))
    try:
        await flood_until_evicted(node, sender, [], [])
        data, _how = await drain_until_eof(stuck, timeout=10)  # slow, not dead: it reads again
    finally:
        stuck.close()
        await sender.stop()
    frames, partial = parse_frames(data)
    assert partial == b"", f"the stream was cut {len(partial)} bytes into a frame"
    assert frames and frames[-1][0] == 8, [opcode for opcode, _ in frames[-3:]]
    assert int.from_bytes(frames[-1][1][:2], "big") == 4009


# --- siyu serve --workers 2 ------------------------------------------------------------------------


async def test_serve_two_workers_share_one_room(redis_server: RedisProcess, tmp_path: Path) -> None:
    secret = "fanout-live-test-secret-0123456789abcdef"
    signer = TokenSigner(secret, 3600)
    port, ws_port = free_port(), free_port()
    argv = [
        sys.executable, "-m", "siyu", "serve", "--workers", "2", "--redis", redis_server.url,
        "--port", str(port), "--ws-port", str(ws_port), "--db", f"sqlite+aiosqlite:///{tmp_path}/x.db",
        "--demo-room", "demo",
    ]  # fmt: skip
    env = {**os.environ, "SIYU_SECRET": secret, "COLUMNS": "200"}
    log_path = tmp_path / "serve.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    workers: list[psutil.Process] = []
    sockets: list[websockets.ClientConnection] = []
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 40
        while log_path.read_text(errors="replace").count("siyu serving HTTP") < 2:
            assert proc.poll() is None, f"serve exited: {log_path.read_text(errors='replace')}"
            assert time.monotonic() < deadline, f"2 workers not up: {log_path.read_text(errors='replace')}"
            await asyncio.sleep(0.1)
        workers = psutil.Process(proc.pid).children()
        assert len(workers) == 2
        async with httpx.AsyncClient() as http:
            health = await http.get(f"{base}/healthz")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert health.json()["ws_port"] == ws_port

        viewers = []
        for i in range(20):
            token = signer.issue(room="demo", user=f"v{i}", role=Role.VIEWER, nickname=f"观众{i}")
            ws = await websockets.connect(f"ws://127.0.0.1:{ws_port}/ws/rooms/demo?token={token}")
            sockets.append(ws)
            client = Client(ws)
            client.welcome = await client.expect("welcome", timeout=10)
            viewers.append(client)
        assert len({v.welcome["epoch"] for v in viewers}) == 1  # one room history across the workers

        await viewers[0].send({"type": "comment", "cid": "hello", "text": "两个进程都能看到"})
        ack = await viewers[0].expect("ack", cid="hello", timeout=10)
        assert ack["msg"]["text"] == "两个进程都能看到"
        for v in viewers:
            got = await v.expect("comment", timeout=10, text="两个进程都能看到")
            assert got["seq"] == ack["seq"] and got["user"]["id"] == "v0"

        # HTTP connections are spread by the kernel too: fresh connections usually reach both workers
        nodes: set[str] = set()
        connections: dict[str, int] = {}
        for _ in range(30):
            async with httpx.AsyncClient() as http:
                metrics = (await http.get(f"{base}/api/metrics")).json()
            assert metrics["broker"] == "RedisBroker" and metrics["broker_healthy"] is True
            nodes.add(metrics["node"])
            connections[metrics["node"]] = metrics["connections"]
            if len(nodes) >= 2:
                break
        assert 1 <= len(nodes) <= 2
        if len(nodes) == 2:  # both workers answered: the 20 WebSockets are spread over the two of them
            assert sum(connections.values()) == 20 and min(connections.values()) > 0, connections
    finally:
        for ws in sockets:
            await ws.close()
        exited = True
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                exited = False
                proc.kill()
                proc.wait(10)
        for worker in workers:  # the supervisor stops its workers; kill any it left behind
            if worker.is_running():
                exited = False
                with contextlib.suppress(psutil.NoSuchProcess):
                    worker.kill()
        log.close()
    assert exited, f"serve did not stop within 20 s: {log_path.read_text(errors='replace')}"
    assert proc.returncode == 0, log_path.read_text(errors="replace")
