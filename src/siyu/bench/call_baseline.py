"""The baseline of ``siyu bench call``: two aiortc peers on loopback, no siyu.

Both peers live in this process (`RTCConfiguration(iceServers=[])`: host candidates only, nothing looks
outside). The caller adds a video track producing WIDTH x HEIGHT frames at FPS (a moving test pattern, so
the encoder has real work); the offer and the answer are handed over directly (aiortc gathers every
candidate before `setLocalDescription` returns, so there is no trickle). Timed: `createOffer` on the caller
-> the first frame `track.recv()` returns on the callee (decoded by aiortc's software VP8). The split:
signalling (createOffer -> the answer applied on the caller), media (answer applied -> first frame: ICE,
DTLS, SRTP, the first key frame encoded, sent and decoded).
"""

from __future__ import annotations

import asyncio
import fractions
import time
from dataclasses import asdict, dataclass
from typing import Any

import av
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, VideoStreamTrack

_CLOCK = 90_000


class PatternTrack(VideoStreamTrack):
    """A WIDTH x HEIGHT test pattern at FPS whose bars move every frame (not a still image)."""

    def __init__(self, width: int, height: int, fps: int) -> None:
        super().__init__()
        self.width, self.height, self.fps = width, height, fps
        ramp = bytes(x * 255 // max(1, width - 1) for x in range(width))
        self._ramp = ramp + ramp  # a window of `width` bytes slides over it: moving bars
        self._chroma = bytes([128])
        self._n = 0
        self._began: float | None = None

    async def recv(self) -> av.VideoFrame:
        if self._began is None:
            self._began = time.perf_counter()
        else:  # pace at FPS from the first frame on
            due = self._began + self._n / self.fps
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        off = (self._n * 8) % self.width
        for i, plane in enumerate(frame.planes):
            rows = self.height if i == 0 else (self.height + 1) // 2
            if i == 0:
                row = self._ramp[off : off + self.width]
            else:
                row = self._chroma * ((self.width + 1) // 2)
            plane.update((row + bytes(plane.line_size - len(row))) * rows)
        frame.pts = self._n * (_CLOCK // self.fps)
        frame.time_base = fractions.Fraction(1, _CLOCK)
        self._n += 1
        return frame


@dataclass(slots=True)
class BaselineCall:
    total_ms: float  # createOffer -> first decoded frame on the callee
    signalling_ms: float  # createOffer -> the answer applied on the caller
    media_ms: float  # answer applied -> first decoded frame
    width: int
    height: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def one_call(
    width: int = 1280, height: int = 720, fps: int = 30, timeout: float = 30.0
) -> BaselineCall:
    """One call between two fresh peer connections; both are closed on return."""
    caller = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    callee = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    got: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()

    @callee.on("track")
    def _on_track(track: MediaStreamTrack) -> None:
        if track.kind == "video" and not got.done():
            got.set_result(track)

    try:
        caller.addTrack(PatternTrack(width, height, fps))
        t0 = time.perf_counter()
        offer = await caller.createOffer()
        await caller.setLocalDescription(offer)
        await callee.setRemoteDescription(caller.localDescription)
        answer = await callee.createAnswer()
        await callee.setLocalDescription(answer)
        await caller.setRemoteDescription(callee.localDescription)
        t_answer = time.perf_counter()
        track = await asyncio.wait_for(got, timeout)
        frame = await asyncio.wait_for(track.recv(), timeout)
        assert isinstance(frame, av.VideoFrame)
        t_frame = time.perf_counter()
        return BaselineCall(
            total_ms=(t_frame - t0) * 1000, signalling_ms=(t_answer - t0) * 1000,
            media_ms=(t_frame - t_answer) * 1000, width=int(frame.width), height=int(frame.height),
        )  # fmt: skip
    finally:
        await caller.close()
        await callee.close()


async def run_baseline(calls: int, width: int = 1280, height: int = 720, fps: int = 30) -> list[BaselineCall]:
    """CALLS calls one after the other (each with fresh peer connections)."""
    return [await one_call(width, height, fps) for _ in range(calls)]


if __name__ == "__main__":  # a quick look: python -m siyu.bench.call_baseline [calls] [width] [height]
    import sys

    n, w, h = (int(a) for a in (sys.argv[1:] + ["5", "1280", "720"][len(sys.argv) - 1 :])[:3])
    for c in asyncio.run(run_baseline(n, w, h)):
        print(c)  # noqa: T201
