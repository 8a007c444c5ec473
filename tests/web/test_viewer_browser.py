"""The viewer page (issue 11) in real headless Chromium (Debian's), phone first (390x844), then 1024x768.

我的提问 keeps my question and its answers readable through a flood of other comments; 小黄车 lists the
room's products by link number and opens a product's sheet whose colour and size chips follow `stock`
messages; the header's 直播中 badge stays on one line with a long online count; the host status banner
says busy and away apart. The room is the shipped demo (shop 晚晚的衣橱, src/siyu/data/catalog.json):
P01 碎花连衣裙 has 碎花蓝/XL and 碎花黑/M sold out.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from siyu.app import Node
from siyu.auth import Role
from tests.conftest import Client
from tests.web.conftest import watch

pytestmark = [pytest.mark.integration, pytest.mark.browser]

VIEWPORTS = [
    pytest.param({"width": 390, "height": 844}, id="phone"),
    pytest.param({"width": 1024, "height": 768}, id="tablet"),
]

QUESTION = "这件有XL码吗"
HOST_ANSWER = "有的宝宝，碎花黑XL有货，今晚就发"


async def viewer(
    browser: Browser, node: Node, viewport: dict[str, int], errors: list[str], user: str = "me"
) -> Page:
    token = node.signer.issue(room="demo", user=user, role=Role.VIEWER, nickname="小鹿", level=6)
    page = watch(await browser.new_page(viewport=viewport), errors)  # type: ignore[arg-type]
    await page.goto(f"{node.http_url}/room/demo#token={token}")
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")
    return page


async def staff(connect: Any, node: Node) -> Client:
    host: Client = await connect(node, user="host", role=Role.HOST, nickname="晚晚")
    return host


async def act(client: Client, msg: dict[str, Any]) -> dict[str, Any]:
    await client.send(msg)
    ack: dict[str, Any] = await client.expect("ack", cid=msg["cid"])
    assert "error" not in ack, ack
    return ack


SETTLED = """() => Promise.all(document.getAnimations()
    .filter(a => a.effect && a.effect.getTiming().iterations !== Infinity)
    .map(a => a.finished.catch(() => null)))"""


async def inside_viewport(page: Page, selector: str) -> None:
    """`selector` lies wholly inside the viewport once the page's (finite) animations are over."""
    await page.evaluate(SETTLED)
    box = await page.locator(selector).bounding_box()
    size = page.viewport_size
    assert box is not None and size is not None
    assert box["x"] >= 0 and box["y"] >= 0, (selector, box)
    assert box["x"] + box["width"] <= size["width"] + 0.5, (selector, box)
    assert box["y"] + box["height"] <= size["height"] + 0.5, (selector, box)


# --- 5. 我的提问 --------------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", VIEWPORTS)
async def test_my_question_and_its_answers_stay_readable_through_a_flood(
    browser: Browser, sqlite_node: Node, connect: Any, viewport: dict[str, int]
) -> None:
    node = sqlite_node
    errors: list[str] = []
    host = await staff(connect, node)
    await act(host, {"type": "pin", "product_id": "P01", "cid": "pin-1"})
    page = await viewer(browser, node, viewport, errors)
    await expect(page.locator("#pinned")).to_have_attribute("data-product-id", "P01")

    await page.locator("#comment-input").fill("主播好美")  # not a question: not listed
    await page.locator("#send-btn").click()
    await page.locator("#comment-input").fill(QUESTION)
    await page.locator("#send-btn").click()
    mine = page.locator("#comments li.comment.mine", has_text=QUESTION)
    await expect(mine).to_have_count(1)
    seq = await mine.get_attribute("data-seq")
    assert seq and seq.isdigit()
    ai_line = page.locator("#comments li.assistant.to-me")
    await expect(ai_line).to_have_count(1)  # the assistant's answer, from the catalog
    ai_answer = (await ai_line.locator(".assistant-body .text").inner_text()).strip()
    assert "XL" in ai_answer
    await act(host, {"type": "reply", "cid": "r-1", "to_seq": int(seq), "text": HOST_ANSWER})
    await expect(page.locator("#comments li.reply.to-me")).to_have_count(1)

    # 50 other viewers flood the room for about two seconds
    others: list[Client] = [await connect(node, user=f"f{i}", nickname=f"路人{i}") for i in range(50)]
    for wave in range(3):
        await asyncio.gather(
            *(
                act(c, {"type": "comment", "cid": f"f-{wave}", "text": f"路人{i}刷屏第{wave}条"})
                for i, c in enumerate(others)
            )
        )
        await asyncio.sleep(0.8)
    await expect(page.locator("#comments li.comment").last).to_contain_text("刷屏第2条")
    # the premise: my question has scrolled out of the stream (or out of the list altogether)
    gone = await page.evaluate(
        """(seq) => {
            const list = document.getElementById('comments');
            const li = list.querySelector('li.comment.mine[data-seq="' + seq + '"]');
            return !li || li.getBoundingClientRect().bottom <= list.getBoundingClientRect().top + 28;
        }""",
        seq,
    )
    assert gone

    # pinned above the stream: my question and the latest answer (the host's)
    pin = page.locator("#my-qa-pin")
    await expect(pin).to_be_visible()
    await expect(pin).to_contain_text(QUESTION)
    await expect(pin).to_contain_text(HOST_ANSWER)
    await inside_viewport(page, "#my-qa-pin")

    # the 我的提问 entry: two unread answers, then the drawer with the question and both answers
    button = page.locator("#my-q-btn")
    await expect(button).to_be_visible()
    await inside_viewport(page, "#my-q-btn")
    await expect(page.locator("#my-q-count")).to_have_text("2")
    await expect(page.locator("#my-q-count")).to_have_attribute("data-unread", "true")
    await button.click()
    drawer = page.locator("#my-q-sheet")
    await expect(drawer).to_be_visible()
    items = drawer.locator("li.my-q-item")
    await expect(items).to_have_count(1)
    item = items.first
    await expect(item).to_have_attribute("data-seq", seq)
    await expect(item.locator(".my-q-text")).to_have_text(QUESTION)
    await expect(item.locator(".answer-ai")).to_contain_text(ai_answer)
    await expect(item.locator(".answer-host")).to_contain_text(HOST_ANSWER)
    await expect(item.locator(".answer-host")).to_contain_text("主播回复")
    await inside_viewport(page, "#my-q-sheet .sheet-panel")
    await inside_viewport(page, "#my-q-sheet li.my-q-item .answer-host")
    await expect(page.locator("#my-q-count")).to_have_attribute("data-unread", "false")
    await expect(page.locator("#my-q-count")).to_have_text("1")

    await drawer.locator(".sheet-close").click()
    await expect(drawer).to_be_hidden()
    assert errors == []


# --- 6. 小黄车 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", VIEWPORTS)
async def test_cart_lists_products_by_link_number_and_the_sheet_follows_stock(
    browser: Browser, sqlite_node: Node, connect: Any, viewport: dict[str, int]
) -> None:
    node = sqlite_node
    errors: list[str] = []
    host = await staff(connect, node)
    await act(host, {"type": "pin", "product_id": "P01", "cid": "pin-1"})
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        listing = (await http.get("/api/rooms/demo/products")).json()["items"]
    page = await viewer(browser, node, viewport, errors)

    # the bag: bottom left, with the number of products
    bag = page.locator("#cart-btn")
    await expect(bag).to_be_visible()
    await expect(page.locator("#cart-count")).to_have_text(str(len(listing)))
    await inside_viewport(page, "#cart-btn")
    bag_box = await bag.bounding_box()
    input_box = await page.locator("#comment-input").bounding_box()
    assert bag_box and input_box and bag_box["x"] + bag_box["width"] <= input_box["x"]
    assert viewport["height"] - (bag_box["y"] + bag_box["height"]) < 60  # at the bottom

    await bag.click()
    sheet = page.locator("#cart-sheet")
    await expect(sheet).to_be_visible()
    rows = sheet.locator("li.cart-item")
    await expect(rows).to_have_count(len(listing))
    await inside_viewport(page, "#cart-sheet .sheet-panel")
    links = [int(n) for n in await rows.evaluate_all("els => els.map(e => e.dataset.linkNo)")]
    assert links == sorted(links) and links[0] == min(p["link_no"] for p in listing)
    first = listing[0]
    row = rows.first
    await expect(row).to_contain_text(f"{first['link_no']}号")
    await expect(row.locator(".cart-name")).to_contain_text(first["short_name"])
    await expect(row.locator(".pin-live-price")).to_have_text(f"¥{first['live_price']}")
    await expect(row.locator("s.cart-price")).to_have_text(f"¥{first['price']}")
    explaining = sheet.locator("li.cart-item.explaining")
    await expect(explaining).to_have_count(1)
    await expect(explaining).to_have_attribute("data-product-id", "P01")
    await expect(explaining).to_contain_text("讲解中")

    # the host presents another product: 讲解中 moves, live
    await act(host, {"type": "pin", "product_id": "P03", "cid": "pin-2"})
    await expect(explaining).to_have_attribute("data-product-id", "P03")
    await expect(explaining).to_have_count(1)

    # 去抢购 on P01: its colours and sizes with stock
    await sheet.locator('li.cart-item[data-product-id="P01"] .cart-buy').click()
    sku = page.locator("#sku-sheet")
    await expect(sku).to_be_visible()
    await expect(sku).to_have_attribute("data-product-id", "P01")
    await inside_viewport(page, "#sku-sheet .sheet-panel")
    await inside_viewport(page, "#sku-buy")
    colors = sku.locator("#sku-colors .chip")
    await expect(colors).to_have_count(2)
    await expect(colors.nth(0)).to_contain_text("碎花蓝")
    size = lambda s: sku.locator(f'#sku-sizes .chip[data-value="{s}"]')  # noqa: E731
    blue = sku.locator('#sku-colors .chip[data-value="碎花蓝"]')
    await blue.click()
    await expect(blue).to_have_attribute("aria-pressed", "true")
    await expect(size("XL")).to_be_disabled()
    await expect(size("XL")).to_contain_text("售罄")
    await expect(size("S")).to_be_enabled()

    # stock messages change the chips while the sheet is open
    token = node.signer.issue(room="demo", user="host", role=Role.HOST, nickname="晚晚")
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=node.http_url, headers=auth) as http:
        for color, sz, count in (("碎花蓝", "L", 3), ("碎花蓝", "S", 0), ("碎花黑", "M", 5)):
            body = {"product_id": "P01", "color": color, "size": sz, "count": count}
            r = await http.post("/api/rooms/demo/stock", json=body)
            assert r.status_code == 200, r.text
    await expect(size("L")).to_contain_text("仅剩3件")
    await expect(size("S")).to_be_disabled()
    await expect(size("S")).to_contain_text("售罄")
    await sku.locator('#sku-colors .chip[data-value="碎花黑"]').click()
    await expect(size("M")).to_be_enabled()
    await expect(size("M")).to_contain_text("仅剩5件")
    await size("M").click()
    await expect(page.locator("#sku-picked")).to_contain_text("碎花黑 / M")

    # the price the server quotes, then a real order: the chip counts down with the `stock` message
    await expect(page.locator("#sku-quote")).to_contain_text("实付 ¥159")
    await page.locator("#sku-plus").click()
    await expect(page.locator("#sku-qty")).to_have_text("2")
    await expect(page.locator("#sku-quote")).to_contain_text("实付 ¥318")
    await expect(page.locator("#sku-buy")).to_have_text("立即购买 ¥318")
    await page.locator("#sku-buy").click()
    await expect(page.locator("#toast")).to_contain_text("下单成功")
    await expect(page.locator("#toast")).to_contain_text("¥318")
    await expect(sku).to_be_hidden()
    async with httpx.AsyncClient(base_url=node.http_url, headers=auth) as http:
        listing = (await http.get("/api/rooms/demo/products")).json()["items"]
    assert next(p for p in listing if p["id"] == "P01")["stock"]["碎花黑/M"] == 3
    await sheet.locator('li.cart-item[data-product-id="P01"] .cart-buy').click()  # the choice is kept
    await expect(page.locator("#sku-picked")).to_contain_text("碎花黑 / M")
    await expect(size("M")).to_contain_text("仅剩3件")
    assert "演示环境" not in await page.locator("body").inner_text()

    # the pinned card's 去抢购 opens the product being presented (P03 now)
    await sku.locator(".sheet-close").click()
    await sheet.locator(".sheet-close").click()
    await expect(sheet).to_be_hidden()
    await expect(page.locator("#pinned")).to_have_attribute("data-product-id", "P03")
    await page.locator("#pinned .pin-buy").click()
    await expect(sku).to_be_visible()
    await expect(sku).to_have_attribute("data-product-id", "P03")
    await expect(page.locator("#toast")).not_to_contain_text("演示环境")
    assert errors == []


# --- 7. layout -------------------------------------------------------------------------------------

ONE_LINE = """(id) => {
    const el = document.getElementById(id);
    const range = document.createRange();
    range.selectNodeContents(el);
    const rects = Array.from(range.getClientRects()).filter(r => r.width > 0);
    const tops = new Set(rects.map(r => Math.round(r.top)));
    const line = parseFloat(getComputedStyle(el).fontSize) * 1.5;
    return {lines: tops.size, height: range.getBoundingClientRect().height, line,
            overflows: el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1};
}"""


async def assert_one_line(page: Page, element_id: str) -> None:
    got = await page.evaluate(ONE_LINE, element_id)
    assert got["lines"] == 1 and got["height"] <= got["line"] and not got["overflows"], (element_id, got)


@pytest.mark.parametrize("viewport", VIEWPORTS)
async def test_live_badge_stays_on_one_line_with_a_long_online_count(
    browser: Browser, sqlite_node: Node, connect: Any, viewport: dict[str, int]
) -> None:
    node = sqlite_node
    errors: list[str] = []
    page = await viewer(browser, node, viewport, errors)
    for i in range(100):  # 101 viewers in the room
        await connect(node, user=f"w{i}")
    await expect(page.locator("#live-badge")).to_have_text("直播中")
    await expect(page.locator("#online")).to_have_attribute("data-value", "101", timeout=8000)
    await assert_one_line(page, "live-badge")
    await inside_viewport(page, ".head-right")
    badge = await page.locator("#live-badge").bounding_box()
    pill = await page.locator(".online-pill").bounding_box()
    assert badge and pill and abs(badge["height"] - pill["height"]) < 1  # side by side, one line each

    # a big room: the online count as the server's state says it ("12.3万")
    await page.evaluate(
        """() => window.siyuRoom._onFrame(JSON.stringify(
            {type: 'batch', msgs: [{type: 'state', online: 123456, live: true}]}))"""
    )
    await expect(page.locator("#online")).to_have_text("12.3万")
    await assert_one_line(page, "live-badge")
    await inside_viewport(page, ".head-right")
    chip = await page.locator(".host-chip").bounding_box()
    head = await page.locator(".head-right").bounding_box()
    assert chip and head and chip["x"] + chip["width"] <= head["x"]  # the title gives way, nothing overlaps
    assert errors == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
async def test_host_status_banner_says_busy_and_away_apart(
    browser: Browser, sqlite_node: Node, connect: Any, viewport: dict[str, int]
) -> None:
    node = sqlite_node
    errors: list[str] = []
    host = await staff(connect, node)
    page = await viewer(browser, node, viewport, errors)
    banner = page.locator("#host-status-banner")
    await expect(banner).to_be_hidden()

    await act(host, {"type": "host_status", "status": "busy", "cid": "s-1"})
    await expect(banner).to_be_visible()
    await expect(banner).to_have_attribute("data-status", "busy")
    await expect(banner.locator("#host-status-text")).to_have_text("主播在忙，AI助理先帮你解答")
    await inside_viewport(page, "#host-status-banner")
    await assert_one_line(page, "host-status-text")

    await act(host, {"type": "host_status", "status": "away", "cid": "s-2"})
    await expect(banner).to_have_attribute("data-status", "away")
    await expect(banner.locator("#host-status-text")).to_have_text("主播暂时离开，AI助理在线答疑")
    await inside_viewport(page, "#host-status-banner")

    # a viewer who comes in now reads it from the room state of the welcome
    late = await viewer(browser, node, viewport, errors, user="late")
    await expect(late.locator("#host-status-text")).to_have_text("主播暂时离开，AI助理在线答疑")

    await act(host, {"type": "host_status", "status": "live", "cid": "s-3"})
    await expect(banner).to_be_hidden()
    await expect(late.locator("#host-status-banner")).to_be_hidden()
    assert errors == []
