"""Strict request bodies: authorization first, then at most `MAX_BODY_BYTES`, then strict JSON.

Python's `json` module takes `NaN`, `Infinity` and escaped lone surrogates (`"\\ud800"`), which no other
JSON reader shares and which crashed building the 422 answer (and PostgreSQL refuses them). orjson reads
RFC 8259 JSON only: valid UTF-8, no lone surrogates, no NaN/Infinity. What it refuses is 400
`request.bad_json`; everything else goes on to the route's pydantic models (422 `request.invalid`).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute

from siyu.web.errors import ApiError
from siyu.web.guards import Require

__all__ = ["MAX_BODY_BYTES", "StrictRequest", "StrictRoute"]

MAX_BODY_BYTES = 8 * 1024 * 1024  # a catalog of 5,000 products fits


class StrictRequest(Request):
    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            declared = self.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
                raise _too_large()
            chunks: list[bytes] = []
            size = 0
            async for chunk in self.stream():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise _too_large()
                chunks.append(chunk)
            self._body = b"".join(chunks)
        return self._body

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = orjson.loads(await self.body())  # orjson.JSONDecodeError is a json.JSONDecodeError
        return self._json


def _too_large() -> ApiError:
    return ApiError(413, "request.too_large", f"the body is larger than {MAX_BODY_BYTES} bytes")


class StrictRoute(APIRoute):
    """Checks the route's `Require` dependencies, then reads the body (capped), then lets FastAPI parse
    (strictly) and validate it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        guards = [d.call for d in self.dependant.dependencies if isinstance(d.call, Require)]

        async def strict_handler(request: Request) -> Response:
            strict = StrictRequest(request.scope, request.receive)
            for guard in guards:
                guard.check(strict)
            await strict.body()
            return await handler(strict)

        return strict_handler
