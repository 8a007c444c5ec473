"""picows load-generator clients for the benchmark peers (see `siyu.bench.peers`).

`SocketIOClient` speaks Engine.IO v4 / Socket.IO v5 over a bare WebSocket (no long-polling, default
namespace only); `RawClient` speaks one JSON object per text frame. Both hand each received comment, decoded
with orjson, to `on_message`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

OnMessage = Callable[[dict[str, Any]], None]

# Engine.IO packet types are the first character of a frame; Socket.IO packet types the second one of an
# Engine.IO "message" (4) packet.
_EIO_OPEN, _EIO_CLOSE, _EIO_PING, _EIO_MESSAGE = 0x30, 0x31, 0x32, 0x34  # "0" "1" "2" "4"
_SIO_CONNECT, _SIO_DISCONNECT, _SIO_EVENT, _SIO_CONNECT_ERROR = 0x30, 0x31, 0x32, 0x34  # "0" "1" "2" "4"
_EVENT_HEAD = b'42["comment",'


class _PeerClient(WSListener):
    def __init__(self, on_message: OnMessage) -> None:
        self.on_message = on_message
        self.transport: WSTransport | None = None
        self.closed: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def _on_close_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        code = frame.get_close_code()
        transport.send_close(code)
        transport.disconnect()
        if not self.closed.done():
            self.closed.set_result(code.value)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        if not self.closed.done():
            self.closed.set_result(1006)

    async def close(self) -> None:
        t = self.transport
        if t is not None and not t.is_disconnected:
            t.send_close()
            t.disconnect()
            await t.wait_disconnected()


class RawClient(_PeerClient):
    """Client of the raw broadcast peer: one JSON object per text frame, both ways."""

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type is WSMsgType.TEXT:
            self.on_message(orjson.loads(frame.get_payload_as_memoryview()))
        elif frame.msg_type is WSMsgType.CLOSE:
            self._on_close_frame(transport, frame)

    def send_comment(self, payload: dict[str, Any]) -> None:
        t = self.transport
        if t is not None and not t.is_close_frame_sent:
            t.send(WSMsgType.TEXT, orjson.dumps(payload))


class SocketIOClient(_PeerClient):
    """Socket.IO v5 client over a WebSocket-only Engine.IO v4 session, on the default namespace.

    `connected` resolves with the Socket.IO session id once the namespace connect is acknowledged;
    "comment" events go to `on_message`; Engine.IO pings are answered; everything else is ignored.
    """

    def __init__(self, on_message: OnMessage) -> None:
        super().__init__(on_message)
        self.connected: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.ping_interval_ms = 0
        self.ping_timeout_ms = 0
        self._out = bytearray(_EVENT_HEAD)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type is not WSMsgType.TEXT:
            if frame.msg_type is WSMsgType.CLOSE:
                self._on_close_frame(transport, frame)
            return
        data = frame.get_payload_as_memoryview()
        size = len(data)
        if size == 0:
            return
        eio = data[0]
        if eio == _EIO_MESSAGE and size > 1:
            sio = data[1]
            if sio == _SIO_EVENT:
                event = orjson.loads(data[2:])
                if event[0] == "comment":
                    self.on_message(event[1])
            elif sio == _SIO_CONNECT:
                if not self.connected.done():
                    self.connected.set_result(str(orjson.loads(data[2:]).get("sid", "")) if size > 2 else "")
            elif sio == _SIO_CONNECT_ERROR:
                if not self.connected.done():
                    self.connected.set_exception(
                        ConnectionError(f"socket.io connect refused: {bytes(data)!r}")
                    )
            elif sio == _SIO_DISCONNECT:
                transport.send_close()
                transport.disconnect()
        elif eio == _EIO_PING:
            transport.send(WSMsgType.TEXT, b"3")
        elif eio == _EIO_OPEN:
            handshake = orjson.loads(data[1:])
            self.ping_interval_ms = int(handshake.get("pingInterval", 0))
            self.ping_timeout_ms = int(handshake.get("pingTimeout", 0))
            transport.send(WSMsgType.TEXT, b"40")
        elif eio == _EIO_CLOSE:
            transport.send_close()
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        super().on_ws_disconnected(transport)
        if not self.connected.done():
            self.connected.set_exception(ConnectionError("disconnected before the socket.io connect"))

    def send_comment(self, payload: dict[str, Any]) -> None:
        """Emit `["comment", payload]` (an Engine.IO message carrying a Socket.IO event)."""
        t = self.transport
        if t is not None and not t.is_close_frame_sent:
            out = self._out
            del out[len(_EVENT_HEAD) :]
            out += orjson.dumps(payload)
            out.append(0x5D)  # "]"
            t.send(WSMsgType.TEXT, out)


def socketio_url(port: int, host: str = "127.0.0.1") -> str:
    return f"ws://{host}:{port}/socket.io/?EIO=4&transport=websocket"


def raw_url(port: int, host: str = "127.0.0.1") -> str:
    return f"ws://{host}:{port}/"


async def connect_socketio(
    port: int, on_message: OnMessage, *, host: str = "127.0.0.1", timeout: float = 10.0
) -> SocketIOClient:
    """Open a Socket.IO session on the default namespace; returns once the server acknowledged it."""
    _transport, client = await ws_connect(
        lambda: SocketIOClient(on_message),
        socketio_url(port, host),
        websocket_handshake_timeout=timeout,
        enable_auto_pong=True,
    )
    assert isinstance(client, SocketIOClient)
    try:
        await asyncio.wait_for(client.connected, timeout)
    except BaseException:
        await client.close()
        raise
    return client


async def connect_raw(
    port: int, on_message: OnMessage, *, host: str = "127.0.0.1", timeout: float = 10.0
) -> RawClient:
    _transport, client = await ws_connect(
        lambda: RawClient(on_message),
        raw_url(port, host),
        websocket_handshake_timeout=timeout,
        enable_auto_pong=True,
    )
    assert isinstance(client, RawClient)
    return client
