"""The TURN path once (issue 14, point 4): a throwaway coturn on loopback (`--use-auth-secret`, as
docs/rtc.md sets it up in production), the node's `[rtc]` pointing at it with `turn_secret` and
`ice_transport_policy = "relay"`; a 1v1 call between two Chromium pages connects and the selected ICE
candidate pair is a relayed one on both sides (getStats)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser

from siyu.auth import Role
from siyu.bench import turn
from tests.web.together_pages import DESK, PHONE, call_ended, media_flowing, open_page, ready_and_ring

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SECRET = "siyu-test-turn-secret"


@pytest.fixture
def coturn() -> Iterator[int]:
    """coturn on 127.0.0.1 (UDP, no TLS), relaying between loopback peers; yields its port."""
    try:
        with turn.coturn(SECRET) as port:
            yield port
    except RuntimeError as exc:  # missing or not starting: `make test` installs it
        pytest.fail(str(exc))


async def test_a_call_through_turn_only_uses_a_relayed_pair(
    media_browser: Browser, node_factory: Callable[..., Any], coturn: int, tmp_path: Path
) -> None:
    rtc = {
        "ice_servers": [{"urls": [f"turn:127.0.0.1:{coturn}?transport=udp"]}],
        "turn_secret": SECRET,
        "ice_transport_policy": "relay",
    }
    node = await node_factory(rtc=rtc)
    errors: list[str] = []
    host = await open_page(media_browser, node, "host", "host", Role.HOST, DESK, errors, "晚晚")
    viewer = await open_page(media_browser, node, "room", "me", Role.VIEWER, PHONE, errors, "小鹿")
    await ready_and_ring(host, viewer)
    await media_flowing(viewer)
    await media_flowing(host)
    for page in (viewer, host):
        config = await page.evaluate("window.siyuCall.pc.getConfiguration()")
        assert config["iceTransportPolicy"] == "relay"
        assert config["iceServers"][0]["username"].endswith(":" + ("me" if page is viewer else "host"))
        pair = await page.evaluate("window.siyuCall.selectedPair()")
        assert pair is not None and pair["local"] == "relay" and pair["remote"] == "relay", pair
    await viewer.click("#call-hangup")
    await call_ended(viewer)
    await call_ended(host)
    assert errors == []
