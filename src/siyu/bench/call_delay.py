"""``siyu bench call --delay MS``: emulated network delay in user space, for kernels without `tc netem`.

Not netem: asyncio proxies on loopback that hold every datagram or stream chunk for a fixed time.
- Media: both peers are forced through a throwaway coturn (`ice_transport_policy = "relay"`, TURN REST
  credentials from `turn_secret`), reached through a UDP proxy that delays each datagram by MS/2 in each
  direction. A packet from peer A to peer B crosses the proxy twice (A -> coturn, then coturn -> B; the
  relay-to-relay hop inside coturn is loopback), so the one-way delay between the peers is MS and a round
  trip 2 x MS. STUN/TURN set-up (allocate, permissions, channel binds) pays the same delays.
- Signalling: the room WebSocket goes through a TCP proxy that delays each chunk by MS in each direction
  (browser -> node MS, node -> browser MS; a relayed `rtc_signal` takes 2 x MS from peer to peer). The pages
  learn the proxy's port from a routed `/api/gateway`, and their contexts bypass the pages' CSP (which only
  allows the node's own WebSocket port). The page's HTTP requests are not delayed.
The aiortc baseline is not delayed (plain loopback, host candidates).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast

from siyu.bench.turn import coturn

TURN_SECRET = "siyu-bench-turn-secret"


class _Upstream(asyncio.DatagramProtocol):
    """One client's socket towards the server: what comes back goes to that client, delayed."""

    def __init__(self, proxy: UdpDelayProxy, client: tuple[str, int]) -> None:
        self.proxy, self.client = proxy, client
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.proxy.later(lambda: self.proxy.send_to_client(data, self.client))


class UdpDelayProxy(asyncio.DatagramProtocol):
    """Listens on 127.0.0.1:port; each client address gets its own upstream socket to `target` (so the
    server sees one 5-tuple per client), and every datagram is held `delay_s` in each direction."""

    def __init__(self, target: tuple[str, int], delay_s: float) -> None:
        self.target, self.delay_s = target, delay_s
        self.transport: asyncio.DatagramTransport | None = None
        self.ups: dict[tuple[str, int], _Upstream] = {}
        self.loop = asyncio.get_running_loop()
        self.port = 0

    def later(self, fn: Any) -> None:
        self.loop.call_later(self.delay_s, fn)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def send_to_client(self, data: bytes, client: tuple[str, int]) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(data, client)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        up = self.ups.get(addr)
        if up is None:
            up = self.ups[addr] = _Upstream(self, addr)
            self.loop.create_task(self._open(up))

        def send() -> None:
            if up.transport is not None and not up.transport.is_closing():
                up.transport.sendto(data, self.target)
            else:  # still opening: try again shortly (only the very first datagram of a client)
                self.loop.call_later(0.001, send)

        self.later(send)

    async def _open(self, up: _Upstream) -> None:
        await self.loop.create_datagram_endpoint(lambda: up, local_addr=("127.0.0.1", 0))

    def close(self) -> None:
        for up in self.ups.values():
            if up.transport is not None:
                up.transport.close()
        if self.transport is not None:
            self.transport.close()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay_s: float) -> None:
    """Copy reader -> writer, each chunk written `delay_s` after it was read (order kept)."""
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def write() -> None:
        while True:
            due, chunk = await queue.get()
            if not chunk:
                break
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            writer.write(chunk)
            await writer.drain()

    w = asyncio.create_task(write())
    try:
        while chunk := await reader.read(65536):
            queue.put_nowait((time.perf_counter() + delay_s, chunk))
    except (ConnectionError, OSError):
        pass
    finally:
        queue.put_nowait((0.0, b""))
        with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
            await w
        writer.close()
        with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
            await writer.wait_closed()


class TcpDelayProxy:
    """A TCP proxy on 127.0.0.1 to `target` delaying every chunk `delay_s` in each direction. `close()` ends
    its connections too (their streams are closed inside the loop, never left to the collector)."""

    def __init__(self, target: tuple[str, int], delay_s: float) -> None:
        self.target, self.delay_s = target, delay_s
        self.tasks: set[asyncio.Task[Any]] = set()
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._conn, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            try:
                up_r, up_w = await asyncio.open_connection(*self.target)
            except OSError:
                writer.close()
                return
            await asyncio.gather(_pump(reader, up_w, self.delay_s), _pump(up_r, writer, self.delay_s))
        finally:
            self.tasks.discard(task)

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.server is not None:
            await self.server.wait_closed()


def delay_note(delay_ms: int) -> str:
    half = f"{delay_ms / 2:g}"
    return (
        f"emulated {delay_ms} ms (userspace proxy), not netem: media relayed through coturn behind a UDP "
        f"proxy delaying each datagram {half} ms each way (peer to peer {delay_ms} ms one way); the room "
        f"WebSocket through a TCP proxy delaying each chunk {delay_ms} ms each way; HTTP and the aiortc "
        f"baseline not delayed"
    )


@dataclass(slots=True)
class Delayed:
    """What `delayed_paths` set up: the node's `[rtc]` settings and the WebSocket proxy's port."""

    rtc: dict[str, Any]
    described: str


@contextlib.asynccontextmanager
async def delayed_paths(delay_ms: int) -> AsyncIterator[Delayed]:
    """coturn behind a UDP proxy (MS/2 each way per hop: MS one way between the peers); the WebSocket
    proxy (MS each way) is started by `ws_proxy` once the node's port is known."""
    with coturn(TURN_SECRET) as turn_port:
        loop = asyncio.get_running_loop()
        udp = UdpDelayProxy(("127.0.0.1", turn_port), delay_ms / 2000)
        transport, _ = await loop.create_datagram_endpoint(lambda: udp, local_addr=("127.0.0.1", 0))
        port = int(transport.get_extra_info("sockname")[1])
        try:
            yield Delayed(
                rtc={"ice_servers": [{"urls": [f"turn:127.0.0.1:{port}?transport=udp"]}],
                     "turn_secret": TURN_SECRET, "ice_transport_policy": "relay"},
                described=delay_note(delay_ms),
            )  # fmt: skip
        finally:
            udp.close()


@contextlib.asynccontextmanager
async def ws_proxy(ws_port: int, delay_ms: int) -> AsyncIterator[int]:
    """The room WebSocket's TCP delay proxy; yields its port."""
    proxy = TcpDelayProxy(("127.0.0.1", ws_port), delay_ms / 1000)
    try:
        yield await proxy.start()
    finally:
        await proxy.close()
