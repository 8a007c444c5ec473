"""The pages' Content-Security-Policy: only the server's own scripts, styles and origins (plus its WebSocket
gateway on the other port), checked on the headers and in real headless Chromium."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, Error, expect

from siyu.app import Node
from siyu.auth import Role
from tests.web.conftest import open_page

pytestmark = pytest.mark.integration


def directives(header: str) -> dict[str, str]:
    parts = [p.strip() for p in header.split(";") if p.strip()]
    return {p.split(" ", 1)[0]: p.split(" ", 1)[1] if " " in p else "" for p in parts}


async def test_pages_send_a_strict_policy(sqlite_node: Node) -> None:
    node = sqlite_node
    ws = node.gateway.port
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        for path in ("/room/demo", "/host/demo"):
            r = await http.get(path)
            assert r.status_code == 200
            csp = directives(r.headers["content-security-policy"])
            assert csp == {
                "default-src": "'self'",
                "script-src": "'self'",
                "style-src": "'self'",
                "connect-src": f"'self' ws://127.0.0.1:{ws} wss://127.0.0.1:{ws}",
                "img-src": "'self' data:",
                "frame-ancestors": "'none'",
                "base-uri": "'none'",
                "object-src": "'none'",
                "form-action": "'self'",
            }
            assert r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["referrer-policy"] == "no-referrer"
        # the gateway is reached on the host name the page was loaded from
        r = await http.get("/room/demo", headers={"Host": f"live.example.com:{node.http_port}"})
        connect = directives(r.headers["content-security-policy"])["connect-src"]
        assert connect == f"'self' ws://live.example.com:{ws} wss://live.example.com:{ws}"
        r = await http.get("/room/demo", headers={"Host": "[::1]:8000"})
        assert f"ws://[::1]:{ws}" in r.headers["content-security-policy"]
        # a Host header cannot write directives of its own
        for host in ("evil;script-src *", "a b", "x'y", "*"):
            r = await http.get("/room/demo", headers={"Host": host})
            csp = directives(r.headers["content-security-policy"])
            assert csp["script-src"] == "'self'" and csp["connect-src"] == "'self'", host
        api = await http.get("/api/protocol")
        assert api.headers["x-content-type-options"] == "nosniff"
        assert api.headers["referrer-policy"] == "no-referrer"


@pytest.mark.browser
async def test_an_injected_inline_script_is_blocked(browser: Browser, sqlite_node: Node) -> None:
    node = sqlite_node
    errors: list[str] = []
    token = node.signer.issue(room="demo", user="v1", role=Role.VIEWER, nickname="小鹿")
    page = await open_page(browser, f"{node.http_url}/room/demo#token={token}", errors)
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")  # the page works
    assert errors == []  # and needed nothing the policy forbids
    # what an HTML injection would try: an inline script, an inline handler, a foreign script
    await page.evaluate(
        """() => {
        const s = document.createElement('script'); s.textContent = 'window.inlineRan = 1';
        document.body.appendChild(s);
        const i = document.createElement('img'); i.setAttribute('onerror', 'window.handlerRan = 1');
        i.src = 'data:,x'; document.body.appendChild(i);
    }"""
    )
    try:
        await page.add_script_tag(url="https://cdn.example.com/x.js")
    except Error:
        pass  # refused by the policy (it never loads)
    await page.wait_for_timeout(300)
    assert await page.evaluate("window.inlineRan === undefined && window.handlerRan === undefined")
    violations = [e for e in errors if e.startswith("CSP:")]
    assert any("script-src" in v for v in violations), errors
