"""One error envelope for every HTTP answer that is not a success: ``{"error": {"code", "message"}}``.

Whatever the input, the API answers with a code from docs/protocol.md section 8 and never a 5xx: bodies
are parsed strictly (:mod:`siyu.web.strict`), validation failures name the field, unknown paths and methods
use the envelope too, and a bug is caught as the last resort (500 ``internal``, logged once with its trace).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from siyu.web.models import ID_PATTERN, LINE_PATTERN, TEXT_PATTERN

__all__ = ["ApiError", "ErrorEnvelope", "LastResort", "error_response", "install_error_handlers", "responses"]

log = logging.getLogger(__name__)

MAX_LISTED_ERRORS = 5


class ApiError(Exception):
    """An answer in the envelope: HTTP `status`, a documented `code`, a human `message`."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorEnvelope(BaseModel):
    """Every error answer of the HTTP API."""

    error: ErrorDetail


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for a route: the envelope for each error status it may answer."""
    return {
        status: {"model": ErrorEnvelope, "description": _REASONS.get(status, "error")} for status in statuses
    }


_REASONS = {
    400: "request.bad_json: the body is not strict JSON",
    401: "auth.*: no token, or a token that is refused",
    403: "auth.forbidden_role / auth.wrong_room",
    404: "no such room or shop",
    409: "the room's state does not allow it",
    413: "request.too_large",
    422: "request.invalid (the field path in the message) or a domain code",
    503: "not_ready",
}


def _text(value: object) -> str:
    """Printable in a JSON answer whatever it holds (a lone surrogate becomes U+FFFD)."""
    return str(value).encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": _text(message)}}, status_code=status, headers=dict(headers or {})
    )


def _where(loc: Sequence[Any]) -> str:
    return ".".join(_text(part) for part in loc) or "body"


_PATTERN_TEXT = {
    ID_PATTERN: "only letters, digits, _ and - (1..64)",
    LINE_PATTERN: "text without control characters",
    TEXT_PATTERN: "text without control characters (tab, LF and CR allowed)",
}


def validation_message(errors: Sequence[Any]) -> str:
    """`field.path: what is wrong` for the first few errors (the offending values are not echoed)."""
    parts = []
    for err in list(errors)[:MAX_LISTED_ERRORS]:
        loc, msg = err.get("loc", ()), err.get("msg", "invalid")
        if tuple(loc) == ("body",) and isinstance(err.get("input"), bytes | bytearray):
            msg = "expected a JSON object sent with Content-Type: application/json"
        elif err.get("type") == "string_pattern_mismatch":
            pattern = str((err.get("ctx") or {}).get("pattern"))
            msg = f"expected {_PATTERN_TEXT.get(pattern, f'text matching {pattern}')}"
        parts.append(f"{_where(loc)}: {msg}")
    more = len(errors) - MAX_LISTED_ERRORS
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


async def _api_error(_req: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.headers)


async def _validation_error(_req: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    bad_json = [e for e in errors if e.get("type") == "json_invalid"]
    if bad_json:
        reason = (bad_json[0].get("ctx") or {}).get("error", "invalid JSON")
        return error_response(400, "request.bad_json", f"the body is not strict JSON: {reason}")
    return error_response(422, "request.invalid", validation_message(errors))


_HTTP_CODES = {
    400: "request.bad_json",
    404: "not_found",
    405: "method_not_allowed",
    413: "request.too_large",
}


async def _http_error(_req: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code if 400 <= exc.status_code < 500 else 500
    code = _HTTP_CODES.get(status, "request.invalid" if status < 500 else "internal")
    message = exc.detail if isinstance(exc.detail, str) else code
    return error_response(status, code, message, exc.headers)


class LastResort:
    """ASGI middleware: an exception that escaped every handler is a bug; answer 500 `internal` in the
    envelope (if nothing was sent yet) and log it once, with its trace."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            response = error_response(500, "internal", "internal server error")
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_middleware(LastResort)
