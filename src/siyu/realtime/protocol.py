"""Wire protocol v1: client frames (validated pydantic models) and server frames (built here only).

docs/protocol.md is the human-readable contract; keep both in step.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

PROTOCOL_VERSION = 1


class ErrorCode:
    """Error codes carried in `error` frames and failed `ack`s."""

    BAD_JSON = "bad_json"
    BAD_MESSAGE = "bad_message"
    UNKNOWN_TYPE = "unknown_type"
    FRAME_TOO_LARGE = "frame_too_large"
    BINARY_UNSUPPORTED = "binary_unsupported"
    COMMENT_TOO_LONG = "comment_too_long"
    EMPTY_COMMENT = "empty_comment"
    FORBIDDEN_ROLE = "forbidden_role"
    RATE_LIMITED = "rate_limited"
    UNKNOWN_GIFT = "unknown_gift"
    UNKNOWN_PRODUCT = "unknown_product"
    UNKNOWN_COMMENT = "unknown_comment"
    STORE_UNAVAILABLE = "store_unavailable"
    MUTED = "muted"
    BANNED = "banned"
    INTERNAL = "internal"


class CloseCode:
    """WebSocket close codes the server uses."""

    NORMAL = 1000
    GOING_AWAY = 1001  # server shutting down: reconnect with back-off
    MESSAGE_TOO_BIG = 1009  # a frame above the hard limit
    INVALID_TOKEN = 4001
    EXPIRED_TOKEN = 4002
    WRONG_ROOM = 4003
    ROOM_NOT_FOUND = 4004
    UNSUPPORTED_VERSION = 4005
    BAD_REQUEST = 4006
    FLOODING = 4008
    SLOW_CONSUMER = 4009  # the connection could not keep up with the room: reconnect and resume
    BANNED = 4010  # banned from the room by a moderator (or automatically): do not reconnect


# --- client -> server --------------------------------------------------------------------------

Cid = Annotated[str, Field(min_length=1, max_length=64)]


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class CommentIn(_Msg):
    type: Literal["comment"]
    cid: Cid
    text: str


class LikeIn(_Msg):
    type: Literal["like"]
    count: int = Field(1, ge=1, le=100)
    cid: Cid | None = None


class GiftIn(_Msg):
    type: Literal["gift"]
    gift_id: str = Field(min_length=1, max_length=32)
    count: int = Field(1, ge=1, le=99)
    cid: Cid | None = None


class FollowIn(_Msg):
    type: Literal["follow"]
    cid: Cid | None = None


class ReplyIn(_Msg):
    type: Literal["reply"]
    cid: Cid
    to_seq: int = Field(ge=1)
    text: str


class PinIn(_Msg):
    type: Literal["pin"]
    product_id: str | None = Field(None, max_length=64)
    cid: Cid | None = None


class HostStatusIn(_Msg):
    type: Literal["host_status"]
    status: Literal["live", "busy", "away"]
    cid: Cid | None = None


class ModerateIn(_Msg):
    type: Literal["moderate"]
    action: Literal["hide", "mute", "unmute", "ban", "unban"]
    user_id: str = Field(min_length=1, max_length=64)
    comment_seq: int | None = Field(None, ge=1)
    minutes: int = Field(10, ge=1, le=7 * 24 * 60)
    cid: Cid | None = None


class PingIn(_Msg):
    type: Literal["ping"]
    t: float | None = None


class ResumeIn(_Msg):
    type: Literal["resume"]
    last_seq: int = Field(ge=0)
    epoch: str | None = Field(None, max_length=64)


ClientMsg = Annotated[
    CommentIn | LikeIn | GiftIn | FollowIn | ReplyIn | PinIn | HostStatusIn | ModerateIn | PingIn | ResumeIn,
    Field(discriminator="type"),
]
CLIENT_TYPES = frozenset(
    {"comment", "like", "gift", "follow", "reply", "pin", "host_status", "moderate", "ping", "resume"}
)
_adapter: TypeAdapter[ClientMsg] = TypeAdapter(ClientMsg)


class ProtocolError(Exception):
    def __init__(self, code: str, message: str, cid: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.cid = cid


def parse_client(data: bytes | str) -> ClientMsg:
    """Decode one client frame, or raise ProtocolError with bad_json / unknown_type / bad_message."""
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError(ErrorCode.BAD_JSON, f"frame is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "frame must be a JSON object")
    cid = raw.get("cid") if isinstance(raw.get("cid"), str) else None
    mtype = raw.get("type")
    if not isinstance(mtype, str) or mtype not in CLIENT_TYPES:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type: {str(mtype)[:32]!r}", cid)
    try:
        return _adapter.validate_python(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"][1:]) or "frame"
        raise ProtocolError(ErrorCode.BAD_MESSAGE, f"{where}: {err['msg']}", cid) from exc


# --- server -> client --------------------------------------------------------------------------


def encode(msg: dict[str, Any]) -> bytes:
    return orjson.dumps(msg)


def user_ref(user_id: str, nickname: str, level: int, role: str) -> dict[str, Any]:
    return {"id": user_id, "nick": nickname, "lvl": level, "role": role}


def error(code: str, message: str, **extra: Any) -> bytes:
    return encode({"type": "error", "code": code, "message": message, **extra})


def ack_ok(cid: str, seq: int | None, message: bytes | None = None) -> bytes:
    """A success ack; `message` (already encoded) is the room message the action made: the sender's echo."""
    msg: dict[str, Any] = {"type": "ack", "cid": cid}
    if seq is not None:
        msg["seq"] = seq
    data = encode(msg)
    if message is None:
        return data
    return data[:-1] + b',"msg":' + message + b"}"


def ack_error(cid: str, code: str, message: str, **extra: Any) -> bytes:
    return encode({"type": "ack", "cid": cid, "error": {"code": code, "message": message, **extra}})


def reject(cid: str | None, code: str, message: str, **extra: Any) -> bytes:
    """A failed ack when the frame carried a `cid`, otherwise a plain error frame."""
    return ack_error(cid, code, message, **extra) if cid else error(code, message, **extra)


def pong(t: float | None, ts: int) -> bytes:
    return encode({"type": "pong", "t": t, "ts": ts})
