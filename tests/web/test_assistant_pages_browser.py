"""The AI assistant on the viewer page and the host console, in real headless Chromium (Debian's).

Question groups with the one-click reply, the assistant's personal answer under the asker's question,
the host status banner, and moderation (hide, mute, automatic hiding), on the shipped demo catalog
(shop 晚晚的衣橱, src/siyu/data/catalog.json): the host pins P01 (碎花连衣裙, XL sold out in 碎花蓝,
in stock in 碎花黑) and viewers ask "这件有XL码吗".
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from siyu.app import Node
from siyu.auth import Role
from tests.conftest import Client
from tests.web.conftest import open_page

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
]

QUESTION = "这件有XL码吗"


async def host_console(browser: Browser, node: Node, errors: list[str]) -> Page:
    token = node.signer.issue(room="demo", user="host", role=Role.HOST, nickname="晚晚")
    page = await open_page(browser, f"{node.http_url}/host/demo#token={token}", errors)
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")
    return page


async def viewer_page(browser: Browser, node: Node, errors: list[str], user: str, nick: str) -> Page:
    token = node.signer.issue(room="demo", user=user, role=Role.VIEWER, nickname=nick, level=6)
    page = await open_page(browser, f"{node.http_url}/room/demo#token={token}", errors)
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")
    return page


async def pin_from_console(host: Page, viewers: list[Page], product_id: str = "P01") -> None:
    """Pin through the console's form; the assistant reads "这件" as the product on the viewers' cards."""
    await host.locator("#pin-input").fill(product_id)
    await host.locator("#pin-btn").click()
    for page in viewers:
        await expect(page.locator("#pinned")).to_have_attribute("data-product-id", product_id)


async def ask(page: Page, text: str) -> None:
    await page.locator("#comment-input").fill(text)
    await page.locator("#send-btn").click()


async def test_question_group_one_click_reply_reaches_the_viewers(
    browser: Browser, sqlite_node: Node, connect: Any
) -> None:
    node = sqlite_node
    errors: list[str] = []
    host = await host_console(browser, node, errors)
    viewer = await viewer_page(browser, node, errors, "v1", "小鹿")
    await pin_from_console(host, [viewer])

    # three viewers ask the same thing: one on the page, two on plain WebSocket clients
    await ask(viewer, QUESTION)
    others: list[Client] = [await connect(node, user=f"w{i}", nickname=f"宝宝{i}") for i in (1, 2)]
    for i, other in enumerate(others):
        await other.send({"type": "comment", "cid": f"q-{i}", "text": QUESTION})
        await other.expect("ack", cid=f"q-{i}")

    group = host.locator('#question-groups li.question-group[data-product-id="P01"][data-intent="stock"]')
    await expect(group).to_have_count(1)
    # the assistant answered each asker: the group is not pending, it waits under 已由AI回复
    await expect(group).to_have_attribute("data-state", "auto_answered")
    await expect(host.locator("#group-count")).to_have_text("0")
    await expect(host.locator("#question-count")).to_have_text("0")
    await host.locator('#question-filter button[data-filter="auto_answered"]').click()
    await expect(group).to_be_visible()
    await expect(group).to_have_attribute("data-count", "3")
    await expect(group).to_contain_text("3 人在问")
    await expect(group).to_have_attribute("data-answered", "false")
    answer = group.locator("textarea.group-reply-input")
    await expect(answer).not_to_have_value("")  # the assistant's suggested answer, editable

    await answer.fill("有的宝宝，碎花黑XL有货，碎花蓝XL卖完啦")
    await group.locator("button.group-reply-btn").click()

    reply = viewer.locator("#comments li.msg.reply").filter(has_text="碎花黑XL有货")
    await expect(reply).to_have_count(1)
    await expect(reply).to_contain_text(QUESTION)  # quoted as the answer to that question
    await expect(group).to_have_attribute("data-answered", "true")
    await expect(group).to_have_class(re.compile(r"\banswered\b"))
    await expect(host.locator("#group-count")).to_have_text("0")
    # one reply answers everyone in the group
    await expect(host.locator("#questions li.question-item").filter(has_text=QUESTION)).to_have_count(3)
    await expect(host.locator("#question-count")).to_have_text("0")
    for other in others:
        got = await other.expect("reply", text="有的宝宝，碎花黑XL有货，碎花蓝XL卖完啦")
        assert got["reply_to"]["text"] == QUESTION
    assert errors == []


async def test_viewer_gets_the_assistant_answer_under_their_question(
    browser: Browser, sqlite_node: Node
) -> None:
    node = sqlite_node
    errors: list[str] = []
    host = await host_console(browser, node, errors)
    viewer = await viewer_page(browser, node, errors, "v1", "小鹿")
    await pin_from_console(host, [viewer])

    await ask(viewer, QUESTION)
    mine = viewer.locator("#comments li.comment.mine").filter(has_text=QUESTION)
    await expect(mine).to_have_count(1)
    seq = await mine.get_attribute("data-seq")

    # the personal answer sits right under the viewer's own question, marked as the AI assistant's
    answer = viewer.locator(f'#comments li.comment[data-seq="{seq}"] + li.msg.assistant.personal')
    await expect(answer).to_have_count(1)
    await expect(answer).to_have_attribute("data-reply-to", str(seq))
    await expect(answer).to_have_attribute("data-intent", "stock")
    await expect(answer.locator(".ai-badge")).to_contain_text("AI助理")
    await expect(answer.locator(".assistant-body .text")).to_contain_text("XL")
    assert await viewer.locator("#comments li.msg.reply").count() == 0  # not taken for a host reply

    # the host console sees the question with what the assistant said
    question = host.locator("#questions li.question-item").filter(has_text=QUESTION)
    await expect(question).to_have_count(1)
    await expect(question).to_have_attribute("data-auto-answered", "true")
    await expect(question).to_have_attribute("data-state", "auto_answered")  # not in the host's 待回复
    await host.locator('#question-filter button[data-filter="auto_answered"]').click()
    await expect(question.locator(".q-suggest")).to_be_visible()
    assert errors == []


async def test_host_status_toggle_shows_the_assistant_banner(browser: Browser, sqlite_node: Node) -> None:
    node = sqlite_node
    errors: list[str] = []
    host = await host_console(browser, node, errors)
    viewer = await viewer_page(browser, node, errors, "v1", "小鹿")
    banner = viewer.locator("#host-status-banner")
    live_btn = host.locator('.host-status-btn[data-status="live"]')
    away_btn = host.locator('.host-status-btn[data-status="away"]')
    await expect(banner).to_be_hidden()
    await expect(live_btn).to_have_attribute("aria-pressed", "true")

    await host.locator(".host-status-btn", has_text="离开").click()
    await expect(away_btn).to_have_attribute("aria-pressed", "true")
    await expect(live_btn).to_have_attribute("aria-pressed", "false")
    await expect(banner).to_be_visible()
    await expect(banner).to_contain_text("主播暂时离开，AI助理在线答疑")
    await expect(banner).to_have_attribute("data-status", "away")

    # a viewer who comes in now sees it too (from the room state of the welcome)
    late = await viewer_page(browser, node, errors, "v2", "糖糖")
    await expect(late.locator("#host-status-banner")).to_be_visible()

    await host.locator(".host-status-btn", has_text="忙碌").click()
    await expect(banner).to_have_attribute("data-status", "busy")
    await expect(banner).to_be_visible()

    await host.locator(".host-status-btn", has_text="在播").click()
    await expect(banner).to_be_hidden()
    await expect(late.locator("#host-status-banner")).to_be_hidden()
    await expect(host.locator("#host-status")).to_have_attribute("data-status", "live")
    assert errors == []


async def test_hide_from_the_console_removes_the_comment_for_viewers(
    browser: Browser, sqlite_node: Node, connect: Any
) -> None:
    node = sqlite_node
    errors: list[str] = []
    host = await host_console(browser, node, errors)
    viewer = await viewer_page(browser, node, errors, "v1", "小鹿")
    rude: Client = await connect(node, user="r1", nickname="路人甲")
    await rude.send({"type": "comment", "cid": "c-1", "text": "主播这件衣服不好看"})
    ack = await rude.expect("ack", cid="c-1")
    seq = ack["seq"]

    on_viewer = viewer.locator(f'#comments li.comment[data-seq="{seq}"]')
    await expect(on_viewer).to_have_count(1)
    on_host = host.locator(f'#comments li.comment[data-seq="{seq}"]')
    await expect(on_host).to_have_count(1)

    await on_host.hover()  # moderation shows on the row in use
    await on_host.locator('.mod-btn[data-action="hide"]').click()

    await expect(on_viewer).to_have_count(0)
    await expect(on_host).to_have_class(re.compile(r"\bmod-hidden\b"))  # kept, struck through, for the staff
    entry = host.locator("#moderation li.mod-item.act-hide")
    await expect(entry).to_have_count(1)
    await expect(entry).to_contain_text("主播这件衣服不好看")
    await expect(entry).to_have_attribute("data-comment-seq", str(seq))
    msg = await rude.expect("moderation", action="hide")
    assert msg["comment_seq"] == seq
    assert errors == []


async def test_mute_from_the_console_shows_a_line_and_the_muted_viewer_gets_the_reason(
    browser: Browser, sqlite_node: Node
) -> None:
    node = sqlite_node
    errors: list[str] = []
    host = await host_console(browser, node, errors)
    loud = await viewer_page(browser, node, errors, "m1", "小明")
    other = await viewer_page(browser, node, errors, "v1", "小鹿")
    await ask(loud, "刷屏刷屏刷屏")
    line = host.locator("#comments li.comment").filter(has_text="刷屏刷屏刷屏")
    await expect(line).to_have_count(1)

    await line.hover()
    await line.locator('.mod-btn[data-action="mute"]').click()

    notice = other.locator("#comments li.msg.mod-line")
    await expect(notice).to_have_count(1)
    await expect(notice).to_have_text("小明 已被禁言10分钟")
    entry = host.locator("#moderation li.mod-item.act-mute")
    await expect(entry).to_have_count(1)
    await expect(entry.locator("button.unmute-btn")).to_be_enabled()

    # the muted viewer is told, and a new comment is refused with the server's words
    await expect(loud.locator("#comment-input")).to_have_class(re.compile(r"\bmuted\b"))
    await ask(loud, "我还能说话吗")
    toast = loud.locator("#toast")
    await expect(toast).to_have_attribute("data-kind", "error")
    await expect(toast).to_contain_text("禁言")
    await expect(loud.locator("#comment-input")).to_have_value("我还能说话吗")  # text given back
    assert await other.locator("#comments li.comment").filter(has_text="我还能说话吗").count() == 0

    # 解除禁言 from the 风控 panel
    await entry.locator("button.unmute-btn").click()
    await expect(host.locator("#moderation li.mod-item.act-unmute")).to_have_count(1)
    await expect(loud.locator("#comment-input")).not_to_have_class(re.compile(r"\bmuted\b"))
    await expect(entry.locator("button.unmute-btn")).to_be_disabled()
    assert errors == []


async def test_contact_ad_is_hidden_automatically_and_listed_for_the_staff(
    browser: Browser, sqlite_node: Node
) -> None:
    node = sqlite_node
    errors: list[str] = []
    host = await host_console(browser, node, errors)
    viewer = await viewer_page(browser, node, errors, "v1", "小鹿")
    spammer = await viewer_page(browser, node, errors, "s1", "福利姐")
    await ask(spammer, "加V看福利")
    # its author sees it as sent (the ack's echo, without a seq) ...
    await expect(spammer.locator("#comments li.comment.mine").filter(has_text="加V看福利")).to_have_count(1)
    await ask(spammer, "大家晚上好")

    entry = host.locator("#moderation li.mod-item.act-hide.auto")
    await expect(entry).to_have_count(1)
    await expect(entry.locator(".mod-text")).to_have_text("加V看福利")
    await expect(entry).to_contain_text("福利姐")
    await expect(host.locator("#mod-count")).to_have_text("1")
    # ... nobody else does: the comment after it arrives, the ad never does
    await expect(viewer.locator("#comments li.comment").filter(has_text="大家晚上好")).to_have_count(1)
    assert await viewer.locator("#comments li.comment").filter(has_text="加V看福利").count() == 0
    assert await host.locator("#comments li.comment").filter(has_text="加V看福利").count() == 0
    assert errors == []


async def test_assistant_and_moderation_texts_are_rendered_as_text(
    browser: Browser, sqlite_node: Node
) -> None:
    """Frames fed straight to the pages' clients: whatever the server relays is shown as text."""
    node = sqlite_node
    errors: list[str] = []
    host = await host_console(browser, node, errors)
    viewer = await viewer_page(browser, node, errors, "v1", "小鹿")
    payload = '<img src=x onerror="window.pwned=1">'
    feed = "m => window.siyuRoom._onFrame(JSON.stringify(m))"

    await ask(viewer, QUESTION)
    mine = viewer.locator("#comments li.comment.mine")
    await expect(mine).to_have_count(1)
    seq = int(await mine.get_attribute("data-seq") or 0)
    personal = {"type": "assistant", "reply_to": {"seq": seq, "cid": "x"}, "text": payload, "intent": "stock"}
    await viewer.evaluate(feed, personal)
    answer = viewer.locator(f'#comments li.comment[data-seq="{seq}"] + li.msg.assistant.personal')
    await expect(answer.filter(has_text=payload)).to_have_count(1)
    await viewer.evaluate(
        feed,
        {"type": "assistant", "seq": seq + 1000, "ts": 1, "to": "room", "text": payload, "intent": "stock",
         "asked": 4, "question": payload},
    )  # fmt: skip
    room_wide = viewer.locator("#comments li.msg.assistant.room-wide").filter(has_text="4 人在问")
    await expect(room_wide).to_have_count(1)
    await expect(room_wide).to_contain_text(payload)

    group = {"type": "question_group", "key": "k|" + payload, "label": payload, "count": 7, "intent": "stock",
             "product_id": "P01", "suggested": payload, "priority": "high", "handoff": False,
             "seqs": [seq], "answered": False}  # fmt: skip
    await host.evaluate(feed, group)
    await host.evaluate(
        feed,
        {"type": "moderation", "ts": 1, "action": "hide", "target": {"id": "s1", "nick": payload},
         "by": "auto", "reason": "contact_ad", "reason_text": payload, "text": payload},
    )  # fmt: skip
    row = host.locator("#question-groups li.question-group").filter(has_text="7 人在问")
    await expect(row).to_contain_text(payload)
    await expect(row.locator("textarea.group-reply-input")).to_have_value(payload)
    await expect(host.locator("#moderation li.mod-item .mod-text")).to_have_text(payload)
    for page in (host, viewer):
        assert await page.evaluate("window.pwned === undefined")
        assert await page.locator("#comments img, #question-groups img, #moderation img").count() == 0
    assert errors == []
