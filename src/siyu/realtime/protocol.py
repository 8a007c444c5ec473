"""Wire protocol v1: client frames (validated pydantic models) and server frames (built here only).

docs/protocol.md is the human-readable contract; keep both in step.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, model_validator

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


ERROR_TEXT: dict[str, str] = {
    ErrorCode.RATE_LIMITED: "发送太快了，请稍后再试",
    ErrorCode.COMMENT_TOO_LONG: "评论太长了",
    ErrorCode.EMPTY_COMMENT: "评论不能为空",
    ErrorCode.FORBIDDEN_ROLE: "没有权限执行这个操作",
    ErrorCode.UNKNOWN_GIFT: "没有这个礼物",
    ErrorCode.UNKNOWN_PRODUCT: "没有这个商品",
    ErrorCode.UNKNOWN_COMMENT: "找不到要回复的评论（可能太久以前了）",
    ErrorCode.STORE_UNAVAILABLE: "服务繁忙，请稍后重试",
    ErrorCode.FRAME_TOO_LARGE: "消息太长了",
    ErrorCode.BAD_MESSAGE: "消息格式有误",
    ErrorCode.BAD_JSON: "消息格式有误",
    ErrorCode.UNKNOWN_TYPE: "不支持的操作",
    ErrorCode.BINARY_UNSUPPORTED: "不支持的消息格式",
    ErrorCode.MUTED: "你已被禁言，暂时不能发言",
    ErrorCode.BANNED: "你已被移出直播间",
    ErrorCode.INTERNAL: "服务器开小差了，请稍后重试",
    "room_not_found": "直播间不存在",
}
"""The user-facing (zh-CN) text of each error code; pages take it from GET /api/protocol."""

SERVER_TEXT_CODES = ("muted", "banned")
"""Codes whose server `message` is already meant for the user (e.g. how long a mute lasts)."""


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


CLOSE_TEXT: dict[int, tuple[str, str, bool]] = {
    CloseCode.GOING_AWAY: ("going_away", "服务器维护中，正在重新连接", False),
    CloseCode.INVALID_TOKEN: ("invalid_token", "登录凭证无效，请重新获取直播间链接", True),
    CloseCode.EXPIRED_TOKEN: ("expired_token", "登录凭证已过期，请重新获取直播间链接", True),
    CloseCode.WRONG_ROOM: ("wrong_room", "登录凭证不属于这个直播间", True),
    CloseCode.ROOM_NOT_FOUND: ("room_not_found", "直播间不存在", True),
    CloseCode.UNSUPPORTED_VERSION: ("unsupported_version", "客户端版本过旧，请刷新页面后重试", True),
    CloseCode.BAD_REQUEST: ("bad_request", "连接请求无效", True),
    CloseCode.FLOODING: ("flooding", "发送太频繁，连接已断开", False),
    CloseCode.SLOW_CONSUMER: ("slow_consumer", "网络较慢，正在重新连接", False),
    CloseCode.BANNED: ("banned", "你已被移出直播间", True),
}
"""close code -> (name, zh-CN text, fatal: reconnecting cannot help)."""


# --- client -> server --------------------------------------------------------------------------

Cid = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")]
"""A client action id: 1-64 characters, no control characters."""


def valid_cid(value: object) -> str | None:
    """`value` if it is a cid the server can answer with an ack, else None (the answer is an error frame)."""
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        return None
    return None if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value) else value


class ClientMessage(BaseModel):
    """Base of every client frame model: strict types, no unknown fields, a Literal `type`.

    Room features define their own subclasses and register them with the Router.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        """`null` for an optional field means the field was left out (it takes its default)."""
        if isinstance(data, dict) and None in data.values():
            f = cls.model_fields
            return {k: v for k, v in data.items() if v is not None or k not in f or f[k].is_required()}
        return data

    @classmethod
    def message_type(cls) -> str:
        """The `type` this model accepts (its Literal's single value)."""
        args: tuple[object, ...] = getattr(cls.model_fields["type"].annotation, "__args__", ())
        first = args[0] if len(args) == 1 else None
        if not isinstance(first, str):
            raise TypeError(f"{cls.__name__}.type must be a Literal of one string")
        return first


class PingIn(ClientMessage):
    type: Literal["ping"]
    t: float | None = None


class ResumeIn(ClientMessage):
    type: Literal["resume"]
    last_seq: int = Field(ge=0)
    epoch: str | None = Field(None, max_length=64)


class ProtocolError(Exception):
    def __init__(self, code: str, message: str, cid: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.cid = cid


# --- server -> client --------------------------------------------------------------------------


@dataclass(slots=True, kw_only=True)
class ServerMessage:
    """Base of every typed server -> client message: a dataclass whose first field is its Literal `type`.

    orjson serialises the dataclass as is (field names are the wire keys), so a message is encoded in one
    place, `encode`, whoever sends it. Subclasses give `type` its value as a default.
    """

    type: str


@dataclass(slots=True, kw_only=True)
class RoomMessage(ServerMessage):
    """A sequenced room message: the log gives it `seq` and `ts` at commit; clients dedupe/resume by seq."""

    seq: int | None = None
    ts: int | None = None


def message_type(cls: type[ServerMessage]) -> str:
    for f in fields(cls):
        if f.name == "type" and isinstance(f.default, str):
            return f.default
    raise TypeError(f"{cls.__name__} has no `type` field with a default")


def message_types(base: type[ServerMessage]) -> list[str]:
    """The wire types of every (imported) subclass of `base`, e.g. RoomMessage for the room types."""
    out: set[str] = set()
    todo = list(base.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        try:
            out.add(message_type(cls))
        except TypeError:
            pass  # an abstract intermediate base
    return sorted(out)


def encode(msg: ServerMessage | dict[str, Any]) -> bytes:
    """The one serialiser of server messages. A message whose keys are not fixed (the room `state`, to
    which every feature adds its part) gives its wire form through a `wire()` method."""
    wire = getattr(msg, "wire", None)
    return orjson.dumps(wire() if wire is not None else msg)


@dataclass(slots=True, frozen=True)
class UserRef:
    """How a user appears on the wire."""

    id: str
    nick: str
    lvl: int
    role: str


def user_ref(user_id: str, nickname: str, level: int, role: str) -> UserRef:
    return UserRef(user_id, nickname, level, role)


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
    """A failed ack when the frame carried a valid `cid`, otherwise a plain error frame."""
    valid = valid_cid(cid)
    return ack_error(valid, code, message, **extra) if valid else error(code, message, **extra)


def pong(t: float | None, ts: int) -> bytes:
    return encode({"type": "pong", "t": t, "ts": ts})
