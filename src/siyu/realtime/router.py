"""Client frames -> typed messages: the table room features fill, the connection reads.

The transport knows no feature: each feature registers its client message models here (with the name
of the rate rule an accepted frame spends), and the connection parses every frame through the router.
`ping` and `resume` are the transport's own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError

from siyu.realtime.protocol import ClientMessage, ErrorCode, PingIn, ProtocolError, ResumeIn, valid_cid


def one(_msg: Any) -> int:
    return 1


@dataclass(frozen=True, slots=True)
class Route:
    """One client message type: its model, the rate rule it spends (None: no per-user limit) and the
    budget one frame costs (e.g. a like frame carrying 10 taps costs 10)."""

    kind: str
    model: type[ClientMessage]
    rate: str | None
    cost: Callable[[Any], int]
    max_bytes: int | None = None  # may exceed limits.max_frame_bytes (the model's `max_frame_bytes`)


_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")  # the escape \u0000, not an escaped backslash then "u0000"
_NUL_BYTES = re.compile(_NUL.pattern.encode())


def _has_nul(data: bytes | str) -> bool:
    """Whether a JSON text carries a NUL character (JSON writes it as the escape \u0000)."""
    if isinstance(data, bytes):
        return b"\\u0000" in data and _NUL_BYTES.search(data) is not None
    return "\\u0000" in data and _NUL.search(data) is not None


class Router:
    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}
        self.rates: dict[str, str] = {}
        self._large = False  # some type allows frames above limits.max_frame_bytes
        self.add(PingIn)
        self.add(ResumeIn)

    def rate_rule(self, name: str, limit: str) -> None:
        """A named per-user rate rule (`limits` syntax, e.g. "5/10second") shared by several messages."""
        if self.rates.get(name, limit) != limit:
            raise ValueError(f"rate rule {name!r} is defined twice with different limits")
        self.rates[name] = limit

    def add(
        self,
        model: type[ClientMessage],
        *,
        rate: str | None = None,
        cost: Callable[[Any], int] = one,
    ) -> Route:
        kind = model.message_type()
        if kind in self._routes:
            raise ValueError(f"client message type {kind!r} is registered twice")
        if rate is not None and rate not in self.rates:
            raise ValueError(f"message {kind!r} names rate rule {rate!r}, which is not defined")
        max_bytes = getattr(model, "max_frame_bytes", None)
        route = self._routes[kind] = Route(kind, model, rate, cost, max_bytes)
        if max_bytes is not None:
            self._large = True
        return route

    def frame_limit(self, data: bytes, default: int) -> int:
        """The byte limit of one frame: `default` (limits.max_frame_bytes), or the larger one its message
        type allows (an `rtc_signal` carries an SDP offer of several KiB)."""
        if not self._large:
            return default
        try:
            kind = orjson.loads(data).get("type")
        except (orjson.JSONDecodeError, AttributeError):
            return default
        route = self._routes.get(kind) if isinstance(kind, str) else None
        return max(default, route.max_bytes) if route is not None and route.max_bytes else default

    @property
    def types(self) -> list[str]:
        return sorted(self._routes)

    def route(self, kind: str) -> Route:
        return self._routes[kind]

    def parse(self, data: bytes | str) -> ClientMessage:
        """Decode one client frame, or raise ProtocolError with bad_json / unknown_type / bad_message."""
        try:
            raw = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise ProtocolError(ErrorCode.BAD_JSON, f"frame is not valid JSON: {exc}") from exc
        if not isinstance(raw, dict):
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "frame must be a JSON object")
        cid = valid_cid(raw.get("cid"))
        if _has_nul(data):  # no store takes a NUL in text (PostgreSQL refuses it in text and JSON columns)
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "text must not contain NUL characters", cid)
        if "type" not in raw:
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "type: Field required", cid)
        kind = raw.get("type")
        route = self._routes.get(kind) if isinstance(kind, str) else None
        if route is None:
            raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type: {str(kind)[:32]!r}", cid)
        try:
            msg: ClientMessage = route.model.model_validate(raw)
            return msg
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "frame"
            raise ProtocolError(ErrorCode.BAD_MESSAGE, f"{where}: {err['msg']}", cid) from exc
