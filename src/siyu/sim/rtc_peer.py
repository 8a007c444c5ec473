"""A simulated participant's media: an aiortc peer connection per call, signalled through the room.

`RtcAgent` follows one `Peer`'s personal `call` and `rtc_signal` messages: when a call it is a party of
connects, it opens an `RTCPeerConnection` (no ICE servers: host candidates only, nothing outside is asked)
with a small synthetic video track; the caller makes the offer, the callee answers (aiortc gathers its
candidates before the description is set, so both SDPs carry them; trickled candidates from a browser are
added too). The first decoded remote frame means the call really connected: after one second of frames the
agent sends `call_report {state: "connected", width, height, fps}` with what it received.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.sdp import candidate_from_sdp
from av import VideoFrame

from siyu.sim.peer import Peer

log = logging.getLogger(__name__)

CLOCK = 90_000  # the RTP video clock


class CardTrack(MediaStreamTrack):
    """A plain video card (small and slow: the demo runs several peers in one process)."""

    kind = "video"

    def __init__(self, width: int = 320, height: int = 240, fps: int = 15) -> None:
        super().__init__()
        self.width, self.height, self.fps = width, height, fps
        self._start: float | None = None
        self._n = 0

    async def recv(self) -> VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.time()
        else:
            self._n += 1
            await asyncio.sleep(max(0.0, self._start + self._n / self.fps - time.time()))
        frame = VideoFrame(width=self.width, height=self.height)
        for i, plane in enumerate(frame.planes):  # a grey-green card: luma, then the two chroma planes
            plane.update(bytes([0x80 if i else 0x60]) * plane.buffer_size)
        frame.pts = self._n * (CLOCK // self.fps)
        frame.time_base = fractions.Fraction(1, CLOCK)
        return frame


@dataclass
class CallSide:
    """This participant's side of one call."""

    call_id: str
    kind: str
    role: str  # "caller" (makes the offer) | "callee"
    other: str  # the other party's user id
    pc: RTCPeerConnection
    inbox: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    first_frame_ms: float | None = None  # from this side's start to the first decoded remote frame
    received: dict[str, Any] = field(default_factory=dict)  # width, height, fps of the remote video
    started: float = field(default_factory=time.monotonic)


class RtcAgent:
    def __init__(self, peer: Peer, width: int = 320, height: int = 240, fps: int = 15) -> None:
        self.peer = peer
        self.video = (width, height, fps)
        self.calls: dict[str, CallSide] = {}
        self._early: dict[str, list[dict[str, Any]]] = {}  # call_id -> signals before the call connected here
        self.connected: list[CallSide] = []  # calls whose remote video played, in order
        self.failed = 0
        peer.handlers.append(self._take)

    def _take(self, m: dict[str, Any]) -> None:
        kind = m.get("type")
        if kind == "call":
            call_id = str(m.get("call_id"))
            if m.get("state") == "connected" and call_id not in self.calls:
                peer_id = str((m.get("peer") or {})["id"])
                side = self._open(call_id, str(m.get("kind")), str(m.get("role")), peer_id)
                for early in self._early.pop(call_id, []):
                    side.inbox.put_nowait(early)
            elif m.get("state") == "ended":
                self._early.pop(call_id, None)
                if call_id in self.calls:
                    asyncio.get_running_loop().create_task(self.hangup_local(call_id))
        elif kind == "rtc_signal":
            call_id = str(m.get("call_id"))
            waiting = self.calls.get(call_id)
            if waiting is not None:
                waiting.inbox.put_nowait(m)
            else:  # a caller's offer sent while it rings (or one that overtook our `call` message): held
                # until the call is connected here, so that no ICE starts before this side accepted
                self._early.setdefault(call_id, []).append(m)
                while len(self._early) > 8:
                    self._early.pop(next(iter(self._early)))

    def _open(self, call_id: str, kind: str, role: str, other: str) -> CallSide:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        side = CallSide(call_id, kind, role, other, pc)
        self.calls[call_id] = side
        pc.addTrack(CardTrack(*self.video))

        @pc.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                side.tasks.append(asyncio.get_running_loop().create_task(self._watch(side, track)))

        @pc.on("connectionstatechange")
        async def _on_state() -> None:
            if pc.connectionState == "failed" and side.first_frame_ms is None:
                self.failed += 1
                await self.peer.ask({"type": "call_report", "call_id": call_id, "state": "failed"})

        side.tasks.append(asyncio.get_running_loop().create_task(self._signalling(side)))
        return side

    async def _signalling(self, side: CallSide) -> None:
        pc = side.pc
        try:
            if side.role == "caller":
                await pc.setLocalDescription(await pc.createOffer())
                self._signal(side, "offer", sdp=pc.localDescription.sdp)
            while True:
                m = await side.inbox.get()
                if m.get("kind") == "offer":
                    await pc.setRemoteDescription(RTCSessionDescription(str(m["sdp"]), "offer"))
                    await pc.setLocalDescription(await pc.createAnswer())
                    self._signal(side, "answer", sdp=pc.localDescription.sdp)
                elif m.get("kind") == "answer" and pc.signalingState == "have-local-offer":
                    await pc.setRemoteDescription(RTCSessionDescription(str(m["sdp"]), "answer"))
                elif m.get("kind") == "candidate":
                    await self._candidate(pc, m.get("candidate"))
        except asyncio.CancelledError:
            raise
        except Exception:  # a browser peer may send what aiortc cannot take: the call fails, the sim goes on
            log.warning("signalling of call %s failed", side.call_id, exc_info=True)

    @staticmethod
    async def _candidate(pc: RTCPeerConnection, c: Any) -> None:
        text = str((c or {}).get("candidate") or "")
        if not text:
            return  # the end of the other side's candidates
        cand = candidate_from_sdp(text.split(":", 1)[1] if text.startswith("candidate:") else text)
        cand.sdpMid = c.get("sdpMid")
        cand.sdpMLineIndex = c.get("sdpMLineIndex")
        await pc.addIceCandidate(cand)

    def _signal(self, side: CallSide, kind: str, **body: Any) -> None:
        frame = {"type": "rtc_signal", "call_id": side.call_id, "to": side.other, "kind": kind}
        self.peer.send({**frame, **body})

    async def _watch(self, side: CallSide, track: MediaStreamTrack) -> None:
        """Play the remote video (decode and drop): the first frame connects the call; report after 1 s."""
        frames, first_at = 0, 0.0
        reported = False
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if not isinstance(frame, VideoFrame):
                    continue
                now = time.monotonic()
                frames += 1
                if side.first_frame_ms is None:
                    side.first_frame_ms = (now - side.started) * 1000
                    first_at = now
                    side.received = {"width": frame.width, "height": frame.height}
                    self.connected.append(side)
                elif not reported and now - first_at >= 1.0:
                    reported = True
                    side.received["fps"] = round((frames - 1) / (now - first_at))
                    report = {"type": "call_report", "call_id": side.call_id, "state": "connected"}
                    asyncio.get_running_loop().create_task(self.peer.ask({**report, **side.received}))

    async def hangup_local(self, call_id: str) -> None:
        """Close this side's peer connection (the call ended, or the sim is stopping)."""
        side = self.calls.pop(call_id, None)
        if side is None:
            return
        for task in side.tasks:
            task.cancel()
        await side.pc.close()
        await asyncio.gather(*side.tasks, return_exceptions=True)

    async def close(self) -> None:
        for call_id in list(self.calls):
            await self.hangup_local(call_id)
