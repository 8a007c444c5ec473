"""Peer servers for `siyu bench fanout`: the same one-room comment load against other stacks.

    python -m siyu.bench.peers raw --port P        # picows + uvloop, every text frame to everyone: the limit
    python -m siyu.bench.peers socketio --port P   # python-socketio on uvicorn, one room emit per comment

Each prints `READY <port>` on stdout once it listens (`--port 0` picks a free port) and exits with status 0
on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable, Generator
from typing import Any

import uvloop
from picows import (
    WSCloseCode,
    WSFrame,
    WSListener,
    WSMsgType,
    WSTransport,
    WSUpgradeRequest,
    ws_create_server,
)

PEERS = ("raw", "socketio")
HOST = "127.0.0.1"
SOCKETIO_ROOM = "r"


def peer_command(kind: str, port: int) -> list[str]:
    """argv that starts peer `kind` ("raw" or "socketio") listening on 127.0.0.1:`port`."""
    if kind not in PEERS:
        raise ValueError(f"unknown peer {kind!r}; expected one of {', '.join(PEERS)}")
    return [sys.executable, "-m", "siyu.bench.peers", kind, "--port", str(port)]


def _ready(port: int) -> None:
    sys.stdout.write(f"READY {port}\n")
    sys.stdout.flush()


def _on_stop_signal(callback: Callable[[], None]) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, callback)


# -- raw: picows broadcast, no logic -----------------------------------------------------------------------


class _RawPeer(WSListener):
    # Iterating the shared set while sending is safe: asyncio transports report a lost connection through
    # call_soon, never from inside send(), so the set cannot change during a broadcast.
    def __init__(self, peers: set[WSTransport]) -> None:
        self._peers = peers

    def on_ws_connected(self, transport: WSTransport) -> None:
        self._peers.add(transport)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type is WSMsgType.TEXT:
            # One copy out of the read buffer, then the same bytes to everyone. (A view of the read buffer
            # measured no faster, and picows passes frames over 8 KiB to the transport uncopied.)
            payload = frame.get_payload_as_bytes()
            text = WSMsgType.TEXT
            for peer in self._peers:
                peer.send(text, payload)
        elif frame.msg_type is WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self._peers.discard(transport)


async def serve_raw(port: int) -> None:
    peers: set[WSTransport] = set()

    def route(_request: WSUpgradeRequest) -> _RawPeer:
        return _RawPeer(peers)

    server = await ws_create_server(
        route, HOST, port, enable_auto_pong=True, read_buffer_init_size=4096, reuse_address=True
    )
    stop = asyncio.Event()
    _on_stop_signal(stop.set)
    _ready(int(server.sockets[0].getsockname()[1]))
    await stop.wait()
    server.close()
    for peer in tuple(peers):
        peer.send_close(WSCloseCode.GOING_AWAY)
        peer.disconnect()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(server.wait_closed(), 5)


# -- socketio: python-socketio (ASGI) on uvicorn ------------------------------------------------------------


def socketio_app() -> Any:
    """The ASGI app: every client joins room "r"; every "comment" event is emitted to the room."""
    import socketio  # type: ignore[import-untyped]

    sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*")

    async def connect(sid: str, _environ: dict[str, Any], _auth: Any = None) -> None:
        await sio.enter_room(sid, SOCKETIO_ROOM)

    async def comment(_sid: str, data: Any) -> None:
        if isinstance(data, dict):
            await sio.emit("comment", data, room=SOCKETIO_ROOM)

    sio.on("connect", connect)
    sio.on("comment", comment)
    return socketio.ASGIApp(sio)


async def serve_socketio(port: int) -> None:
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Generator[None, None, None]:
            # uvicorn re-raises the captured signal after shutting down, which would end the process
            # with -SIGTERM; the handlers installed below just ask it to exit, and we return normally.
            yield

    config = uvicorn.Config(
        socketio_app(),
        host=HOST,
        port=port,
        loop="none",  # already running on uvloop
        http="httptools",
        ws="websockets-sansio",
        lifespan="off",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    server = Server(config)

    def stop() -> None:
        server.should_exit = True

    _on_stop_signal(stop)
    serving = asyncio.ensure_future(server.serve())
    while not server.started:
        if serving.done():
            await serving  # raises what stopped the startup
            raise RuntimeError("uvicorn exited before it started listening")
        await asyncio.sleep(0.01)
    _ready(int(server.servers[0].sockets[0].getsockname()[1]))
    await serving


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m siyu.bench.peers", description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=PEERS)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    serve = serve_raw if args.kind == "raw" else serve_socketio
    uvloop.run(serve(args.port))


if __name__ == "__main__":
    main()
