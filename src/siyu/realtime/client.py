"""A small, fast room client on picows, used by the simulator and the load generators."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect


class RoomClient(WSListener):
    """Decodes every text frame; hands it to `on_message` or, if none, queues it for `recv()`."""

    def __init__(self, on_message: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.on_message = on_message
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.transport: WSTransport | None = None
        self.closed: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type is WSMsgType.TEXT:
            msg = orjson.loads(frame.get_payload_as_bytes())
            if self.on_message is not None:
                self.on_message(msg)
            else:
                self.inbox.put_nowait(msg)
        elif frame.msg_type is WSMsgType.CLOSE:
            code = frame.get_close_code().value
            if not transport.is_close_frame_sent:
                transport.send_close(frame.get_close_code())
            transport.disconnect()
            if not self.closed.done():
                self.closed.set_result(code)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        if not self.closed.done():
            self.closed.set_result(1006)

    def send(self, msg: dict[str, Any]) -> None:
        if self.transport is not None and not self.transport.is_close_frame_sent:
            self.transport.send(WSMsgType.TEXT, orjson.dumps(msg))

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        return await asyncio.wait_for(self.inbox.get(), timeout)

    async def close(self, timeout: float = 2.0) -> None:
        """A clean close: our close frame, then the server's (it has read every frame we sent before it);
        the TCP connection is dropped only if the server does not answer within `timeout`."""
        t = self.transport
        if t is not None and not t.is_disconnected:
            t.send_close()
            try:
                await asyncio.wait_for(asyncio.shield(self.closed), timeout)
            except (TimeoutError, asyncio.CancelledError):
                pass
            t.disconnect()
            await t.wait_disconnected()


async def connect(
    url: str, on_message: Callable[[dict[str, Any]], None] | None = None, timeout: float = 10.0
) -> RoomClient:
    _transport, client = await ws_connect(
        lambda: RoomClient(on_message), url, websocket_handshake_timeout=timeout, enable_auto_pong=True
    )
    assert isinstance(client, RoomClient)
    return client
