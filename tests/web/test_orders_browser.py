"""Buying in real headless Chromium: the host starts a flash sale from the console (1280x800), the viewer
page (390x844) shows the 限时秒杀 card with its price, units left and countdown, 马上抢 opens the product's
sheet at the sale's price, 立即购买 places the order; a second viewer sees the units go down; the best coupon
of the wallet is taken off a normal order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from siyu.app import Node
from siyu.auth import Role
from tests.web.conftest import watch
from tests.web.test_viewer_browser import act, inside_viewport, staff

pytestmark = [pytest.mark.integration, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
SHOTS = Path("var/screenshots")


async def page_for(browser: Browser, node: Node, errors: list[str], user: str, role: Role = Role.VIEWER,
                   viewport: dict[str, int] = PHONE) -> Page:  # fmt: skip
    nickname = "小鹿" if role is Role.VIEWER else "晚晚"
    token = node.signer.issue(room="demo", user=user, role=role, nickname=nickname)
    page = watch(await browser.new_page(viewport=viewport), errors)  # type: ignore[arg-type]
    path = "room" if role is Role.VIEWER else "host"
    await page.goto(f"{node.http_url}/{path}/demo#token={token}")
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")
    return page


async def test_a_flash_sale_from_the_console_is_bought_on_the_phone(
    browser: Browser, sqlite_node: Node
) -> None:
    node, errors = sqlite_node, []
    host = await page_for(browser, node, errors, "host", Role.HOST, {"width": 1280, "height": 800})
    me = await page_for(browser, node, errors, "me")
    other = await page_for(browser, node, errors, "other")

    row = host.locator('#catalog li.catalog-item[data-product-id="P02"]')
    await row.locator(".catalog-flash").click()
    form = row.locator(".flash-form")
    await form.locator('input[name="price"]').fill("19.9")
    await form.locator('input[name="quantity"]').fill("3")
    await form.locator('button[type="submit"]').click()
    await expect(row.locator(".flash-live")).to_contain_text("秒杀中 ¥19.9")

    card = me.locator("#flash-card")
    await expect(card).to_be_visible()
    await expect(card.locator(".flash-price")).to_contain_text("19.9")
    await expect(card.locator(".flash-left")).to_have_text("仅剩3件")
    await inside_viewport(me, "#flash-card")
    await card.locator(".flash-buy").click()
    sku = me.locator("#sku-sheet")
    await expect(sku).to_have_attribute("data-product-id", "P02")
    await expect(sku.locator("#sku-prices")).to_contain_text("秒杀价 ¥19.9")
    await sku.locator('#sku-colors .chip[data-value="白色"]').click()
    await sku.locator('#sku-sizes .chip[data-value="L"]').click()
    await expect(me.locator("#sku-quote")).to_contain_text("实付 ¥19.9")
    await expect(me.locator("#sku-plus")).to_be_disabled()  # 每人限购 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    await me.screenshot(path=str(SHOTS / "viewer-flash-sheet-390.png"))
    await me.locator("#sku-buy").click()
    await expect(me.locator("#toast")).to_contain_text("下单成功")
    await expect(other.locator("#flash-card .flash-left")).to_have_text("仅剩2件")
    await expect(row.locator(".flash-live")).to_contain_text("剩2/3件")
    await expect(other.locator("#comments li.purchase")).to_have_text("🛒 小** 刚刚买了 基础款T恤")
    await expect(host.locator("#comments li.purchase")).to_contain_text("小** 下单了 基础款T恤")
    await other.screenshot(path=str(SHOTS / "viewer-flash-card-390.png"))
    await host.screenshot(path=str(SHOTS / "host-flash-1280.png"))
    assert errors == []


async def test_the_best_coupon_of_the_wallet_comes_off_the_order(
    browser: Browser, sqlite_node: Node, connect: Any
) -> None:
    node, errors = sqlite_node, []
    host = await staff(connect, node)
    drop = await act(host, {"type": "coupon_push", "coupon_id": "C02", "quantity": 5, "cid": "k1"})
    me = await page_for(browser, node, errors, "me")
    claim = "b => window.siyuRoom.request({type: 'claim', batch_id: b})"
    got = await me.evaluate(claim, drop["msg"]["batch_id"])
    assert got["ok"] and got["ack"]["grant"]["coupon_id"] == "C02"
    await me.locator("#cart-btn").click()
    await me.locator('li.cart-item[data-product-id="P01"] .cart-buy').click()
    sku = me.locator("#sku-sheet")
    await sku.locator('#sku-colors .chip[data-value="碎花蓝"]').click()
    await sku.locator('#sku-sizes .chip[data-value="M"]').click()
    await me.locator("#sku-plus").click()  # 2 x 159 = 318 >= 299: 满299减40
    quote = me.locator("#sku-quote")
    await expect(sku.locator("#sku-prices")).to_have_text("直播价 ¥159原价 ¥299")
    await expect(quote).to_contain_text("实付 ¥278")
    await expect(quote).to_contain_text("直播间满299减40")
    await me.screenshot(path=str(SHOTS / "viewer-checkout-coupon-390.png"))
    await me.locator("#sku-buy").click()
    await expect(me.locator("#toast")).to_contain_text("实付 ¥278（券减¥40）")
    await expect(sku).to_be_hidden()
    assert errors == []
