"""Coupon drops and polls on the pages (issue 12), in real headless Chromium (Debian's) against a real node:
the host starts them from the console (1280x800), viewers use them on the phone page (390x844).

A drop: the card slides in, 领取 is one claim (one cid, however often it is tapped), 已领取 and 我的券 follow;
another viewer sees the left count drop; a late viewer of a sold-out drop sees 已抢光; a personal card
reaches only its viewer. A poll: two viewers vote, both see the tally, the host closes it, both see the
result (a quiz: right or wrong for each); a 选款 poll shows the products with their prices. The cards never
cover the comment input and their buttons are at least 40 px high.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from siyu.app import Node
from siyu.auth import Role
from tests.web.conftest import watch

pytestmark = [pytest.mark.integration, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 740}


def strict(page: Page, errors: list[str]) -> Page:
    """Page errors, CSP violations (tests.web.conftest.watch) and any console error."""
    watch(page, errors)
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    return page


async def console(
    browser: Browser, node: Node, errors: list[str], width: int = 1280, height: int = 800
) -> Page:
    token = node.signer.issue(room="demo", user="host", role=Role.HOST, nickname="晚晚")
    page = strict(await browser.new_page(viewport={"width": width, "height": height}), errors)
    await page.goto(f"{node.http_url}/host/demo#token={token}")
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")
    return page


async def phone(
    browser: Browser,
    node: Node,
    errors: list[str],
    user: str,
    nick: str,
    viewport: dict[str, int] = PHONE,
    frames: list[dict[str, Any]] | None = None,
) -> Page:
    """A viewer page; `frames` collects every frame it sends on its WebSocket."""
    token = node.signer.issue(room="demo", user=user, role=Role.VIEWER, nickname=nick, level=5)
    page = strict(await browser.new_page(viewport=viewport), errors)  # type: ignore[arg-type]
    if frames is not None:
        sent = frames

        def on_ws(ws: Any) -> None:
            ws.on(
                "framesent",
                lambda payload: sent.append(json.loads(payload)) if isinstance(payload, str) else None,
            )

        page.on("websocket", on_ws)
    await page.goto(f"{node.http_url}/room/demo#token={token}")
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")
    return page


async def push_from_console(host: Page, coupon_id: str, quantity: int | None, to: str | None = None) -> None:
    await host.locator("#coupon-open-btn").click()
    dialog = host.locator("#coupon-dialog")
    await expect(dialog).to_be_visible()
    await expect(host.locator(f'#coupon-pick option[value="{coupon_id}"]')).to_have_count(1)
    await host.locator("#coupon-pick").select_option(coupon_id)
    if to is None:
        await host.locator("#coupon-to-room").check()
        assert quantity is not None
        await host.locator("#coupon-qty").fill(str(quantity))
    else:
        await host.locator("#coupon-to-user").check()
        await host.locator("#coupon-viewer").select_option(to)
    await host.locator("#coupon-secs").select_option("120")
    await host.locator("#coupon-dialog-submit").click()
    await expect(dialog).to_be_hidden()


async def layout_is_usable(page: Page) -> None:
    """The comment input is visible and on top; every card button is at least 40 px high and on screen."""
    await page.evaluate(
        """() => Promise.all(document.getAnimations()
            .filter(a => a.effect && a.effect.getTiming().iterations !== Infinity)
            .map(a => a.finished.catch(() => null)))"""
    )  # the slide-in is over
    found = await page.evaluate(
        """() => {
          const input = document.getElementById('comment-input').getBoundingClientRect();
          const top = document.elementFromPoint(input.x + input.width / 2, input.y + input.height / 2);
          const small = [], off = [];
          const W = innerWidth, H = innerHeight;
          for (const b of document.querySelectorAll('#acts button, #wallet-btn')) {
            const r = b.getBoundingClientRect();
            if (!r.width) continue;  // not shown (a folded card's parts)
            if (r.height < 40) small.push(b.className + ' ' + r.height);
            if (r.left < 0 || r.top < 0 || r.right > W + 0.5 || r.bottom > H + 0.5) off.push(b.className);
          }
          const acts = document.getElementById('acts').getBoundingClientRect();
          const head = document.querySelector('.room-head').getBoundingClientRect();
          return {inputOnTop: top && top.id === 'comment-input', small, off,
                  below: acts.bottom <= input.top, clearOfHead: acts.top >= head.bottom};
        }"""
    )
    assert found == {"inputOnTop": True, "small": [], "off": [], "below": True, "clearOfHead": True}, found


async def test_a_drop_from_the_console_is_claimed_once_shown_in_the_wallet_and_sold_out_for_a_late_viewer(
    browser: Browser, sqlite_node: Node
) -> None:
    node = sqlite_node
    errors: list[str] = []
    host = await console(browser, node, errors)
    sent: list[dict[str, Any]] = []
    a = await phone(browser, node, errors, "a", "小鹿", frames=sent)
    b = await phone(browser, node, errors, "b", "糖糖")

    await push_from_console(host, "C01", quantity=2)
    drop = host.locator(".live-drop")
    await expect(drop).to_have_attribute("data-claimed", "0")
    for page in (a, b):
        card = page.locator(".coupon-card")
        await expect(card).to_have_attribute("data-state", "open")
        await expect(card.locator(".coupon-name")).to_have_text("直播间满199减20")
        await expect(card.locator(".coupon-value")).to_have_text("20")
        await expect(card.locator(".coupon-rule")).to_have_text("满199可用")
        await expect(card.locator(".coupon-left")).to_have_text("剩2张")
        await expect(card.locator(".coupon-time")).to_contain_text("后结束")
    await layout_is_usable(a)

    # two taps in a row: one claim on the wire
    await a.locator(".coupon-claim").evaluate("b => { b.click(); b.click(); }")
    card_a = a.locator(".coupon-card")
    await expect(card_a).to_have_attribute("data-state", "claimed")
    await expect(card_a.locator(".coupon-claim")).to_have_text("已领取")
    claims = [f for f in sent if f.get("type") == "claim"]
    assert len(claims) == 1 and claims[0]["batch_id"] and claims[0]["cid"], claims
    await expect(a.locator("#wallet-btn")).to_be_visible()
    await expect(a.locator("#wallet-count")).to_have_text("1")
    await a.locator("#wallet-btn").click()
    item = a.locator("#wallet-list li.wallet-item")
    await expect(item).to_have_count(1)
    await expect(item).to_have_attribute("data-coupon-id", "C01")
    await expect(item.locator(".wallet-name")).to_have_text("直播间满199减20")
    await expect(item.locator(".wallet-exp")).to_contain_text("有效期至")
    await a.locator("#wallet-sheet .sheet-close").click()

    # the other viewer and the host see the count drop
    await expect(b.locator(".coupon-card")).to_have_attribute("data-left", "1")
    await expect(b.locator(".coupon-left")).to_have_text("剩1张")
    await expect(drop).to_have_attribute("data-claimed", "1")
    await b.locator(".coupon-claim").click()
    await expect(b.locator(".coupon-card")).to_have_attribute("data-state", "claimed")
    await expect(drop).to_have_attribute("data-state", "sold_out")
    await expect(drop.locator(".ld-left")).to_have_text("0")

    late = await phone(browser, node, errors, "c", "晚来的")
    card_c = late.locator(".coupon-card")
    await expect(card_c).to_have_attribute("data-state", "sold_out")
    await expect(card_c).to_have_attribute("data-left", "0")
    await expect(card_c.locator(".coupon-claim")).to_have_text("已抢光")
    assert await card_c.locator(".coupon-claim").is_disabled()

    await a.reload()  # 我的券 is the server's wallet: it is still there
    await expect(a.locator("#conn-status")).to_have_attribute("data-state", "open")
    await expect(a.locator("#wallet-count")).to_have_text("1")
    await a.locator("#wallet-btn").click()
    await expect(a.locator('#wallet-list li.wallet-item[data-coupon-id="C01"] .wallet-name')).to_have_text(
        "直播间满199减20"
    )
    assert errors == []


async def test_a_personal_card_reaches_only_its_viewer_and_counts_down_from_when_it_is_shown(
    browser: Browser, sqlite_node: Node
) -> None:
    node = sqlite_node
    errors: list[str] = []
    host = await console(browser, node, errors)
    a = await phone(browser, node, errors, "a", "小鹿")
    b = await phone(browser, node, errors, "b", "糖糖")
    await expect(host.locator('#presence li[data-user-id="a"]')).to_have_count(1)  # the console saw her enter
    await push_from_console(host, "C02", quantity=None, to="a")
    await expect(host.locator(".live-drop.personal .ld-figs")).to_contain_text("专属券 → 小鹿")
    card = a.locator(".coupon-card")
    await expect(card).to_have_attribute("data-personal", "true")
    await expect(card.locator(".coupon-tag")).to_have_text("专属")
    await expect(card.locator(".coupon-time")).to_have_text(
        re.compile(r" · 0[12]:\d\d 后结束")
    )  # countdown_s
    await card.locator(".coupon-claim").click()
    await expect(card).to_have_attribute("data-state", "claimed")
    await expect(a.locator("#wallet-count")).to_have_text("1")
    # the other viewer's page made no card (it never got one: the server sends it to `a` only)
    assert await b.locator(".coupon-card").count() == 0
    await expect(b.locator("#acts")).to_be_hidden()
    assert errors == []


async def start_poll(
    host: Page, question: str, options: list[str], answer: int | None = None, reward: str | None = None
) -> None:
    await host.locator("#poll-open-btn").click()
    await expect(host.locator("#poll-dialog")).to_be_visible()
    kind = "quiz" if answer is not None else "poll"
    await host.locator(f'#poll-dialog input[name="poll-kind"][value="{kind}"]').check()
    await host.locator("#poll-question").fill(question)
    while await host.locator("#poll-options li").count() < len(options):
        await host.locator("#poll-add").click()
    rows = host.locator("#poll-options li")
    for i, text in enumerate(options):
        await rows.nth(i).locator(".poll-opt-input").fill(text)
    if answer is not None:
        await rows.nth(answer).locator('input[name="poll-answer"]').check()
    if reward is not None:
        await expect(host.locator(f'#poll-reward option[value="{reward}"]')).to_have_count(1)
        await host.locator("#poll-reward").select_option(reward)
    await host.locator("#poll-dialog-submit").click()
    await expect(host.locator("#poll-dialog")).to_be_hidden()


@pytest.mark.parametrize(
    ("viewport", "console_size"),
    [(PHONE, (1280, 800)), (SMALL_PHONE, (1024, 768))],
    ids=["390x844-1280", "360x740-1024"],
)
async def test_two_viewers_answer_a_quiz_with_a_reward_see_the_tally_and_each_their_result(
    browser: Browser, sqlite_node: Node, viewport: dict[str, int], console_size: tuple[int, int]
) -> None:
    node = sqlite_node
    errors: list[str] = []
    host = await console(browser, node, errors, *console_size)
    a = await phone(browser, node, errors, "a", "小鹿", viewport)
    b = await phone(browser, node, errors, "b", "糖糖", viewport)
    await start_poll(host, "这件是什么面料？", ["棉", "麻", "真丝"], answer=2, reward="C01")
    for page in (a, b):
        card = page.locator(".poll-card")
        await expect(card).to_have_attribute("data-state", "open")
        await expect(card.locator(".poll-tag")).to_have_text("答题")
        await expect(card.locator(".poll-q")).to_have_text("这件是什么面料？")
        await expect(card.locator(".poll-opt")).to_have_count(3)
        await expect(card.locator(".poll-reward")).to_have_text("答对送 直播间满199减20")
    await expect(host.locator(".lp-reward")).to_have_text("答对送：直播间满199减20")
    await layout_is_usable(a)

    await a.locator('.poll-opt[data-index="2"]').click()
    await b.locator('.poll-opt[data-index="0"]').click()
    for page in (a, b):
        await expect(page.locator('.poll-opt[data-index="2"]')).to_have_attribute("data-count", "1")
        await expect(page.locator('.poll-opt[data-index="0"]')).to_have_attribute("data-count", "1")
        await expect(page.locator('.poll-opt[data-index="2"] .poll-pct')).to_have_text("50%")
        await expect(page.locator(".poll-total")).to_have_text("2人参与")
        await expect(page.locator(".poll-card")).to_have_attribute("data-state", "voted")
        assert await page.locator(".poll-opt").first.is_disabled()  # a vote is final
    await expect(a.locator('.poll-opt[data-index="2"]')).to_have_attribute("aria-pressed", "true")
    await expect(b.locator('.poll-opt[data-index="0"]')).to_have_attribute("aria-pressed", "true")
    await expect(host.locator('.lp-row[data-index="2"]')).to_have_attribute("data-count", "1")
    await expect(host.locator(".lp-foot")).to_have_text("共 2 人参与")
    await expect(host.locator(".lp-close")).to_be_in_viewport()  # 结束投票 in reach, at 1024 px too

    await host.locator(".lp-close").click()
    await expect(host.locator(".live-poll")).to_have_attribute("data-state", "result")
    await expect(host.locator('.lp-row[data-index="2"]')).to_have_class(re.compile(r"\bright\b"))
    for page in (a, b):
        await expect(page.locator(".poll-card")).to_have_attribute("data-state", "result")
        await expect(page.locator('.poll-opt[data-index="2"]')).to_have_class(re.compile(r"\bright\b"))
    await expect(a.locator('.poll-opt[data-index="2"]')).to_have_class(re.compile(r"\bmine\b"))
    await expect(b.locator('.poll-opt[data-index="0"]')).to_have_class(re.compile(r"\bwrong\b"))
    await expect(a.locator(".poll-card")).to_have_attribute("data-rewarded", "true")  # quiz_rewarded
    await expect(a.locator(".poll-note")).to_have_text("回答正确 🎉 券已放入我的券")
    await expect(a.locator("#wallet-count")).to_have_text("1")
    await expect(b.locator(".poll-note")).to_have_text("答错了，正确答案：真丝")
    await expect(b.locator(".poll-card")).to_have_attribute("data-rewarded", "false")
    await layout_is_usable(b)
    assert errors == []


async def test_a_pick_poll_shows_the_products_and_a_late_viewer_sees_the_open_poll_and_its_tally(
    browser: Browser, sqlite_node: Node
) -> None:
    node = sqlite_node
    errors: list[str] = []
    host = await console(browser, node, errors)
    a = await phone(browser, node, errors, "a", "小鹿")
    await host.locator("#poll-open-btn").click()
    await host.locator('#poll-dialog input[name="poll-kind"][value="pick"]').check()
    await host.locator("#poll-question").fill("下一款想看哪个？")
    for pid in ("P01", "P03", "P08"):
        await host.locator(f'#poll-products label[data-product-id="{pid}"] input').check()
    await host.locator("#poll-dialog-submit").click()

    card = a.locator(".poll-card")
    await expect(card).to_have_attribute("data-poll-kind", "pick")
    await expect(card.locator(".poll-tag")).to_have_text("选款")
    await expect(card.locator(".poll-thumb")).to_have_text(["1号", "3号", "4号"])
    await expect(card.locator(".poll-name")).to_have_text(["碎花连衣裙", "高腰牛仔裤", "轻薄羽绒服"])
    await expect(card.locator(".poll-price")).to_have_text(["¥159", "¥139", "¥459"])  # live prices
    await a.locator('.poll-opt[data-product-id="P03"]').click()
    await expect(card).to_have_attribute("data-state", "voted")
    await expect(host.locator('.lp-row[data-index="1"]')).to_have_attribute("data-count", "1")

    late = await phone(browser, node, errors, "c", "晚来的")
    late_card = late.locator(".poll-card")
    await expect(late_card).to_have_attribute("data-state", "open")  # from state.poll
    await expect(late.locator('.poll-opt[data-index="1"]')).to_have_attribute("data-count", "1")  # the tally
    await expect(late.locator('.poll-opt[data-index="1"] .poll-pct')).to_have_text("100%")
    await layout_is_usable(late)

    await host.locator(".lp-close").click()
    for page in (a, late):
        await expect(page.locator(".poll-card")).to_have_attribute("data-state", "result")
        await expect(page.locator(".poll-note")).to_have_text("结果：3号 高腰牛仔裤 胜出")
    await expect(host.locator(".lp-foot")).to_contain_text("3号 高腰牛仔裤 胜出")
    assert errors == []
