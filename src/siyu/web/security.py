"""Response headers that keep the pages to the server's own code: the pages' Content-Security-Policy, and
`nosniff` / `no-referrer` on every answer."""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SecurityHeaders", "page_policy"]

# A Host header we are willing to write into a policy: a DNS name, IPv4 or a bracketed IPv6, and a port.
_HOST = re.compile(
    r"^(?P<name>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?)(?::\d{1,5})?$"
)


def page_policy(request: Request, ws_port: int) -> str:
    """The pages run only the server's own ES modules and styles (no inline script, no inline style: they
    set CSS properties through the CSSOM, which the policy allows), talk only to this origin and to the room
    gateway on its own port, and cannot be framed."""
    connect = "'self'"
    m = _HOST.match(request.headers.get("host", ""))
    if m is not None:
        name = m.group("name")
        connect += f" ws://{name}:{ws_port} wss://{name}:{ws_port}"
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"connect-src {connect}",
            "img-src 'self' data:",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
            "form-action 'self'",
        )
    )


class SecurityHeaders:
    """ASGI middleware: `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` on every
    HTTP answer (tokens travel in page URLs' fragments, which browsers never send, but still)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
            await send(message)

        await self.app(scope, receive, with_headers)
