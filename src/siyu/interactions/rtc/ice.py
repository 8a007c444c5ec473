"""The ICE configuration a call's parties get: the configured STUN/TURN servers, with per-user TURN REST
credentials when `turn_secret` is set (coturn `use-auth-secret` / `static-auth-secret`, docs/rtc.md)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from siyu.config import RtcSettings

from .book import Live
from .model import CallMessage


def turn_credential(secret: str, user_id: str, expiry_s: int) -> tuple[str, str]:
    """The TURN REST API credential: username `<expiry>:<user_id>`, base64(HMAC-SHA1(secret, username))."""
    username = f"{expiry_s}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers(rtc: RtcSettings, user_id: str, now_s: int) -> list[dict[str, Any]]:
    """RTCPeerConnection's `iceServers` for one user. A TURN server (turn:/turns: URL) gets the REST
    credential when `turn_secret` is set; otherwise each server's own username/credential, if any."""
    secret = rtc.turn_secret.get_secret_value()
    out: list[dict[str, Any]] = []
    for server in rtc.ice_servers:
        entry: dict[str, Any] = {"urls": list(server.urls)}
        is_turn = any(url.startswith(("turn:", "turns:")) for url in server.urls)
        if secret and is_turn:
            entry["username"], entry["credential"] = turn_credential(secret, user_id, now_s + rtc.turn_ttl_s)
        elif server.username is not None:
            entry["username"] = server.username
            entry["credential"] = server.credential.get_secret_value() if server.credential else ""
        out.append(entry)
    return out


def video(rtc: RtcSettings) -> dict[str, int]:
    """What to ask the camera for (HD by default)."""
    return {"width": rtc.video_width, "height": rtc.video_height, "fps": rtc.video_fps}


def call_message(
    call: Live, user: str, state: str, reason: str | None, rtc: RtcSettings, now_s: int
) -> CallMessage:
    """The personal `call` message for one party: its side, its peer, the ICE config, what to ask the camera
    for. The caller makes the offer; the callee is the polite peer (perfect negotiation)."""
    role = "caller" if user == call.caller else "callee"
    return CallMessage(
        call_id=call.call_id, kind=call.kind, state=state, role=role, peer=call.refs[call.other(user)],
        ice_servers=ice_servers(rtc, user, now_s), ice_transport_policy=rtc.ice_transport_policy,
        video=video(rtc), polite=role == "callee", ring_until=call.ring_until if state == "ringing" else None,
        reason=reason,
    )  # fmt: skip
