"""1v1 calls and the co-host mic with real peers (issue 14): two Chromium pages with a fake camera and
microphone, the viewer page (390x844) and the host console (1280x800), signal through the room connection
and reach a connected RTCPeerConnection with a playing remote video (a size, a presented frame) on both
sides; hanging up ends both. A third viewer sees the host busy (1v1) or the "连麦中" layout (mic)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from siyu.app import Node
from siyu.auth import Role
from tests.web.together_pages import DESK, PHONE, call_ended, dismiss_welcome, media_flowing, open_page, shot

pytestmark = [pytest.mark.integration, pytest.mark.browser]


async def test_a_viewer_calls_the_ready_host_both_see_each_other_then_hang_up(
    media_browser: Browser, sqlite_node: Node, tmp_path: Path
) -> None:
    node, errors = sqlite_node, []
    host = await open_page(media_browser, node, "host", "host", Role.HOST, DESK, errors, "晚晚")
    viewer = await open_page(media_browser, node, "room", "me", Role.VIEWER, PHONE, errors, "小鹿")
    other = await open_page(media_browser, node, "room", "other", Role.VIEWER, PHONE, errors, "路人")

    await host.click("#tab-calls")
    await host.check("#call-ready")
    await expect(host.locator("#call-ready-note")).to_contain_text("已开启")
    entry = viewer.locator("#together-btn")
    await expect(entry).to_be_visible()
    await dismiss_welcome(viewer)
    await entry.click()
    callee = viewer.locator("#callee-list .callee[data-user-id='host']")
    await expect(callee).to_contain_text("晚晚")
    await expect(callee.locator(".callee-role")).to_have_text("主播")
    await shot(viewer, "viewer-callees", tmp_path)
    await callee.locator(".callee-call").click()

    await expect(viewer.locator("#call-screen")).to_have_attribute("data-state", "ringing")
    await expect(viewer.locator("#call-status")).to_contain_text("正在呼叫")
    ring = host.locator("#call-screen")
    await expect(ring).to_have_attribute("data-state", "incoming")
    await expect(host.locator("#call-status")).to_contain_text("邀请你视频通话")
    await expect(host.locator("#call-peer")).to_contain_text("小鹿")
    # while it rings both sides get ready: the caller's offer is made and sent, the callee's camera preview
    # and peer connection are up; the callee holds the offer until 接听 (no ICE before the person answers)
    my_screen, ring_screen = viewer.locator("#call-screen"), host.locator("#call-screen")
    await expect(my_screen).to_have_attribute("data-prepared", "true")
    await expect(ring_screen).to_have_attribute("data-prepared", "true")
    await expect(ring_screen).to_have_attribute("data-media", "open")
    await expect(host.locator("#call-local")).to_be_visible()  # its preview, and that it is not sent yet
    await expect(host.locator("#call-local-note")).to_have_text("接听前对方看不到你")
    await shot(host, "host-ringing", tmp_path)
    assert "offer_sent" in await viewer.evaluate("window.siyuRtcMarks.map((m) => m.name)")
    assert await host.evaluate("window.siyuCall.pc.remoteDescription") is None
    assert await host.evaluate("window.siyuCall.pc.iceGatheringState") == "new"
    assert "offer_received" not in await host.evaluate("window.siyuRtcMarks.map((m) => m.name)")
    await host.click("#call-accept")

    mine = await media_flowing(viewer)
    theirs = await media_flowing(host)
    assert "offer_sent" in mine["marks"] and "answer_received" in mine["marks"]  # type: ignore[operator]
    assert "offer_received" in theirs["marks"] and "answer_sent" in theirs["marks"]  # type: ignore[operator]
    await expect(viewer.locator("#call-status")).to_contain_text("通话中")
    await shot(viewer, "viewer-call", tmp_path)
    await shot(host, "host-call", tmp_path)

    # the host is busy now: another viewer sees it and cannot ring
    await dismiss_welcome(other)
    await other.click("#together-btn")
    busy = other.locator("#callee-list .callee[data-user-id='host']")
    await expect(busy).to_have_attribute("data-busy", "true")
    await expect(busy.locator(".callee-call")).to_be_disabled()
    await expect(busy.locator(".callee-call")).to_have_text("忙线中")
    ack = await other.evaluate("window.siyuRoom.request({type: 'call_request', to: 'host'})")
    assert ack["error"]["code"] == "call.busy"

    mute = viewer.locator("#call-mute")
    await mute.click()
    await expect(mute).to_have_attribute("aria-pressed", "true")
    await expect(mute).to_contain_text("取消静音")
    assert await viewer.evaluate("window.siyuCall.stream.getAudioTracks().every((t) => !t.enabled)")
    camera = viewer.locator("#call-camera")
    await camera.click()
    await expect(camera).to_contain_text("打开摄像头")
    assert await viewer.evaluate("window.siyuCall.stream.getVideoTracks().every((t) => !t.enabled)")

    await viewer.click("#call-hangup")
    await expect(viewer.locator("#call-status")).to_have_text("通话已结束")
    await call_ended(viewer)
    await call_ended(host)
    await expect(host.locator("#call-log .call-log-item").first).to_contain_text("时长")
    await expect(busy.locator(".callee-call")).to_have_text("视频通话")  # free again
    assert errors == []


async def test_a_viewer_goes_on_the_mic_and_the_room_sees_the_guest(
    media_browser: Browser, sqlite_node: Node, tmp_path: Path
) -> None:
    node, errors = sqlite_node, []
    host = await open_page(media_browser, node, "host", "host", Role.HOST, DESK, errors, "晚晚")
    viewer = await open_page(media_browser, node, "room", "me", Role.VIEWER, PHONE, errors, "小鹿")
    other = await open_page(media_browser, node, "room", "other", Role.VIEWER, PHONE, errors, "路人")
    joined = await viewer.evaluate("window.siyuRoom.request({type: 'fanclub_join'})")
    assert joined["ok"], joined

    await host.click("#tab-mic")
    await host.check("#mic-open")
    await dismiss_welcome(viewer)
    await viewer.locator("#together-btn").click()
    ask = viewer.locator("#mic-request")
    await expect(ask).to_have_text("申请连麦")
    await ask.click()
    await expect(ask).to_have_text("取消排队")
    await expect(viewer.locator("#mic-status")).to_contain_text("排队中")
    await expect(viewer.locator("#together-btn")).to_have_attribute("data-dot", "true")

    queued = host.locator("#mic-queue .mic-queued[data-user-id='me']")
    await expect(queued).to_contain_text("小鹿")
    await expect(queued.locator(".fan-badge")).to_contain_text("晚晚家")
    await expect(host.locator("#tab-mic .count-badge")).to_have_text("1")
    await shot(host, "host-mic-queue", tmp_path)
    await queued.locator(".mic-accept").click()

    await media_flowing(viewer)
    await media_flowing(host)
    await expect(viewer.locator("#call-screen")).to_have_attribute("data-kind", "mic")
    await expect(viewer.locator("#call-status")).to_contain_text("连麦中")
    await expect(host.locator("#mic-guests .mic-guest[data-user-id='me']")).to_contain_text("小鹿")
    tile = other.locator("#mic-stage .mic-tile[data-user-id='me']")
    await expect(tile).to_contain_text("连麦中")
    await expect(tile).to_contain_text("小鹿")
    await expect(tile.locator(".fan-badge")).to_contain_text("晚晚家")
    box = await tile.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390 and box["y"] > 80
    await dismiss_welcome(other)
    await shot(other, "viewer-mic-stage", tmp_path)
    await shot(viewer, "viewer-mic-call", tmp_path)
    await shot(host, "host-mic-call", tmp_path)

    await host.click("#call-hangup")  # 挂断 on the console ends the guest's session (mic_end)
    await call_ended(host)
    await call_ended(viewer)
    await expect(other.locator("#mic-stage")).to_be_hidden()
    await expect(host.locator("#mic-guests .mic-guest")).to_have_count(0)
    await expect(ask).to_have_text("申请连麦")
    assert errors == []


async def test_busy_and_unavailable_are_said_in_chinese(media_browser: Browser, sqlite_node: Node) -> None:
    node, errors = sqlite_node, []
    viewer = await open_page(media_browser, node, "room", "me", Role.VIEWER, PHONE, errors, "小鹿")
    ack = await viewer.evaluate("window.siyuRoom.request({type: 'call_request', to: 'host'})")
    assert ack["error"]["code"] == "call.unavailable"
    text = await viewer.evaluate("window.siyuRoom.protocol.errorText('call.unavailable')")
    assert text and all(ord(c) > 127 or not c.isalpha() for c in text), text  # Chinese, not a code
    for code in ("call.busy", "mic.closed", "pk.busy", "rtc.not_party"):
        t = await viewer.evaluate(f"window.siyuRoom.protocol.errorText('{code}')")
        assert code not in t, (code, t)
    assert errors == []
