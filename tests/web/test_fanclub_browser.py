"""The fan club (粉丝团) in real headless Chromium: at 390x844 a viewer opens the 粉丝团 pill under the host
chip, joins for free from the sheet, and the next comment carries the badge (Lv + club name); the host
console (1280x800) shows the member count and the top members."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from siyu.app import Node
from siyu.auth import Role
from siyu.interactions import FanClub
from siyu.interactions.fanclub_rules import DAY_MS
from tests.conftest import Client
from tests.web.conftest import watch

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SHOTS = os.environ.get("SIYU_SCREENSHOTS")  # a directory to keep the screenshots in (to look at them)


async def shot(page: Page, name: str, tmp_path: Path) -> None:
    path = Path(SHOTS or tmp_path) / f"fanclub-{name}.png"
    await page.screenshot(path=str(path))
    assert path.stat().st_size > 0


async def viewer_page(browser: Browser, node: Node, errors: list[str]) -> Page:
    token = node.signer.issue(room="demo", user="me", role=Role.VIEWER, nickname="小鹿", level=6)
    page = watch(await browser.new_page(viewport={"width": 390, "height": 844}), errors)
    await page.goto(f"{node.http_url}/room/demo#token={token}")
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")
    return page


async def test_join_the_fan_club_and_the_next_comment_wears_the_badge(
    browser: Browser, sqlite_node: Node, connect: Any, tmp_path: Path
) -> None:
    errors: list[str] = []
    page = await viewer_page(browser, sqlite_node, errors)
    chip = page.locator("#fan-btn")
    await expect(chip).to_have_attribute("data-member", "false")
    await expect(chip).to_contain_text("粉丝团")
    box = await chip.bounding_box()
    head = await page.locator(".host-chip").bounding_box()
    assert box is not None and head is not None and head["y"] < box["y"] < head["y"] + head["height"] + 20
    await page.locator("#welcome").click()  # the welcome card leaves
    await chip.click()
    sheet = page.locator("#fan-sheet")
    await expect(sheet).to_be_visible()
    await expect(page.locator("#fan-title")).to_have_text("粉丝团 · 晚晚家")
    join = page.locator("#fan-join")
    await expect(join).to_have_text("加入粉丝团（免费）")
    await shot(page, "sheet-before", tmp_path)
    await join.click()

    await expect(chip).to_have_attribute("data-member", "true")
    await expect(chip.locator(".fan-badge")).to_have_text("Lv1晚晚家")
    await expect(join).to_have_count(0)
    await expect(sheet.locator(".fan-progress")).to_contain_text("再得 50 升到 Lv2")
    await expect(sheet.locator(".fan-task")).to_have_count(5)
    await expect(page.locator("#comments li.fanclub-join")).to_contain_text("加入了粉丝团")
    await shot(page, "sheet-member", tmp_path)
    await sheet.locator(".sheet-close").click()
    await expect(sheet).to_be_hidden()

    await page.locator("#comment-input").fill("我加入粉丝团啦")
    await page.locator("#send-btn").click()
    mine = page.locator("#comments li.comment.mine", has_text="我加入粉丝团啦")
    await expect(mine).to_have_count(1)
    badge = mine.locator(".fan-badge")
    await expect(badge).to_have_text("Lv1晚晚家")
    await expect(badge).to_have_attribute("data-active", "true")
    await expect(mine.locator(".lvl")).to_have_count(0)  # the fan badge takes the level pill's place
    await shot(page, "comment", tmp_path)
    await chip.click()  # the comment's XP in today's tasks
    await expect(sheet.locator(".fan-task[data-source='comment'] .fan-task-xp")).to_have_text("2/20")
    await expect(sheet.locator(".fan-xp")).to_have_text("2")
    await sheet.locator(".sheet-close").click()

    other: Client = await connect(sqlite_node, user="u2", nickname="糖糖", level=9)
    await other.send({"type": "comment", "cid": "o1", "text": "我还没加入"})
    theirs = page.locator("#comments li.comment", has_text="我还没加入")
    await expect(theirs.locator(".lvl")).to_have_text("Lv9")
    await expect(theirs.locator(".fan-badge")).to_have_count(0)

    room = await sqlite_node.registry.get("demo")
    assert room is not None
    club = room.feature(FanClub)
    later = club.clock() + 8 * DAY_MS
    club.clock = lambda: later  # 8 days without activity: the light is off (熄灭)
    await page.reload()
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")
    await expect(chip).to_have_attribute("data-active", "false")
    await expect(chip.locator(".fan-badge")).to_have_attribute("data-active", "false")
    await page.locator("#welcome").click()
    await chip.click()
    await expect(sheet.locator(".fan-paused")).to_contain_text("灯牌已熄灭")
    await shot(page, "paused", tmp_path)
    assert errors == []


async def test_the_host_console_shows_members_and_the_top(
    browser: Browser, sqlite_node: Node, connect: Any, tmp_path: Path
) -> None:
    errors: list[str] = []
    token = sqlite_node.signer.issue(room="demo", user="host", role=Role.HOST, nickname="晚晚")
    page = watch(await browser.new_page(viewport={"width": 1280, "height": 800}), errors)
    await page.goto(f"{sqlite_node.http_url}/host/demo#token={token}")
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")
    await expect(page.locator("#fan-top-empty")).to_be_visible()
    fans: list[Client] = []
    for i, (nick, gift) in enumerate((("小鹿", "rose"), ("糖糖", "lightstick"))):
        c: Client = await connect(sqlite_node, user=f"u{i}", nickname=nick)
        await c.send({"type": "fanclub_join", "cid": "j"})
        await c.expect("ack", cid="j")
        await c.send({"type": "gift", "gift_id": gift, "cid": "g"})
        await c.expect("ack", cid="g")
        fans.append(c)
    await expect(page.locator("#fan-members")).to_have_text("2")
    rows = page.locator("#fan-top li.fan-top-item")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text("小鹿")
    await expect(rows.nth(0)).to_contain_text("20 亲密度")
    await expect(rows.nth(1)).to_contain_text("糖糖")
    await expect(page.locator("#comments li.fanclub-join")).to_have_count(2)
    await expect(page.locator("#fan-club-name")).to_have_text("晚晚家")
    await shot(page, "host", tmp_path)
    for i in range(2, 12):  # more members than the panel shows: its list scrolls, the top 10 stay
        c = await connect(sqlite_node, user=f"u{i}", nickname=f"粉丝{i}")
        await c.send({"type": "fanclub_join", "cid": "j"})
        await c.expect("ack", cid="j")
    await expect(page.locator("#fan-members")).to_have_text("12")
    await expect(rows).to_have_count(10)
    panel = await page.locator(".fan-panel").bounding_box()
    mod = await page.locator(".mod-panel").bounding_box()
    assert panel is not None and mod is not None and panel["height"] <= 0.3 * 800 and mod["height"] >= 100
    await shot(page, "host-full", tmp_path)
    assert errors == []
