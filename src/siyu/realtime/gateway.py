"""The room WebSocket gateway on picows: routing, authentication, connection registry.

URL: ws://HOST:WS_PORT/ws/rooms/{room_id}?token=JWT[&v=1]
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from picows import WSCloseCode, WSListener, WSMsgType, WSTransport, WSUpgradeRequest, ws_create_server

from siyu.auth import ROOM_ID_PATTERN, AuthError, TokenSigner
from siyu.config import Settings
from siyu.realtime import protocol as wire
from siyu.realtime.connection import Connection, RoomHandle
from siyu.realtime.protocol import CloseCode, ErrorCode
from siyu.realtime.ratelimit import RateLimits
from siyu.realtime.router import Router

log = logging.getLogger(__name__)

WS_PREFIX = "/ws/rooms/"
ROOM_ID = re.compile(ROOM_ID_PATTERN)


class Rejected(WSListener):
    """Completes the upgrade only to say why, in an error frame and a close code, then disconnects."""

    def __init__(self, close_code: int, code: str, message: str) -> None:
        self._close_code = close_code
        self._code = code
        self._message = message

    def on_ws_connected(self, transport: WSTransport) -> None:
        transport.send(WSMsgType.TEXT, wire.error(self._code, self._message))
        transport.send_close(WSCloseCode(self._close_code), self._code.encode())
        transport.disconnect()


class Rooms(Protocol):
    """Where the gateway finds a room (loading it on first use); None when there is no such room."""

    async def get(self, room_id: str) -> RoomHandle | None: ...


class Gateway:
    def __init__(self, settings: Settings, signer: TokenSigner, rooms: Rooms, router: Router) -> None:
        self.settings = settings
        self._signer = signer
        self._registry = rooms
        self.router = router
        lim = settings.limits
        # the transport's own rules (per connection) and the rules the room features registered (per user)
        self.ratelimits = RateLimits(
            {"frame": lim.frame_rate, "strike": f"{lim.flood_strikes - 1}/10second", **router.rates},
            redis_url=settings.redis_url,
        )
        self.connections: set[Connection] = set()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    async def start(self, host: str, port: int, *, reuse_port: bool = False) -> int:
        self._server = await ws_create_server(
            self._route,
            host,
            port,
            websocket_handshake_timeout=5,
            enable_auto_ping=True,
            auto_ping_idle_timeout=25,
            auto_ping_reply_timeout=15,
            max_frame_size=self.settings.limits.hard_frame_bytes,
            read_buffer_init_size=256,  # grows on demand; client frames are small (limit 4 KiB)
            # uvloop's C transport: aiofastnet's Python transport costs ~6 KB more per connection
            use_aiofastnet=False,
            reuse_address=True,
            reuse_port=reuse_port,
            backlog=2048,
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def stop(self) -> None:
        await self.ratelimits.close()
        if self._server is None:
            return
        self._server.close()
        for conn in list(self.connections):
            conn.close(CloseCode.GOING_AWAY, "server shutting down")
        for _ in range(100):
            if not self.connections:
                break
            await asyncio.sleep(0.01)
        if self._tasks:
            await asyncio.gather(*tuple(self._tasks), return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    def _route(self, request: WSUpgradeRequest) -> Any:
        url = urlsplit(request.path.decode("latin-1"))
        if not url.path.startswith(WS_PREFIX):
            return None  # picows answers 404
        room_id = unquote(url.path[len(WS_PREFIX) :]).strip("/")
        query = parse_qs(url.query)
        version = query.get("v", [str(wire.PROTOCOL_VERSION)])[0]
        if version != str(wire.PROTOCOL_VERSION):
            return Rejected(CloseCode.UNSUPPORTED_VERSION, "unsupported_version", f"protocol v{version}")
        if not room_id:
            return Rejected(CloseCode.BAD_REQUEST, "bad_request", "room id missing from the URL")
        if not ROOM_ID.fullmatch(room_id):  # the ids rooms are created with; anything else is no room
            return Rejected(CloseCode.ROOM_NOT_FOUND, "room_not_found", "no such room")
        token = query.get("token", [""])[0]
        if not token:
            auth = request.headers.get("authorization", "")
            token = auth.removeprefix("Bearer ").strip()
        try:
            claims = self._signer.verify(token)
        except AuthError as exc:
            close = CloseCode.EXPIRED_TOKEN if exc.code == "auth.expired_token" else CloseCode.INVALID_TOKEN
            return Rejected(close, exc.code, str(exc))
        if not claims.allows_room(room_id):
            return Rejected(CloseCode.WRONG_ROOM, "auth.wrong_room", "token is for another room")
        return Connection(self, claims, room_id)

    def spawn(self, coro: Any) -> None:
        """A tracked task (awaited on stop)."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def attach(self, conn: Connection) -> None:
        self.connections.add(conn)
        self.spawn(self._join(conn))

    def detach(self, conn: Connection) -> None:
        self.connections.discard(conn)

    async def _join(self, conn: Connection) -> None:
        try:
            room = await self._registry.get(conn.room_id)
            if room is None:
                conn.send(wire.error("room_not_found", f"no room {conn.room_id}"))
                conn.close(CloseCode.ROOM_NOT_FOUND, "room_not_found")
                return
            await room.admit(conn)  # the room may set the member from its records (e.g. the fan level)
            room.enter(conn)
        except Exception:
            log.exception("joining room %s failed", conn.room_id)
            conn.send(wire.error(ErrorCode.INTERNAL, "the room could not be opened; try again later"))
            conn.close(1011, "internal error")
            return
        if conn.transport is None or conn.transport.is_disconnected:
            room.leave(conn, 1006)  # it left while we were welcoming it
        else:
            conn.joined(room)
