"""Gifts, the contributor board and topics in real headless Chromium (Debian's): the viewer page at
390x844 (the gift picker from the room's own gift list, a big gift's full-screen effect that never blocks
the comment box, 贡献榜 in the header and its sheet, the pinned topic above the comments) and the host
console at 1280x800 (its 贡献榜 panel, pinning and unpinning a topic, the live summary)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from siyu.app import Node, demo_catalog
from siyu.auth import Role
from tests.conftest import Client
from tests.web.conftest import watch

pytestmark = [pytest.mark.integration, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
QUESTION = "你们希望下次直播有什么内容？"


async def open_as(
    browser: Browser, node: Node, errors: list[str], page: str, user: str, role: Role, size: dict[str, int],
    room: str = "demo", nickname: str = "小鹿",
) -> Page:  # fmt: skip
    token = node.signer.issue(room=room, user=user, role=role, nickname=nickname, level=6)
    p = watch(await browser.new_page(viewport=size), errors)  # type: ignore[arg-type]
    await p.goto(f"{node.http_url}/{page}/{room}#token={token}")
    await expect(p.locator("#conn-status")).to_have_attribute("data-state", "open")
    return p


async def test_a_viewer_sends_a_big_gift_and_sees_the_effect_and_the_board(
    browser: Browser, sqlite_node: Node, connect: Any, tmp_path: Path
) -> None:
    node, errors = sqlite_node, []
    page = await open_as(browser, node, errors, "room", "me", Role.VIEWER, PHONE)
    host = await open_as(browser, node, errors, "host", "host", Role.HOST, DESKTOP, nickname="晚晚")
    other: Client = await connect(node, user="tt", nickname="糖糖", level=12)
    await other.send({"type": "gift", "gift_id": "rose", "count": 3, "cid": "g1"})  # 60 coins
    await other.expect("ack", cid="g1")
    await expect(page.locator("#board-faces .board-face")).to_have_count(1)

    rocket = page.locator('#gift-row .gift-btn[data-gift="rocket"]')
    await expect(rocket).to_have_attribute("data-tier", "3")
    await rocket.click()
    effect = page.locator("#gift-effect")
    await expect(effect).to_be_visible()
    await expect(effect).to_have_attribute("data-gift", "rocket")
    await expect(effect.locator(".fx-who")).to_have_text("小鹿")
    # the effect never takes a tap: the comment box under it answers, and the layer goes after the effect
    box = await page.locator("#comment-input").bounding_box()
    assert box is not None
    under = await page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).id",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert under == "comment-input"
    await page.locator("#comment-input").fill("火箭冲冲冲")
    await page.screenshot(path=str(tmp_path / "viewer-effect.png"))
    await expect(effect).to_be_hidden(timeout=5000)
    await expect(page.locator("#comment-input")).to_have_value("火箭冲冲冲")

    faces = page.locator("#board-faces .board-face")
    await expect(faces).to_have_count(2)
    await expect(faces.first).to_have_text("小")  # 5000 coins: first
    await page.locator("#board-btn").click()
    rows = page.locator("#board-list li.board-item")
    await expect(rows).to_have_count(2)
    await expect(rows.first).to_have_class("board-item me top")
    await expect(rows.first.locator(".board-coins b")).to_have_text("5000")
    await expect(rows.nth(1).locator(".nick")).to_have_text("糖糖")
    await expect(page.locator("#board-total")).to_have_text("本场 2 人送礼")
    await expect(page.locator("#board-mine")).to_contain_text("你在榜上")
    await page.screenshot(path=str(tmp_path / "viewer-board.png"))

    board = host.locator("#host-board li.host-board-item")
    await expect(board).to_have_count(2)
    await expect(board.first.locator(".hb-coins")).to_have_text("5000 币")
    await expect(host.locator("#host-board-total")).to_have_text("2 人送礼")
    assert errors == []


async def test_the_gift_picker_shows_the_rooms_own_gifts(browser: Browser, sqlite_node: Node) -> None:
    node, errors = sqlite_node, []
    gifts = [
        {"id": "candy", "name": "棒棒糖", "coins": 9, "icon": "🍭"},
        {"id": "yacht", "name": "游艇", "coins": 20000, "icon": "🛥️"},
    ]
    await node.rooms.load_catalog("gifty", {**demo_catalog(), "gifts": gifts})
    await node.rooms.create_room("shop2", "gifty", "礼物专场")
    page = await open_as(browser, node, errors, "room", "me", Role.VIEWER, PHONE, room="shop2")
    buttons = page.locator("#gift-row .gift-btn")
    await expect(buttons).to_have_count(2)
    assert await buttons.evaluate_all("els => els.map(e => e.dataset.gift)") == ["candy", "yacht"]
    await expect(page.locator("#gift-row")).to_have_attribute("data-source", "room")
    await page.locator('#gift-row .gift-btn[data-gift="yacht"]').click()
    await expect(page.locator("#gift-effect")).to_have_attribute("data-gift", "yacht")  # tier 3 by its coins
    line = page.locator('#comments li.msg.gift[data-gift="yacht"]')
    await expect(line).to_contain_text("游艇")
    assert errors == []


async def test_the_host_pins_a_topic_and_sees_what_the_viewers_say(
    browser: Browser, sqlite_node: Node, connect: Any, tmp_path: Path
) -> None:
    node, errors = sqlite_node, []
    host = await open_as(browser, node, errors, "host", "host", Role.HOST, DESKTOP, nickname="晚晚")
    page = await open_as(browser, node, errors, "room", "me", Role.VIEWER, PHONE)
    await host.locator("#topic-input").fill(QUESTION)
    await host.locator("#topic-pin-btn").click()
    pinned = page.locator("#topic-pin")
    await expect(pinned).to_be_visible()
    await expect(pinned.locator(".topic-text")).to_have_text(QUESTION)
    above = await page.evaluate(
        "() => document.getElementById('topic-pin').getBoundingClientRect().bottom"
        " <= document.getElementById('comments').getBoundingClientRect().top + 1"
    )
    assert above  # the topic sits above the comments
    await expect(host.locator("#topic-unpin-btn")).to_be_enabled()

    texts = [
        "希望下次多讲讲羽绒服",
        "想看羽绒服的搭配",
        "多发点福袋吧",
        "福袋福袋",
        "大码女装多来点",
        "羽绒服能便宜点吗",
    ]
    viewers: list[Client] = [
        await connect(node, user=f"v{i}", nickname=f"观众{i}") for i in range(len(texts))
    ]
    for i, (v, text) in enumerate(zip(viewers, texts, strict=True)):
        await v.send({"type": "comment", "cid": f"c{i}", "text": text})
        await v.expect("ack", cid=f"c{i}")
    await expect(host.locator("#topic-count")).to_have_text(str(len(texts)), timeout=10000)
    chips = host.locator("#topic-keywords .kw-chip")
    await expect(chips.first).to_have_attribute("data-word", "羽绒服")
    await expect(chips.first.locator("b")).to_have_text("3")
    await expect(host.locator('#topic-keywords .kw-chip[data-word="福袋"] b')).to_have_text("2")
    opinions = host.locator("#topic-opinions li.opinion")
    await expect(opinions.first).to_have_attribute("data-size", "3")
    await expect(opinions.first.locator(".opinion-text")).to_contain_text("羽绒服")
    await expect(host.locator(".topic-figures")).to_have_text(f"{len(texts)} 条评论 · {len(texts)} 人参与")
    await host.screenshot(path=str(tmp_path / "host-topic.png"))
    await page.screenshot(path=str(tmp_path / "viewer-topic.png"))

    await host.locator("#topic-unpin-btn").click()
    await expect(pinned).to_be_hidden()
    await expect(host.locator("#topic-summary")).to_be_hidden()
    await expect(host.locator("#topic-status")).to_have_text("未置顶话题")
    assert errors == []
