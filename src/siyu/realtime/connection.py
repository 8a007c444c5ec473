"""One client WebSocket connection: frame checks, rate limits, dispatch to its room."""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import TYPE_CHECKING, Protocol

import orjson
from picows import WSCloseCode, WSFrame, WSListener, WSMsgType, WSTransport

from siyu.auth import Claims
from siyu.events import now_ms
from siyu.realtime import protocol as wire
from siyu.realtime.protocol import ClientMessage, CloseCode, ErrorCode, ProtocolError
from siyu.realtime.ratelimit import Verdict

if TYPE_CHECKING:
    from siyu.realtime.gateway import Gateway

log = logging.getLogger(__name__)

MAX_EARLY_FRAMES = 32  # sent before the welcome: handled after it
MAX_EARLY_REFUSED = 32  # beyond those, refused after the welcome; beyond these too, close 4008
CLOSE_TIMEOUT_S = 2.0
EVICT_TIMEOUT_S = 5.0
_serials = itertools.count(1)


def cid_of(data: bytes) -> str | None:
    """The `cid` of a client message that is refused before (or by) parsing, so the refusal can be its ack."""
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    return wire.valid_cid(raw.get("cid")) if isinstance(raw, dict) else None


def _refusal(data: bytes, code: str, message: str, **extra: object) -> bytes:
    """A refused message's answer: a failed `ack` when it carries a cid (looked for even in a frame refused
    before parsing), else an `error` frame."""
    return wire.reject(cid_of(data), code, message, **extra)


class RoomHandle(Protocol):
    """What the gateway needs of a room: membership, resume, and dispatch of a parsed frame."""

    async def admit(self, m: Connection) -> None:
        """Before the welcome: the room may set the member from its records (e.g. the level)."""
        ...

    def enter(self, m: Connection) -> None: ...

    def leave(self, m: Connection, close_code: int) -> None: ...

    def resume(self, m: Connection, last_seq: int, epoch: str | None) -> None: ...

    def dispatch(self, m: Connection, msg: ClientMessage) -> None: ...

    def answer_known(self, m: Connection, cid: str) -> bool:
        """Answer a cid this room has seen from this user (its first ack, or with it once it comes)."""
        ...


class Connection(WSListener):
    """A room member. Frames are handled synchronously in arrival order; nothing awaits a peer."""

    __slots__ = (
        "_charge",
        "_early",
        "_fragments",
        "_gw",
        "_limit_key",
        "behind",
        "is_staff",
        "joined_at_ms",
        "level",
        "nickname",
        "role",
        "room",
        "room_id",
        "transport",
        "user_id",
    )

    def __init__(self, gateway: Gateway, claims: Claims, room_id: str) -> None:
        self._gw = gateway
        self.room_id = room_id
        self.user_id = claims.user
        self.nickname = claims.nickname
        self.level = claims.level
        self.role = claims.role
        self.joined_at_ms = now_ms()
        self.room: RoomHandle | None = None
        self.transport: WSTransport | None = None
        self._early: list[tuple[bytes, bool | None]] | None = []  # (message, binary) or (answer, None)
        self._fragments: tuple[bool, bytearray] | None = None
        self._charge: tuple[str, str, int] | None = None
        self.is_staff = claims.role.is_staff
        self.behind = False  # the transport buffer is above its high-water mark
        # per-connection rate-limit key: a serial, not id(self), which a later connection can reuse
        # (a new connection inherited a closed flooder's strikes and was cut off at once)
        self._limit_key = f"c{next(_serials)}"

    # --- picows callbacks ----------------------------------------------------------------------

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport
        low_water = self._gw.settings.fanout.drop_low_bytes
        transport.underlying_transport.set_write_buffer_limits(high=low_water, low=low_water // 4)
        self._gw.attach(self)

    def pause_writing(self) -> None:
        self.behind = True

    def resume_writing(self) -> None:
        self.behind = False

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self._gw.detach(self)
        if self.room is not None:
            hs = transport.close_handshake
            code = 1006
            if hs is not None and hs.recv is not None:
                code = hs.recv.code.value
            self.room.leave(self, code)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        mtype = frame.msg_type
        if mtype is WSMsgType.TEXT or mtype is WSMsgType.BINARY:
            if frame.fin:
                self._on_message(frame.get_payload_as_bytes(), mtype is WSMsgType.BINARY)
            else:  # the first fragment of a message: the rest comes in CONTINUATION frames
                self._fragments = (mtype is WSMsgType.BINARY, bytearray(frame.get_payload_as_bytes()))
        elif mtype is WSMsgType.CONTINUATION:
            if self._fragments is None:
                self.send(wire.error(ErrorCode.BAD_MESSAGE, "continuation frame without a first fragment"))
                return
            binary, buf = self._fragments
            buf += frame.get_payload_as_bytes()
            if len(buf) > self._gw.settings.limits.hard_frame_bytes:  # as for one frame above the hard limit
                self._fragments = None
                self.close(CloseCode.MESSAGE_TOO_BIG, "message too big")
            elif frame.fin:
                self._fragments = None
                self._on_message(bytes(buf), binary)
        elif mtype is WSMsgType.CLOSE:
            if not transport.is_close_frame_sent:
                transport.send_close(frame.get_close_code(), frame.get_close_message())
            transport.disconnect()

    # --- room side -----------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        t = self.transport
        if t is not None and not t.is_close_frame_sent and not t.is_disconnected:
            t.send(WSMsgType.TEXT, data)

    def buffered(self) -> int:
        """Bytes written to this connection and not yet accepted by the kernel."""
        t = self.transport
        return 0 if t is None else int(t.underlying_transport.get_write_buffer_size())

    def evict(self) -> None:
        """A slow consumer: it leaves the room now; its close (4009) is queued behind the backlog.

        A client that is only slow reads the backlog and then the 4009, and resumes; one that reads
        nothing is cut off after EVICT_TIMEOUT_S.
        """
        t = self.transport
        if t is None or t.is_disconnected or t.is_close_frame_sent:
            return
        if self.room is not None:
            self.room.leave(self, CloseCode.SLOW_CONSUMER)
        t.send_close(WSCloseCode(CloseCode.SLOW_CONSUMER), b"slow consumer")
        asyncio.get_running_loop().call_later(EVICT_TIMEOUT_S, t.disconnect, False)

    def close(self, code: int, reason: str) -> None:
        """Start the closing handshake; the peer's CLOSE (or a 2 s timeout) ends the connection.

        Disconnecting at once would let the kernel answer the peer's in-flight frames with a reset,
        which can destroy our close frame before the peer reads it.
        """
        t = self.transport
        if t is not None and not t.is_close_frame_sent:
            t.send_close(WSCloseCode(code), reason.encode()[:120])
            asyncio.get_running_loop().call_later(CLOSE_TIMEOUT_S, t.disconnect)

    def joined(self, room: RoomHandle) -> None:
        """Called by the gateway once the room is loaded and the welcome is sent."""
        self.room = room
        early, self._early = self._early, None
        for i, (data, binary) in enumerate(early or ()):
            if binary is None:
                self.send(data)  # an answer prepared when it came (an oversize message)
            elif i < MAX_EARLY_FRAMES:
                self._on_message(data, binary)
            else:
                self._refuse(data, ErrorCode.RATE_LIMITED, "wait for the welcome before sending")

    # --- frame handling ------------------------------------------------------------------------

    def _on_message(self, data: bytes, binary: bool) -> None:
        """One whole client message. Every refusal of a message that carries a `cid` is its `ack`."""
        if self.transport is not None and self.transport.is_close_frame_sent:
            return  # closing: the peer's last frames are not processed
        limits = self._gw.settings.limits
        too_large = len(data) > limits.max_frame_bytes
        if too_large:  # a type may allow more (an rtc_signal's SDP)
            too_large = len(data) > self._gw.router.frame_limit(data, limits.max_frame_bytes)
        if self._early is not None:  # before the welcome: kept as they came, answered after it
            if len(self._early) >= MAX_EARLY_FRAMES + MAX_EARLY_REFUSED:
                self.close(CloseCode.FLOODING, "flooding")
            elif too_large:  # keep only its answer, not the bytes
                self._early.append((self._too_large(data), None))
            else:
                self._early.append((data, binary))
            return
        if too_large:
            self.send(self._too_large(data))
            return
        key = self._limit_key
        verdict = self._gw.ratelimits.hit("frame", key)
        if not verdict.allowed:
            if not self._gw.ratelimits.hit("strike", key).allowed:  # refused too often: a flood
                self.close(CloseCode.FLOODING, "flooding")
                return
            self._refuse(data, ErrorCode.RATE_LIMITED, "发送太快了", retry_after_ms=verdict.retry_after_ms)
            return
        if binary:
            self._refuse(data, ErrorCode.BINARY_UNSUPPORTED, "send JSON in text frames")
            return
        self._handle(data)

    def _too_large(self, data: bytes) -> bytes:
        limit = self._gw.settings.limits.max_frame_bytes
        text = f"frame of {len(data)} bytes exceeds {limit}"
        return _refusal(data, ErrorCode.FRAME_TOO_LARGE, text, limit=limit)

    def _refuse(self, data: bytes, code: str, message: str, **extra: object) -> None:
        self.send(_refusal(data, code, message, **extra))

    def _handle(self, data: bytes) -> None:
        room = self.room
        assert room is not None
        router = self._gw.router
        try:
            msg = router.parse(data)
        except ProtocolError as exc:
            self.send(wire.reject(exc.cid, exc.code, exc.message))
            return
        if isinstance(msg, wire.PingIn):
            self.send(wire.pong(msg.t, now_ms()))
            return
        if isinstance(msg, wire.ResumeIn):
            room.resume(self, msg.last_seq, msg.epoch)
            return
        cid = getattr(msg, "cid", None)
        if cid is not None and room.answer_known(self, cid):
            return  # a re-sent cid gets its first answer, before any rate limit
        route = router.route(msg.type)  # type: ignore[attr-defined]  # every model has a Literal type
        if route.rate is None or self.is_staff:  # staff actions: only the per-connection frame rate
            self._dispatch(room, msg)
            return
        limits, cost = self._gw.ratelimits, route.cost(msg)
        if limits.is_global:  # checked in Redis: the dispatch waits for that answer
            self._gw.spawn(self._dispatch_after_global(room, msg, route.rate, cost))
            return
        verdict = limits.check(route.rate, self._user_key, cost)
        if self._allowed(msg, verdict):
            self._dispatch(room, msg, (route.rate, self._user_key, cost))

    @property
    def _user_key(self) -> str:
        return f"{self.room_id}:{self.user_id}"

    async def _dispatch_after_global(
        self, room: RoomHandle, msg: ClientMessage, rule: str, cost: int
    ) -> None:
        verdict = await self._gw.ratelimits.check_global(rule, self._user_key, cost)
        if self._allowed(msg, verdict) and self.transport is not None and not self.transport.is_disconnected:
            self._dispatch(room, msg, (rule, self._user_key, cost))

    def _allowed(self, msg: ClientMessage, verdict: Verdict) -> bool:
        if not verdict.allowed:
            text = "操作太频繁，请稍后再试"
            cid = getattr(msg, "cid", None)
            self.send(wire.reject(cid, ErrorCode.RATE_LIMITED, text, retry_after_ms=verdict.retry_after_ms))
        return verdict.allowed

    def charge(self) -> None:
        """The action being handled was accepted: it spends its rate budget now (refused ones never do)."""
        charge, self._charge = self._charge, None
        if charge is None:
            return
        limits = self._gw.ratelimits
        if limits.is_global:
            self._gw.spawn(limits.spend_global(*charge))
        else:
            limits.spend(*charge)

    def _dispatch(
        self, room: RoomHandle, msg: ClientMessage, charge: tuple[str, str, int] | None = None
    ) -> None:
        self._charge = charge
        try:
            room.dispatch(self, msg)
        except Exception:
            log.exception("handling %s failed", getattr(msg, "type", "?"))
            self.send(wire.reject(getattr(msg, "cid", None), ErrorCode.INTERNAL, "internal error"))
        finally:
            self._charge = None
