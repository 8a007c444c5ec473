"""The pages take the protocol catalogue from GET /api/protocol (close-code texts, sequenced types) and the
room's gift list from GET /api/rooms/{id}/gifts instead of copying them, in real headless Chromium
(Debian's)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Route, expect

from siyu.app import Node
from siyu.auth import Role
from tests.web.conftest import open_page, watch

pytestmark = [pytest.mark.integration, pytest.mark.browser]


async def catalogue(node: Node) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        r = await http.get("/api/protocol")
        assert r.status_code == 200
        doc: dict[str, Any] = r.json()
        return doc


async def test_gift_row_comes_from_the_rooms_gift_list_once_it_loads(
    browser: Browser, sqlite_node: Node
) -> None:
    """The page waits for the protocol catalogue (retrying), and its gift row is the room's own gift list
    (GET /api/rooms/{id}/gifts: the shop's gifts), not a copy."""
    node = sqlite_node
    errors: list[str] = []
    token = node.signer.issue(room="demo", user="v1", role=Role.VIEWER, nickname="小鹿")
    page = watch(await browser.new_page(), errors)
    calls: list[int] = []

    async def serve_protocol(route: Route) -> None:
        calls.append(1)
        if len(calls) == 1:  # the server is not ready yet: the page retries with back-off
            await route.fulfill(status=503, body="starting")
            return
        await route.continue_()

    async def serve_gifts(route: Route) -> None:
        resp = await route.fetch()
        doc = await resp.json()
        kept = [g for g in doc["items"] if g["id"] != "rocket"]
        doc["items"] = [dict(g, icon="🧪") if g["id"] == "heart" else g for g in kept]
        await route.fulfill(response=resp, json=doc)

    await page.route("**/api/protocol", serve_protocol)
    await page.route("**/api/rooms/demo/gifts", serve_gifts)
    await page.goto(f"{node.http_url}/room/demo#token={token}")
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "open", timeout=10000)
    gifts = (await catalogue(node))["gifts"]
    await expect(page.locator("#gift-row .gift-btn")).to_have_count(len(gifts) - 1)
    assert await page.locator('#gift-row .gift-btn[data-gift="rocket"]').count() == 0
    await expect(page.locator('#gift-row .gift-btn[data-gift="heart"] .gift-icon')).to_have_text("🧪")
    assert len(calls) == 2
    assert errors == []


async def test_fatal_close_shows_the_catalogue_text(browser: Browser, sqlite_node: Node) -> None:
    node = sqlite_node
    errors: list[str] = []
    text = (await catalogue(node))["close_codes"]["4001"]["text"]
    page = await open_page(browser, f"{node.http_url}/room/demo#token=not-a-token", errors)
    await expect(page.locator("#fatal")).to_be_visible()
    await expect(page.locator("#fatal-text")).to_have_text(text)
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "closed")
    await expect(page.locator("#send-btn")).to_be_disabled()
    assert errors == []


async def test_sequenced_messages_are_shown_once(browser: Browser, sqlite_node: Node) -> None:
    node = sqlite_node
    errors: list[str] = []
    token = node.signer.issue(room="demo", user="v1", role=Role.VIEWER, nickname="小鹿")
    page = await open_page(browser, f"{node.http_url}/room/demo#token={token}", errors)
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")
    seq = await page.evaluate("window.siyuRoom.seq.lastSeq") + 100
    comment = {"type": "comment", "seq": seq, "ts": 1, "text": "只出现一次", "question": False,
               "user": {"id": "u9", "nick": "路人", "lvl": 1, "role": "viewer"}}  # fmt: skip
    feed = "m => window.siyuRoom._onFrame(JSON.stringify(m))"
    await page.evaluate(feed, {"type": "batch", "from": seq, "to": seq, "msgs": [comment]})
    await page.evaluate(feed, comment)  # the same seq again (e.g. around a resume)
    await page.evaluate(feed, dict(comment, seq=seq - 50, text="旧消息"))  # below the highest seen
    await expect(page.locator("#comments li.comment").filter(has_text="只出现一次")).to_have_count(1)
    assert await page.locator("#comments li.comment").filter(has_text="旧消息").count() == 0
    assert errors == []
