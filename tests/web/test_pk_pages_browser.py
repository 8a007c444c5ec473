"""PK battles in real headless Chromium (issue 14): the host console of room A picks room B from the live
rooms and invites it, B's console accepts; the viewer pages of both rooms (390x844) show one scoreboard
with the gifts of both sides (real WebSocket clients send them in each room), this room's side first; the
hosts stop the battle (result, 结束惩罚) and the bar goes. No page error, no CSP violation."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from siyu.app import Node
from siyu.auth import Role
from tests.conftest import Client
from tests.interactions.pk_helpers import gift, live_room
from tests.web.conftest import watch
from tests.web.together_pages import dismiss_welcome

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SHOTS = os.environ.get("SIYU_SCREENSHOTS")  # a directory to keep the screenshots in (to look at them)
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}


async def shot(page: Page, name: str, tmp_path: Path) -> None:
    path = Path(SHOTS or tmp_path) / f"pk-{name}.png"
    await page.screenshot(path=str(path))
    assert path.stat().st_size > 0


async def open_page(browser: Browser, node: Node, path: str, room: str, user: str, role: Role,
                    size: dict[str, int], errors: list[str], nickname: str) -> Page:  # fmt: skip
    token = node.signer.issue(room=room, user=user, role=role, nickname=nickname, level=6)
    page = watch(await browser.new_page(viewport=size), errors)  # type: ignore[arg-type]
    await page.goto(f"{node.http_url}/{path}/{room}#token={token}")
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")
    return page


async def scores(page: Page, mine: int, theirs: int) -> None:
    bar = page.locator("#pk-bar")
    await expect(bar.locator(".pk-score-mine")).to_have_attribute("data-value", str(mine))
    await expect(bar.locator(".pk-score-theirs")).to_have_attribute("data-value", str(theirs))


async def test_two_rooms_battle_and_both_audiences_see_one_scoreboard(
    browser: Browser, sqlite_node: Node, connect: Any, tmp_path: Path
) -> None:
    node, errors = sqlite_node, []
    await live_room(node, "b", "小美的直播间")
    host_a = await open_page(browser, node, "host", "demo", "host", Role.HOST, DESK, errors, "晚晚")
    host_b = await open_page(browser, node, "host", "b", "host_b", Role.HOST, DESK, errors, "小美")
    view_a = await open_page(browser, node, "room", "demo", "va", Role.VIEWER, PHONE, errors, "小鹿")
    view_b = await open_page(browser, node, "room", "b", "vb", Role.VIEWER, PHONE, errors, "糖糖")
    await expect(view_a.locator("#pk-bar")).to_be_hidden()

    await host_a.click("#tab-pk")
    await host_a.click("#pk-rooms-refresh")
    partner = host_a.locator("#pk-rooms .pk-room[data-room-id='b']")
    await expect(partner).to_contain_text("小美的直播间")
    await expect(host_a.locator("#pk-rooms .pk-room[data-room-id='demo']")).to_have_count(0)  # not itself
    await host_a.select_option("#pk-seconds", "300")
    await partner.locator(".pk-room-invite").click()
    out = host_a.locator("#pk-invites .pk-invite[data-dir='out']")
    await expect(out).to_contain_text("等待「小美的直播间」接受")
    incoming = host_b.locator("#pk-invites .pk-invite[data-dir='in']")
    await expect(incoming).to_contain_text("邀请你PK")
    await expect(host_b.locator("#tab-pk .count-badge")).to_have_text("1")
    await shot(host_b, "host-invited", tmp_path)
    await incoming.locator(".pk-accept").click()

    for page in (view_a, view_b, host_a, host_b):
        board = page.locator("#pk-bar, #pk-board")
        await expect(board).to_have_attribute("data-phase", "live")
    await expect(out).to_have_count(0)
    await expect(view_a.locator("#pk-bar .pk-side-mine .pk-title")).to_have_text("晚晚的衣橱·秋冬上新专场")
    await expect(view_a.locator("#pk-bar .pk-side-theirs .pk-title")).to_have_text("小美的直播间")
    await expect(view_b.locator("#pk-bar .pk-side-mine .pk-title")).to_have_text("小美的直播间")
    await expect(view_a.locator("#pk-bar .pk-left")).to_have_text(re.compile(r"^0[45]:\d\d$"))

    fans_a: Client = await connect(node, user="fa", nickname="阿福", room="demo")
    fans_b: Client = await connect(node, user="fb", nickname="小B", room="b")
    assert "error" not in await gift(fans_a, "rose", "g1", 2)  # 40 coins for A
    assert "error" not in await gift(fans_b, "lightstick", "g2", 3)  # 30 coins for B
    await scores(view_a, 40, 30)
    await scores(view_b, 30, 40)
    assert "error" not in await gift(fans_b, "rose", "g3", 1)  # B takes the lead: 50
    await scores(view_a, 40, 50)
    await scores(view_b, 50, 40)
    await expect(view_a.locator("#pk-bar .pk-top-mine .pk-top-nick")).to_have_text(["阿福"])
    await expect(view_a.locator("#pk-bar .pk-top-theirs .pk-top-nick")).to_have_text(["小B"])
    await expect(host_a.locator("#pk-board .pk-score-theirs")).to_have_attribute("data-value", "50")
    # the bar re-renders every second (the countdown) and its fill eases in: read the share it was given,
    # in one look at the live page, not the width of a node that may just have been replaced
    share = await view_a.evaluate(
        "() => Number(document.querySelector('#pk-bar .pk-fill-mine').style.flexGrow)"
    )
    assert 0.3 < share < 0.5  # 40 of 90
    bar = await view_a.locator("#pk-bar").bounding_box()
    head = await view_a.locator(".room-head").bounding_box()
    assert bar is not None and head is not None and bar["x"] >= 0 and bar["x"] + bar["width"] <= 390
    assert bar["y"] >= head["y"] + 40  # under the header
    await dismiss_welcome(view_a)
    await shot(view_a, "viewer-live", tmp_path)
    await shot(host_a, "host-live", tmp_path)

    end = host_a.locator("#pk-end")
    await expect(end).to_have_text("结束PK")
    await end.click()
    await expect(view_a.locator("#pk-bar")).to_have_attribute("data-phase", "punish")
    await expect(view_a.locator("#pk-bar")).to_have_attribute("data-outcome", "lose")
    await expect(view_b.locator("#pk-bar")).to_have_attribute("data-outcome", "win")
    await expect(view_b.locator("#pk-bar .pk-banner")).to_contain_text("我方胜利")
    await expect(view_a.locator("#pk-bar .pk-result")).to_have_text("惜败")
    await scores(view_b, 50, 40)  # the result, recounted from the log
    await shot(view_b, "viewer-result", tmp_path)
    await expect(host_b.locator("#pk-end")).to_have_text("结束惩罚")
    await host_b.locator("#pk-end").click()
    for page in (view_a, view_b):
        await expect(page.locator("#pk-bar")).to_have_attribute("data-phase", "closed")
    await expect(host_a.locator("#pk-end")).to_be_hidden()
    await expect(host_a.locator("#pk-form")).to_be_visible()
    assert errors == []
