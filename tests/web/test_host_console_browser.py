"""The host console as an operator uses it (issue 11), in real headless Chromium at 1024x768 and 1440x900:
a queue of only what needs a person, dismiss, pin by link number from the catalog list, figures of this
live session, and a comment stream that shows at least 12 lines at 1024 px."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from siyu.app import Node
from siyu.auth import Role
from tests.conftest import Client
from tests.web.conftest import watch

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SIZES = [(1024, 768), (1440, 900)]


async def console(browser: Browser, node: Node, errors: list[str], width: int, height: int) -> Page:
    token = node.signer.issue(room="demo", user="host", role=Role.HOST, nickname="晚晚")
    page = watch(await browser.new_page(viewport={"width": width, "height": height}), errors)
    await page.goto(f"{node.http_url}/host/demo#token={token}")
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")
    return page


@pytest.mark.parametrize(("width", "height"), SIZES)
async def test_the_badge_counts_what_needs_a_person_and_the_host_can_dismiss(
    browser: Browser, sqlite_node: Node, connect: Any, width: int, height: int
) -> None:
    errors: list[str] = []
    host = await console(browser, sqlite_node, errors, width, height)
    viewer: Client = await connect(sqlite_node, user="v1", nickname="小鹿")
    for cid, text in (("a", "1号多少钱？"), ("b", "主播你明天几点播？"), ("c", "能不能便宜点给我打个折？")):
        await viewer.send({"type": "comment", "cid": cid, "text": text})
        await viewer.expect("ack", cid=cid)
    items = host.locator("#questions li.question-item")
    await expect(items).to_have_count(3)
    await expect(host.locator("#question-count")).to_have_text("2")  # the price question was answered by AI
    auto = items.filter(has_text="1号多少钱")
    await expect(auto).to_have_attribute("data-state", "auto_answered")
    await expect(auto).to_be_hidden()  # 待回复 is the default tab
    await expect(auto.locator(".q-status")).to_have_text("已由AI回复")
    later = items.filter(has_text="明天几点播")
    await expect(later).to_be_visible()
    await later.locator("button.dismiss-btn").click()
    await expect(later).to_have_attribute("data-state", "dismissed")
    await expect(host.locator("#question-count")).to_have_text("1")
    await expect(host.locator('#question-filter b[data-n="dismissed"]')).to_have_text("1")
    await host.locator('#question-filter button[data-filter="dismissed"]').click()
    await expect(later).to_be_visible()
    await expect(later.locator(".q-status")).to_contain_text("已忽略")
    await host.locator('#question-filter button[data-filter="auto_answered"]').click()
    await expect(auto).to_be_visible()
    await expect(later).to_be_hidden()
    assert errors == []


async def test_the_host_presents_a_product_from_the_catalog_list_or_by_link_number(
    browser: Browser, sqlite_node: Node, connect: Any
) -> None:
    errors: list[str] = []
    host = await console(browser, sqlite_node, errors, 1024, 768)
    viewer: Client = await connect(sqlite_node, user="v1")
    rows = host.locator("#catalog li.catalog-item")
    await expect(rows.first).to_be_visible()
    links = [int(x) for x in await rows.evaluate_all("els => els.map(e => e.dataset.linkNo)")]
    assert links == sorted(links) and len(links) >= 5
    third = host.locator('#catalog li.catalog-item[data-link-no="3"]')
    pid3 = await third.get_attribute("data-product-id")
    await third.locator("button.catalog-pin").click()
    pin = await viewer.expect("pin")
    assert pin["product"]["id"] == pid3 and pin["product"]["link_no"] == 3
    await expect(third).to_have_attribute("data-explaining", "true")
    await expect(third.locator("button.catalog-pin")).to_have_text("讲解中")
    await expect(host.locator("#pin-current-id")).to_have_text("讲解中：3号")

    await host.locator("#pin-input").fill("2号链接")
    await host.locator("#pin-btn").click()
    assert (await viewer.expect("pin"))["product"]["link_no"] == 2
    await expect(host.locator('#catalog li[data-link-no="2"]')).to_have_attribute("data-explaining", "true")
    assert errors == []


async def test_at_1024_px_the_stream_shows_twelve_lines_and_moderation_only_on_the_row_in_use(
    browser: Browser, sqlite_node: Node, connect: Any
) -> None:
    errors: list[str] = []
    host = await console(browser, sqlite_node, errors, 1024, 768)
    viewers: list[Client] = [await connect(sqlite_node, user=f"v{i}", nickname=f"观众{i}") for i in range(5)]
    for i in range(20):
        v = viewers[i % 5]
        await v.send({"type": "comment", "cid": f"c{i}", "text": f"第{i}条评论"})
        await v.expect("ack", cid=f"c{i}")
    lines = host.locator("#comments li.msg.comment")
    await expect(lines).to_have_count(20)
    fully_visible = await host.evaluate(
        """() => {
          const list = document.getElementById('comments');
          const r = (list.closest('.scroll') || list).getBoundingClientRect();
          const inside = (li) => {
            const b = li.getBoundingClientRect();
            return b.top >= r.top - 1 && b.bottom <= r.bottom + 1;
          };
          return [...document.querySelectorAll('#comments li.msg.comment')].filter(inside).length;
        }"""
    )
    assert fully_visible >= 12, fully_visible
    row = lines.nth(3)
    actions = row.locator(".mod-actions")
    assert await actions.evaluate("el => getComputedStyle(el).opacity") == "0"
    await row.hover()
    await expect(actions).to_have_css("opacity", "1")
    # the header's figures are this live session's, counted by the server
    await expect(host.locator("#comment-total")).to_have_attribute("data-value", "20")
    assert errors == []
