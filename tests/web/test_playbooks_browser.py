"""Playbooks in real headless Chromium (issue 13, points 5, 9 and 10).

A document is uploaded through the API: a welcome on entry (a private note and a benefit card with a
product), 扣1 -> a 关注开播提醒 invite in an A/B experiment with a holdout, 扣2 -> a second invite that the
contact budget refuses. The viewer page (390x844) shows 直播助理's private note, the benefit card with its
countdown and 领取 (the product's sheet), the invite (clear of the comment input) whose button follows the
host, a room card pushed by the service layer and an invite with a QR image. The host console (1280x800)
shows the runs in 自动化日志 with the viewer's nickname, the refused action with its reason, the run's
details, the playbooks with their counts and the experiment's live split; its switch pauses a playbook (the
API says so) and its editor shows a 422's error paths, then saves a new version. Screenshots go to
var/screens/. No page error, no CSP violation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import segno
from playwright.async_api import Browser, Page, expect

from siyu.app import Node
from siyu.auth import Role
from siyu.playbooks.experiments import assign
from siyu.playbooks.live import InviteCard
from siyu.rooms.services import push_card
from tests.web.conftest import watch
from tests.web.test_viewer_browser import inside_viewport

pytestmark = [pytest.mark.integration, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SHOTS = Path("var/screens")
EXPERIMENT = "kou1_copy"
CROWD = [f"v{i}" for i in range(1, 8)]

DOC = f"""\
version: 1
title: 带货直播（测试）
playbooks:
  - id: greet
    name: 进场欢迎
    stage: entry
    trigger: {{type: viewer_enter}}
    actions:
      - {{type: send_private, text: "欢迎{{{{ nickname }}}}！新人福利已放进你的专属卡片"}}
      - {{type: show_card, product_id: P01, title: 新人专享, benefit: 碎花连衣裙立减20元, seconds: 90}}
  - id: kou1
    name: 扣1关注提醒
    stage: conversion
    trigger: {{type: comment, keywords: [扣1]}}
    experiment:
      id: {EXPERIMENT}
      holdout: 0.2
      variants:
        - name: a
          actions:
            - type: invite_private_domain
              channel: follow_notify
              incentive: 开播福利先知道
              text: 扣1的宝宝关注一下，开播第一时间提醒你
              override_value_gate: true
        - name: b
          actions:
            - type: invite_private_domain
              channel: follow_notify
              incentive: 下次开播抽免单
              text: 关注主播，下次开播福利先知道
              override_value_gate: true
    actions:
      - {{type: invite_private_domain, channel: follow_notify, text: 关注开播提醒, override_value_gate: true}}
  - id: kou2
    name: 扣2加企微
    stage: conversion
    trigger: {{type: comment, keywords: [扣2]}}
    actions:
      - {{type: invite_private_domain, channel: wecom_contact, incentive: 专属穿搭建议, text: 加助理企业微信}}
"""

BAD_DOC = """\
version: 1
playbooks:
  - id: greet
    trigger: {type: viewer_enters}
    actions:
      - {type: send_private, text: hi}
"""


def shot(page: Page, name: str) -> Any:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return page.screenshot(path=str(SHOTS / f"{name}.png"))


async def open_page(browser: Browser, node: Node, errors: list[str], user: str, nickname: str,
                    role: Role = Role.VIEWER) -> Page:  # fmt: skip
    token = node.signer.issue(room="demo", user=user, role=role, nickname=nickname, level=3)
    viewport = PHONE if role is Role.VIEWER else DESKTOP
    page = watch(await browser.new_page(viewport=viewport), errors)  # type: ignore[arg-type]
    await page.goto(f"{node.http_url}/{'room' if role is Role.VIEWER else 'host'}/demo#token={token}")
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")
    return page


def api(node: Node) -> httpx.AsyncClient:
    token = node.signer.issue(room="demo", user="op", role=Role.OPERATOR, nickname="运营")
    return httpx.AsyncClient(base_url=node.http_url, headers={"Authorization": f"Bearer {token}"})


async def test_playbooks_reach_the_phone_and_the_console_shows_and_steers_them(
    browser: Browser, sqlite_node: Node, connect: Any
) -> None:
    node, errors = sqlite_node, []
    assert assign(EXPERIMENT, "me", [("a", 1), ("b", 1)], 0.2) == "b"  # the page's viewer is not held out
    async with api(node) as http:
        put = await http.put("/api/rooms/demo/playbooks", json={"source": DOC})
        assert put.status_code == 200, put.text
        assert put.json() == {"version": 1, "playbooks": ["greet", "kou1", "kou2"]}

        host = await open_page(browser, node, errors, "host", "晚晚", Role.HOST)
        me = await open_page(browser, node, errors, "me", "小鹿")

        # --- the phone: 直播助理's note and the benefit card -------------------------------------------
        note = me.locator("#comments li.assistant.dm")
        await expect(note).to_contain_text("欢迎小鹿！新人福利已放进你的专属卡片")
        await expect(note.locator(".assistant-head")).to_contain_text("直播助理")
        await expect(note.locator(".assistant-head")).to_contain_text("仅你可见")
        card = me.locator('#offer-cards .offer-card[data-kind="personal"]')
        await expect(card).to_be_visible()
        await expect(card.locator(".offer-title")).to_have_text("新人专享")
        await expect(card.locator(".offer-benefit")).to_have_text("碎花连衣裙立减20元")
        await expect(card.locator(".offer-clock")).to_have_text(re.compile(r"^01:[0-3]\d$"))  # 90 s, from now
        await inside_viewport(me, '#offer-cards .offer-card[data-kind="personal"]')
        await card.locator(".offer-go").click()  # 领取 opens the product's sheet
        sheet = me.locator("#sku-sheet")
        await expect(sheet).to_have_attribute("data-product-id", "P01")
        await sheet.locator(".sheet-close").click()
        await expect(sheet).to_be_hidden()

        # --- 扣1: the invite, clear of the comment input; its button follows the host -------------------
        await me.fill("#comment-input", "扣1")
        await me.click("#send-btn")
        invite = me.locator("#invite-card")
        await expect(invite).to_be_visible()
        await expect(invite).to_have_attribute("data-channel", "follow_notify")
        await expect(invite.locator(".invite-title")).to_have_text("关注开播提醒")
        await expect(invite.locator(".invite-text")).to_have_text("关注主播，下次开播福利先知道")  # variant b
        await expect(invite.locator(".invite-incentive")).to_contain_text("下次开播抽免单")
        await inside_viewport(me, "#invite-card")
        box, composer = await invite.bounding_box(), await me.locator("#composer").bounding_box()
        assert box and composer and box["y"] + box["height"] <= composer["y"], (box, composer)
        await shot(me, "viewer-invite-390")
        await invite.locator(".invite-act").click()
        await expect(invite).to_be_hidden()
        await expect(me.locator("#follow-btn")).to_have_attribute("data-followed", "true")

        # --- a crowd: more runs, the experiment's split; 扣2 is refused by the contact budget ------------
        crowd = [await connect(node, user=u, nickname=f"观众{u[1:]}") for u in CROWD]
        for i, c in enumerate(crowd):
            await c.send({"type": "comment", "text": "扣1", "cid": f"k{i}"})
            await c.expect("ack", cid=f"k{i}")
        await me.fill("#comment-input", "扣2")
        await me.click("#send-btn")

        # --- the console: 自动化日志 -------------------------------------------------------------------
        badge = host.locator("#automation-badge")  # runs since the panel was last looked at; red: one failed
        await expect(badge).to_have_attribute("data-failed", "true")
        await host.click("#automation-btn")
        await expect(badge).to_be_hidden()
        panel = host.locator("#automation")
        await expect(panel).to_be_visible()
        await expect(panel.locator("#automation-version")).to_have_text("v1")
        mine = '#automation-log li.tr-row[data-user-id="me"]'
        greet = panel.locator(mine + '[data-playbook="greet"]')
        await expect(greet).to_have_count(1)
        await expect(greet.locator(".tr-who")).to_have_text("小鹿")
        await expect(greet.locator(".tr-trigger")).to_contain_text("进入直播间 · 新朋友进入直播间")
        acts = [re.compile("私信.*欢迎小鹿"), re.compile("弹卡片.*新人专享")]
        await expect(greet.locator(".tr-act")).to_have_text(acts)
        kou1 = panel.locator(mine + '[data-playbook="kou1"]')
        await expect(kou1.locator(".tr-variant")).to_have_text("组 b")
        await expect(kou1.locator(".tr-act")).to_have_text(re.compile("私域邀约.*关注开播提醒"))
        await expect(kou1.locator(".tr-said")).to_have_text("扣1")  # the comment it fired on
        refused = panel.locator(mine + '[data-playbook="kou2"]')
        await expect(refused).to_have_attribute("data-status", "refused")
        act = refused.locator('.tr-act[data-status="refused"]')
        await expect(act.locator(".tr-reason")).to_contain_text("距上次同类触达太近")
        await expect(act.locator(".tr-reason code")).to_have_text("budget.gap")
        held = panel.locator('#automation-log li.tr-row[data-user-id="v6"][data-playbook="kou1"]')
        await expect(held).to_have_attribute("data-status", "holdout")
        await expect(held.locator(".tr-who")).to_have_text("观众6")
        await expect(panel.locator('#automation-log li.tr-row[data-playbook="kou1"]')).to_have_count(8)
        await shot(host, "host-automation-log-1280")

        await refused.click()  # the run's details
        details = host.locator("#run-details")
        await expect(details).to_be_visible()
        await expect(details.locator(".rd-grid")).to_contain_text("扣2加企微")
        await expect(details.locator(".rd-grid")).to_contain_text("评论 · 评论命中扣2")
        await expect(details.locator(".tr-acts.full .tr-act")).to_contain_text("budget.gap")
        await expect(details.locator(".rd-run")).not_to_have_count(0)  # this viewer's stored runs (all nodes)
        await shot(host, "host-run-details-1280")
        await details.locator(".sheet-close").click()
        await expect(details).to_be_hidden()

        # --- the playbooks: counts, the live split, the pause switch ------------------------------------
        await host.click("#auto-tab-playbooks")
        rows = panel.locator("#automation-playbooks li.pb-row")
        await expect(rows).to_have_count(3)
        k1 = panel.locator('#automation-playbooks li.pb-row[data-id="kou1"]')
        await expect(k1.locator(".pb-stage")).to_have_text("转化")
        await expect(k1.locator(".pb-triggers")).to_have_text("触发：评论")
        await expect(k1.locator('.pb-count[data-status="ok"] b')).to_have_text("7")
        await expect(k1.locator('.pb-count[data-status="holdout"] b')).to_have_text("1")
        split = k1.locator(".ab-split")
        await expect(split).to_have_attribute("data-exposed", "8")
        expected = {"a": 0, "b": 0, "holdout": 0}
        for user in ["me", *CROWD]:
            expected[assign(EXPERIMENT, user, [("a", 1), ("b", 1)], 0.2)] += 1
        for arm, n in expected.items():
            await expect(split.locator(f'.ab-arm[data-variant="{arm}"]')).to_have_attribute("data-n", str(n))
        await expect(split.locator('.ab-arm[data-variant="holdout"]')).to_contain_text("对照组")
        await expect(split.locator('.ab-arm[data-variant="holdout"] .ab-pct')).to_contain_text("目标 20%")
        await expect(split.locator('.ab-arm[data-variant="a"] .ab-pct')).to_contain_text("目标 40%")
        await shot(host, "host-automation-playbooks-1280")

        switch = panel.locator('li.pb-row[data-id="greet"] .pb-switch')
        await expect(switch).to_have_attribute("aria-checked", "true")
        await switch.click()
        await expect(switch).to_have_attribute("aria-checked", "false")
        await expect(switch).to_have_text("已暂停")
        await expect(host.locator("#toast")).to_contain_text("已暂停：进场欢迎")
        got = (await http.get("/api/rooms/demo/playbooks")).json()
        paused = {p["id"]: p["paused"] for p in got["playbooks"]}
        assert paused == {"greet": True, "kou1": False, "kou2": False}

        # --- the editor: a 422 with its paths, then a good version --------------------------------------
        await host.click("#pb-edit-btn")
        editor = host.locator("#pb-editor")
        source = editor.locator("#pb-source")
        await expect(source).to_have_value(re.compile("id: kou2"))
        await source.fill(BAD_DOC)
        await editor.locator("#pb-editor-submit").click()
        err = editor.locator('#pb-errors li.pb-error[data-path="playbooks[0].trigger"]')
        await expect(err).to_be_visible()
        await expect(err).to_have_attribute("data-line", "4")
        await expect(err.locator(".pb-error-zh")).to_have_text("未知的类型「viewer_enters」")
        await expect(err.locator(".pb-error-msg")).to_contain_text("viewer_enters")
        await expect(editor.locator("#pb-editor-status")).to_contain_text("校验未通过")
        await shot(host, "host-playbook-editor-422-1280")
        await err.locator(".pb-error-btn").click()  # selects the line it points at
        assert await source.evaluate("t => t.value.slice(t.selectionStart, t.selectionEnd)") == (
            "    trigger: {type: viewer_enters}"
        )
        assert (await http.get("/api/rooms/demo/playbooks")).json()["source"] == DOC  # still running

        await source.fill(BAD_DOC.replace("viewer_enters", "viewer_enter"))
        await editor.locator("#pb-editor-submit").click()
        await expect(editor.locator("#pb-editor-status")).to_have_text("已保存并生效：v3（1 个剧本）")
        await expect(editor.locator("#pb-errors .pb-error")).to_have_count(0)
        await editor.locator(".sheet-close").click()
        await expect(panel.locator("#automation-version")).to_have_text("v3")
        await expect(rows).to_have_count(1)

        # a tablet: the panel stays on the screen
        await host.set_viewport_size({"width": 820, "height": 1180})
        await host.click("#auto-tab-log")
        await inside_viewport(host, "#automation")
        await shot(host, "host-automation-tablet-820")

    # --- cards the service layer pushes: the room card, an invite with a QR image ----------------------
    room = await node.services.room("demo")
    assert push_card(room, "P02", "爆款返场", seconds=45)
    product_card = me.locator('#offer-cards .offer-card[data-kind="room"]')
    await expect(product_card.locator(".offer-title")).to_have_text("爆款返场")
    await expect(product_card.locator(".offer-clock")).to_have_text(re.compile(r"^00:4\d$"))
    await expect(product_card.locator(".offer-go")).to_have_text("去看看")
    qr = segno.make("https://work.weixin.qq.com/ca/demo?state=demo-s1-kou2", error="m").svg_data_uri(scale=4)
    text, incentive = "加助理企业微信，一对一穿搭建议", "加好友领 10 元无门槛券"
    room.to_user("me", InviteCard(channel="wecom_contact", text=text, incentive=incentive, state="s1", qr=qr))
    await expect(invite).to_have_attribute("data-channel", "wecom_contact")
    await expect(invite.locator(".invite-title")).to_have_text("加企业微信")
    await expect(invite.locator(".invite-qr img")).to_have_attribute("src", qr)
    await expect(invite.locator(".invite-qr figcaption")).to_have_text("长按识别二维码")
    assert await invite.locator(".invite-qr img").evaluate("i => i.decode().then(() => i.naturalWidth)") > 0
    await inside_viewport(me, "#invite-card")
    await shot(me, "viewer-cards-qr-390")
    await invite.locator(".invite-close").click()
    await expect(invite).to_have_count(0)
    await product_card.locator(".offer-close").click()
    await expect(product_card).to_have_count(0)
    await shot(me, "viewer-after-390")
    assert errors == []
