"""The viewer page and the host console in real headless Chromium (Debian's), driven by Playwright."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from siyu.app import Node
from siyu.auth import Role
from tests.conftest import Client
from tests.web.conftest import open_page

pytestmark = [pytest.mark.integration, pytest.mark.browser]


async def test_question_from_viewer_reaches_host_panel_and_reply_comes_back(
    browser: Browser, sqlite_node: Node
) -> None:
    node = sqlite_node
    errors: list[str] = []
    host_token = node.signer.issue(room="demo", user="host", role=Role.HOST, nickname="晚晚")
    viewer_token = node.signer.issue(room="demo", user="v1", role=Role.VIEWER, nickname="小鹿", level=6)
    host = await open_page(browser, f"{node.http_url}/host/demo#token={host_token}", errors)
    viewer = await open_page(browser, f"{node.http_url}/room/demo#token={viewer_token}", errors)

    await expect(viewer.locator("#conn-status")).to_have_attribute("data-state", "open")
    await expect(viewer.locator("#welcome-text")).to_contain_text("小鹿")
    await expect(viewer.locator("#welcome-badge")).to_contain_text("Lv6")
    await expect(host.locator("#conn-status")).to_have_attribute("data-state", "open")

    await viewer.locator("#comment-input").fill("这件有XL码吗")
    await viewer.locator("#send-btn").click()
    question = host.locator("#questions li.question-item").filter(has_text="这件有XL码吗")
    await expect(question).to_have_count(1)
    await expect(question).to_contain_text("小鹿")
    await expect(host.locator("#question-count")).to_have_text("1")
    await expect(host.locator("#comments li.comment").filter(has_text="这件有XL码吗")).to_have_count(1)
    await expect(host.locator("#online")).to_have_attribute("data-value", "2")

    await question.locator("button.reply-btn").click()
    await question.locator("input.reply-input").fill("有的宝宝，XL有货")
    await question.locator("button.reply-send").click()

    reply = viewer.locator("#comments li.msg.reply")
    await expect(reply).to_have_count(1)
    await expect(reply).to_contain_text("有的宝宝，XL有货")
    await expect(reply).to_contain_text("这件有XL码吗")  # quoted as the answer to that comment
    seq = await question.get_attribute("data-seq")
    await expect(reply).to_have_attribute("data-reply-to", str(seq))
    await expect(question).to_have_class(re.compile(r"\banswered\b"))
    await expect(host.locator("#question-count")).to_have_text("0")
    assert errors == []


async def test_comments_are_rendered_as_text_not_html(browser: Browser, sqlite_node: Node) -> None:
    node = sqlite_node
    errors: list[str] = []
    token = node.signer.issue(room="demo", user="v2", role=Role.VIEWER, nickname="<b>坏人</b>")
    page = await open_page(browser, f"{node.http_url}/room/demo#token={token}", errors)
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")
    payload = '<img src=x onerror="window.pwned=1">'
    await page.locator("#comment-input").fill(payload)
    await page.locator("#send-btn").click()
    line = page.locator("#comments li.comment").last
    await expect(line).to_contain_text(payload)
    assert await page.evaluate("window.pwned === undefined")
    assert await page.locator("#comments img").count() == 0
    assert errors == []


async def test_like_button_updates_room_likes(browser: Browser, sqlite_node: Node, connect: Any) -> None:
    node = sqlite_node
    errors: list[str] = []
    token = node.signer.issue(room="demo", user="v3", role=Role.VIEWER, nickname="点赞王")
    page = await open_page(browser, f"{node.http_url}/room/demo#token={token}", errors)
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")
    for _ in range(5):
        await page.locator("#like-btn").click()
    room = node.registry.loaded("demo")
    assert room is not None
    for _ in range(50):  # the page batches taps into one like frame per 500 ms
        if room.state()["likes"] == 5:
            break
        await asyncio.sleep(0.1)
    assert room.state()["likes"] == 5
    other: Client = await connect(node, user="watcher")
    assert other.welcome["state"]["likes"] == 5
    await expect(page.locator("#likes")).to_have_attribute("data-value", "5", timeout=5000)
    assert errors == []
