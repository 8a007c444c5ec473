"""The TURN path once (issue 14, point 4): a throwaway coturn on loopback (`--use-auth-secret`, as
docs/rtc.md sets it up in production), the node's `[rtc]` pointing at it with `turn_secret` and
`ice_transport_policy = "relay"`; a 1v1 call between two Chromium pages connects and the selected ICE
candidate pair is a relayed one on both sides (getStats)."""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser

from siyu.auth import Role
from tests.conftest import free_port
from tests.web.together_pages import DESK, PHONE, call_ended, media_flowing, open_page, ready_and_ring

pytestmark = [pytest.mark.integration, pytest.mark.browser]

TURNSERVER = shutil.which("turnserver") or "/usr/bin/turnserver"
SECRET = "siyu-test-turn-secret"


def stun_answers(port: int) -> bool:
    """A STUN binding request to 127.0.0.1:port gets a binding response (the server is listening)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.5)
        s.sendto(struct.pack("!HHI", 0x0001, 0, 0x2112A442) + os.urandom(12), ("127.0.0.1", port))
        try:
            data, _ = s.recvfrom(2048)
        except TimeoutError:
            return False
        return struct.unpack("!H", data[:2])[0] == 0x0101


@pytest.fixture
def coturn(tmp_path: Path) -> Iterator[int]:
    """coturn on 127.0.0.1 (UDP, no TLS), relaying between loopback peers; yields its port."""
    if not Path(TURNSERVER).exists():
        pytest.fail("coturn is missing (Debian package coturn): `make test` installs it")
    port = free_port()
    relay = 49152 + (port % 2000) * 8
    log = (tmp_path / "turn.log").open("wb")
    flags = (
        f"--no-cli --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 --listening-port={port}"
        f" --allow-loopback-peers --use-auth-secret --static-auth-secret={SECRET} --realm=siyu.test"
        f" --no-tls --no-dtls --log-file=stdout --min-port={relay} --max-port={relay + 7}"
        f" --userdb={tmp_path / 'turndb'} --pidfile={tmp_path / 'turn.pid'}"
    )
    proc = subprocess.Popen(
        ["stdbuf", "-oL", TURNSERVER, *flags.split()],  # stdbuf: its log lines as they come
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(40):  # each try waits up to 0.5 s for the answer
            if proc.poll() is not None:
                out = (tmp_path / "turn.log").read_text(errors="replace")
                pytest.fail(f"turnserver exited: {out[-2000:]}")
            if stun_answers(port):
                break
        else:
            pytest.fail("turnserver did not answer STUN")
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


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
