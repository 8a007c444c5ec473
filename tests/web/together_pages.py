"""Shared by the call and mic page tests (issue 14): open a page with a token, wait until a call's media
flows both ways (a connected RTCPeerConnection, a remote video with a size and a presented frame), and
wait until it has ended. Every wait is on a state or an event of the page, never a sleep."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from siyu.app import Node
from siyu.auth import Role
from tests.web.conftest import watch

SHOTS = os.environ.get("SIYU_SCREENSHOTS")  # a directory to keep the screenshots in (to look at them)
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}
CONNECT_MS = 30_000  # ICE + DTLS + the first frame, with room for a loaded machine


async def shot(page: Page, name: str, tmp_path: Path) -> None:
    path = Path(SHOTS or tmp_path) / f"together-{name}.png"
    await page.screenshot(path=str(path))
    assert path.stat().st_size > 0


async def open_page(browser: Browser, node: Node, path: str, user: str, role: Role, size: dict[str, int],
                    errors: list[str], nickname: str, room: str = "demo") -> Page:  # fmt: skip
    token = node.signer.issue(room=room, user=user, role=role, nickname=nickname, level=6)
    page = watch(await browser.new_page(viewport=size), errors)  # type: ignore[arg-type]
    await page.goto(f"{node.http_url}/{path}/{room}#token={token}")
    await expect(page.locator("#conn-status")).to_have_attribute("data-state", "open")
    return page


async def dismiss_welcome(page: Page) -> None:
    """Put the welcome card away (it leaves by itself after 8 s: clicking it races that timer)."""
    await page.locator("#welcome").evaluate("(e) => e.classList.add('gone')")


async def media_flowing(page: Page) -> dict[str, object]:
    """The call screen is connected and the remote video plays: returns what the page measured."""
    screen = page.locator("#call-screen")
    await expect(screen).to_have_attribute("data-state", "connected", timeout=CONNECT_MS)
    await expect(screen).to_have_attribute("data-frame", "true", timeout=CONNECT_MS)
    await expect(screen).to_have_attribute("data-reported", "true", timeout=CONNECT_MS)
    got: dict[str, object] = await page.evaluate(
        """() => ({
          state: window.siyuCall.pc.connectionState,
          width: document.getElementById('call-remote').videoWidth,
          paused: document.getElementById('call-remote').paused,
          marks: window.siyuRtcMarks.filter((m) => m.call_id === window.siyuCall.id).map((m) => m.name),
          negotiated: window.siyuCall.negotiatedVideo,
        })"""
    )
    assert got["state"] == "connected", got
    assert isinstance(got["width"], int) and got["width"] > 0, got
    assert got["paused"] is False, got
    marks = got["marks"]
    assert isinstance(marks, list)
    for name in ("accepted", "media", "ice_connected", "connected", "first_frame", "reported"):
        assert name in marks, (name, marks)
    return got


async def call_ended(page: Page) -> None:
    """The call screen went away and the peer connection is closed."""
    await expect(page.locator("#call-screen")).to_be_hidden(timeout=15_000)
    assert await page.evaluate("!window.siyuCall.pc || window.siyuCall.pc.connectionState === 'closed'")


async def ready_and_ring(host: Page, viewer: Page) -> None:
    """The host takes calls (接听1v1), the viewer rings them from the 连线 sheet, the host picks up."""
    await host.click("#tab-calls")
    await host.check("#call-ready")
    await expect(viewer.locator("#together-btn")).to_be_visible()
    await dismiss_welcome(viewer)
    await viewer.locator("#together-btn").click()
    await viewer.locator("#callee-list .callee[data-user-id='host'] .callee-call").click()
    await expect(host.locator("#call-screen")).to_have_attribute("data-state", "incoming")
    await host.click("#call-accept")
