"""Real WebRTC peers (aiortc) through siyu's signalling over real WebSocket clients: a viewer calls a ready
consultant, and a mic guest joins the host. Offer, answer and candidates go through `rtc_signal`; each peer
connection reaches "connected" and decodes a video frame from the other; the hang-up is `call.ended` in the
log with a duration. `iceServers=[]`: host candidates on this machine only, nothing outside is asked."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import pytest
from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamTrack, VideoStreamTrack
from av import VideoFrame

from siyu.app import Node
from siyu.auth import Role
from siyu.bench import turn
from siyu.sim.peer import Peer as SimPeer
from siyu.sim.rtc_peer import RtcAgent
from tests.conftest import Client
from tests.interactions.rtc_helpers import both, connected, logged, ready_staff, ring

pytestmark = pytest.mark.integration


class Pattern(VideoStreamTrack):
    """A small moving test pattern (small: the software VP8 encoder keeps up even on a busy machine)."""

    def __init__(self, shade: int) -> None:
        super().__init__()
        self.shade = shade

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame(width=320, height=240)
        for i, plane in enumerate(frame.planes):
            plane.update(bytes([(self.shade + pts // 3000 + i * 40) % 256]) * plane.buffer_size)
        frame.pts, frame.time_base = pts, time_base or Fraction(1, 90000)
        return frame


class Peer:
    """One party: an aiortc peer connection that speaks siyu's `rtc_signal` through its WebSocket client."""

    def __init__(self, client: Client, user: str, shade: int, call: dict[str, Any] | None = None) -> None:
        """`call`: the party's `call` message, whose ICE configuration it takes (default: none at all)."""
        self.client, self.user = client, user
        config = RTCConfiguration(iceServers=[])
        if call is not None:
            servers = [RTCIceServer(**server) for server in call["ice_servers"]]
            policy = RTCIceTransportPolicy(call["ice_transport_policy"])
            config = RTCConfiguration(iceServers=servers, iceTransportPolicy=policy)
        self.pc = RTCPeerConnection(config)
        self.pc.addTrack(Pattern(shade))
        self.connected = asyncio.Event()
        self.remote: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()

        @self.pc.on("connectionstatechange")
        def _state() -> None:
            if self.pc.connectionState == "connected":
                self.connected.set()

        @self.pc.on("track")
        def _track(track: MediaStreamTrack) -> None:
            if track.kind == "video" and not self.remote.done():
                self.remote.set_result(track)

    async def send(self, call_id: str, to: str, desc: RTCSessionDescription, cid: str) -> None:
        msg = {"type": "rtc_signal", "call_id": call_id, "to": to, "kind": desc.type, "sdp": desc.sdp}
        await self.client.send({**msg, "cid": cid})
        ack = await self.client.expect("ack", cid=cid)
        assert "error" not in ack, ack

    async def offer(self, call_id: str, to: str) -> None:
        """The caller: offer (aiortc gathers its candidates first: they are in the SDP), then the answer."""
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self.send(call_id, to, self.pc.localDescription, "offer")
        answer = await self.client.expect("rtc_signal", timeout=20, kind="answer")
        assert answer["from"] == to and answer["call_id"] == call_id
        await self.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))

    async def answer(self, call_id: str, to: str) -> None:
        offer = await self.client.expect("rtc_signal", timeout=20, kind="offer")
        assert offer["from"] == to and offer["call_id"] == call_id
        await self.pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        await self.send(call_id, to, self.pc.localDescription, "answer")

    async def media(self) -> VideoFrame:
        """Connected, and one decoded frame of the other's video (the bounds are for a failure only)."""
        await asyncio.wait_for(self.connected.wait(), 30)
        track = await asyncio.wait_for(self.remote, 30)
        frame = await asyncio.wait_for(track.recv(), 30)
        assert isinstance(frame, VideoFrame)
        return frame

    async def report(self, call_id: str, frame: VideoFrame) -> None:
        figures = {"width": frame.width, "height": frame.height, "fps": 30}
        await self.client.send({"type": "call_report", "call_id": call_id, "state": "connected", **figures,
                                "cid": "rep"})  # fmt: skip
        assert "error" not in await self.client.expect("ack", cid="rep")


async def peer_call(caller: Peer, callee: Peer, call_id: str) -> tuple[VideoFrame, VideoFrame]:
    await asyncio.gather(caller.offer(call_id, callee.user), callee.answer(call_id, caller.user))
    got = await asyncio.gather(caller.media(), callee.media())
    return got[0], got[1]


async def test_a_viewer_calls_a_consultant_with_aiortc_peers(sqlite_node: Node, connect: Any) -> None:
    node = sqlite_node
    staff = await ready_staff(connect, node)
    viewer: Client = await connect(node, user="v1")
    call_id = await connected(viewer, staff)
    caller, callee = Peer(viewer, "v1", 60), Peer(staff, "c1", 180)
    try:
        seen_by_caller, seen_by_callee = await peer_call(caller, callee, call_id)
        assert (seen_by_caller.width, seen_by_caller.height) == (320, 240)
        assert seen_by_callee.width == 320
        await caller.report(call_id, seen_by_caller)
        await viewer.send({"type": "call_hangup", "call_id": call_id, "cid": "bye"})
        await both(viewer, {"type": "ack", "cid": "bye"}, {"type": "call", "state": "ended"})
        await staff.expect("call", call_id=call_id, state="ended", reason="hangup")
    finally:
        await asyncio.gather(caller.pc.close(), callee.pc.close())
    [(_u, conn)] = await logged(node, "call.connected")
    assert (conn["width"], conn["height"], conn["fps"]) == (320, 240, 30.0)
    [(_u, end)] = await logged(node, "call.ended")
    assert end["call_id"] == call_id and end["reason"] == "hangup" and end["duration_ms"] > 0


async def test_a_mic_guest_joins_the_host_with_aiortc_peers(sqlite_node: Node, connect: Any) -> None:
    node = sqlite_node
    host: Client = await connect(node, user="host", role=Role.HOST)
    guest_ws: Client = await connect(node, user="g1", nickname="小粉丝")
    await guest_ws.send({"type": "mic_request", "cid": "m"})
    assert "error" not in await guest_ws.expect("ack", cid="m")
    await host.send({"type": "mic_accept", "user_id": "g1", "cid": "acc"})
    ack, _ = await both(host, {"type": "ack", "cid": "acc"}, {"type": "call", "state": "connected"})
    call_id = ack["call_id"]
    mine = await guest_ws.expect("call", call_id=call_id, state="connected")
    assert mine["role"] == "caller"  # the guest makes the offer
    guest, staff = Peer(guest_ws, "g1", 90), Peer(host, "host", 200)
    try:
        await peer_call(guest, staff, call_id)
        await host.send({"type": "mic_end", "user_id": "g1", "cid": "end"})
        await both(host, {"type": "ack", "cid": "end"}, {"type": "call", "state": "ended"})
        await guest_ws.expect("call", call_id=call_id, state="ended", reason="ended_by_staff")
    finally:
        await asyncio.gather(guest.pc.close(), staff.pc.close())
    [(_u, end)] = await logged(node, "call.ended")
    assert end["kind"] == "mic" and end["duration_ms"] > 0


async def test_a_simulated_callee_holds_an_offer_sent_while_it_rings_until_it_accepts(
    sqlite_node: Node, connect: Any
) -> None:
    """The pages' caller sends its offer while it rings; the demo's simulated staff (sim RtcAgent) holds it:
    no peer connection, no ICE, before it accepted; after `call_answer` it answers and the media flows."""
    node = sqlite_node
    consultant = SimPeer(node.ws_url, node.signer, "demo", "c1", Role.CONSULTANT, "顾问小美")
    await consultant.open()
    agent = RtcAgent(consultant)
    relayed = asyncio.Event()
    # a handler after the agent's: when it sees the offer, the agent has had it
    consultant.handlers.append(lambda m: relayed.set() if m.get("type") == "rtc_signal" else None)
    viewer: Client = await connect(node, user="v1")
    caller = Peer(viewer, "v1", 60)
    try:
        assert "error" not in await consultant.ask({"type": "call_ready", "ready": True})
        await viewer.expect("callees", timeout=5)
        call_id = await ring(viewer, "c1")
        await caller.pc.setLocalDescription(await caller.pc.createOffer())
        await caller.send(call_id, "c1", caller.pc.localDescription, "early")  # acked: relayed while ringing
        await asyncio.wait_for(relayed.wait(), 10)
        assert call_id not in agent.calls  # held: nothing set up before the accept
        accept = {"type": "call_answer", "call_id": call_id, "accept": True}
        assert "error" not in await consultant.ask(accept)
        answer = await viewer.expect("rtc_signal", timeout=20, kind="answer")
        assert answer["from"] == "c1" and answer["call_id"] == call_id
        await caller.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        frame = await caller.media()
        assert (frame.width, frame.height) == (320, 240)  # the agent's card
    finally:
        await caller.pc.close()
        await agent.close()
        await consultant.close()


TURN_SECRET = "siyu-test-turn-secret"


@pytest.fixture
def coturn() -> Iterator[int]:
    """A throwaway coturn on loopback (use-auth-secret, as docs/rtc.md sets it up); its port."""
    try:
        with turn.coturn(TURN_SECRET) as port:
            yield port
    except RuntimeError as exc:  # missing or not starting: `make test` installs the coturn package
        pytest.fail(str(exc))


async def test_a_call_relayed_through_coturn(node_factory: Any, connect: Any, coturn: int) -> None:
    """iceTransportPolicy "relay": the media can only flow through the TURN server, with siyu's TURN REST
    credentials (HMAC of coturn's static-auth-secret)."""
    rtc = {"ice_servers": [{"urls": [f"turn:127.0.0.1:{coturn}?transport=udp"]}], "turn_secret": TURN_SECRET,
           "ice_transport_policy": "relay"}  # fmt: skip
    node = await node_factory(rtc=rtc)
    staff = await ready_staff(connect, node)
    viewer: Client = await connect(node, user="v1")
    call_id = await connected(viewer, staff)
    mine, theirs = viewer.last_call, staff.last_call  # type: ignore[attr-defined]
    assert mine["ice_servers"][0]["username"].endswith(":v1")  # each party its own TURN credential
    assert theirs["ice_servers"][0]["username"].endswith(":c1")
    caller, callee = Peer(viewer, "v1", 60, mine), Peer(staff, "c1", 180, theirs)
    try:
        await peer_call(caller, callee, call_id)
        for peer in (caller, callee):
            sdp = peer.pc.localDescription.sdp
            assert "typ relay" in sdp and "typ host" not in sdp
    finally:
        await asyncio.gather(caller.pc.close(), callee.pc.close())
