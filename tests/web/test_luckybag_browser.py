"""Lucky bags (福袋) in real headless Chromium: the host console starts a bag from its form, a viewer page at
390x844 sees the floating bag with its countdown, opens it, sends the 口令 and waits (已参与，等待开奖);
the host draws early and the viewer page shows 中奖 with the winners; a second viewer's page, which did
not enter, is told by a toast only. No page error, no CSP violation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from siyu.app import Node
from siyu.auth import Role
from tests.web.conftest import watch

pytestmark = [pytest.mark.integration, pytest.mark.browser]


async def open_page(browser: Browser, node: Node, path: str, user: str, role: Role, size: dict[str, int],
                    errors: list[str], nickname: str) -> Page:  # fmt: skip
    token = node.signer.issue(room="demo", user=user, role=role, nickname=nickname, level=6)
    page = watch(await browser.new_page(viewport=size), errors)  # type: ignore[arg-type]
    await page.goto(f"{node.http_url}/{path}/demo#token={token}")
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")
    return page


async def test_host_starts_a_bag_a_phone_viewer_joins_and_sees_the_draw(
    browser: Browser, sqlite_node: Node, connect: Any
) -> None:
    node, errors = sqlite_node, []
    host = await open_page(
        browser, node, "host", "host", Role.HOST, {"width": 1280, "height": 800}, errors, "晚晚"
    )
    phone = {"width": 390, "height": 844}
    viewer = await open_page(browser, node, "room", "me", Role.VIEWER, phone, errors, "小鹿")
    other = await open_page(browser, node, "room", "other", Role.VIEWER, phone, errors, "路人")

    await host.click("#lb-open-btn")
    form = host.locator("#lb-dialog")
    await expect(form).to_be_visible()
    await expect(host.locator("#lb-prize option")).not_to_have_count(0)  # coupons and products of the shop
    await host.select_option("#lb-prize", "coupon:C01")
    await host.fill("#lb-winners", "2")
    await host.select_option("#lb-seconds", "300")
    await host.select_option("#lb-entry", "phrase")
    await host.fill("#lb-phrase", "晚晚福袋")
    await host.click("#lb-start")
    await expect(form).to_be_hidden()
    panel = host.locator("#lb-panel")
    await expect(panel).to_have_attribute("data-state", "open")
    await expect(panel).to_contain_text("直播间满199减20")

    bubble = viewer.locator("#lb-bubble")
    await expect(bubble).to_be_visible()
    await expect(bubble.locator(".lb-time")).to_have_text(
        re.compile(r"^0[45]:\d\d$")
    )  # counting down from 5:00
    await bubble.click()
    join = viewer.locator("#lb-join")
    await expect(join).to_have_text("发送口令「晚晚福袋」参与")
    await expect(viewer.locator("#lb-sheet")).to_contain_text("发送口令「晚晚福袋」")
    await join.click()
    await expect(join).to_have_text("已参与，等待开奖")
    await expect(join).to_be_disabled()
    await expect(viewer.locator("#comments")).to_contain_text("晚晚福袋")  # the 口令 went to the chat
    await expect(host.locator("#lb-count")).to_have_text("1")
    await expect(bubble).to_have_attribute("data-state", "joined")
    box = await bubble.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] >= 0

    await host.click("#lb-draw-btn")
    await expect(panel).to_have_attribute("data-state", "drawn", timeout=15_000)
    result = viewer.locator("#lb-result")
    await expect(result).to_be_visible(timeout=15_000)
    await expect(result).to_have_attribute("data-outcome", "won")
    await expect(result).to_contain_text("恭喜中奖")
    await expect(result.locator(".lb-winner")).to_have_text(["小鹿"])
    await expect(result).to_contain_text("优惠券已放入你的卡券包")
    await expect(bubble).to_be_hidden()
    await expect(panel).to_contain_text("共 1 人参与，1 人中奖")
    await expect(other.locator("#toast")).to_contain_text("福袋已开奖")
    await expect(other.locator("#lb-result")).to_be_hidden()
    await result.locator(".lb-result-ok").click()
    await expect(result).to_be_hidden()
    assert errors == []
