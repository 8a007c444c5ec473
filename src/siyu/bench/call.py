"""``siyu bench call``: 1v1 call set-up, viewer's request -> first remote video frame, against a plain
WebRTC baseline in the same run.

Baseline first (two aiortc peers in this process, `call_baseline`), then siyu: an in-process node with the
demo room, Debian Chromium through Playwright with fake media devices, two pages (each in its own browser
context): a ready staff member (the callee, accepting every ring at once) and a viewer (the caller) who
requests CALLS calls one after the other; each call is hung up before the next. Per call, from the caller's
marks (`call_page`): ring/accept (call_request sent -> the `call` "connected" message), signalling (accepted
-> the answer applied: offer made, relayed, answered, relayed), ICE/DTLS/media (answer applied -> the first
remote frame, requestVideoFrameCallback), total. Then one call held HOLD seconds: the viewer's inbound-rtp
video (resolution, fps, freezes) sampled every second.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import statistics
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from siyu.auth import Role
from siyu.bench.call_baseline import run_baseline
from siyu.bench.call_page import HTML
from siyu.bench.claims import demo_node
from siyu.bench.harness import machine

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required", "--disable-renderer-backgrounding",
    "--disable-background-timer-throttling", "--disable-backgrounding-occluded-windows",
    "--disable-features=LocalNetworkAccessChecks",
]  # fmt: skip
PHASES = ("ring_accept", "signalling", "media", "total")
# ice, dtls, first_packet: from the answer applied; frames_decoded_total: request -> framesDecoded > 0
DETAIL = ("ack", "ice", "dtls", "first_packet", "frames_decoded_total")
TARGET_P50_MS = 250.0
Progress = Callable[[str, int, int], None]


def summary(values: list[float]) -> dict[str, float | int]:
    s = sorted(values)
    if not s:
        return {"count": 0}

    def pct(q: float) -> float:
        return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]

    return {"count": len(s), "p50_ms": pct(0.5), "p95_ms": pct(0.95), "min_ms": s[0], "max_ms": s[-1],
            "mean_ms": statistics.fmean(s)}  # fmt: skip


def phases_of(m: dict[str, float]) -> dict[str, float]:
    """The caller's marks (epoch ms) -> the phases of one call (ms)."""
    return {
        "ring_accept": m["accepted"] - m["request"],
        "signalling": m["answer_applied"] - m["accepted"],
        "media": m["first_frame"] - m["answer_applied"],
        "total": m["first_frame"] - m["request"],
        "ack": m["acked"] - m["request"],
        "ice": m.get("ice_connected", float("nan")) - m["answer_applied"],
        "dtls": m.get("dtls_connected", float("nan")) - m["answer_applied"],
        "first_packet": m.get("first_packet", float("nan")) - m["answer_applied"],
        "frames_decoded_total": m["frames_decoded"] - m["request"],
    }


@dataclass(slots=True)
class CallBenchResult:
    machine: str
    nproc: int
    command: str
    calls: int
    video: dict[str, int]
    delay_ms: int  # added one-way delay (0: plain loopback)
    start_kbps: int  # diagnostic x-google-start-bitrate (0: Chrome's default)
    baseline: dict[str, Any]
    siyu: dict[str, Any] = field(default_factory=dict)
    hold: dict[str, Any] | None = None
    failures: list[str] = field(default_factory=list)
    target_p50_ms: float = TARGET_P50_MS
    target_met: bool | None = None
    driver: str = "bench page (call_page.py) over the room WebSocket"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@contextlib.asynccontextmanager
async def _pages(http_url: str, fps: int = 30, loopback: bool = False) -> AsyncIterator[tuple[Any, Any]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, args=[
                *CHROMIUM_ARGS, f"--use-fake-device-for-media-stream=fps={fps}",
                *(["--allow-loopback-in-peer-connection"] if loopback else []),
            ],
        )
        try:
            pages = []
            for _ in range(2):
                ctx = await browser.new_context(permissions=["camera", "microphone"])
                await ctx.route(f"{http_url}/__bench/call", lambda route: route.fulfill(
                    status=200, content_type="text/html; charset=utf-8", body=HTML))  # fmt: skip
                page = await ctx.new_page()
                await page.goto(f"{http_url}/__bench/call")
                pages.append(page)
            yield pages[0], pages[1]
        finally:
            await browser.close()


async def _hold(caller: Any, callee: Any, callee_id: str, seconds: float, timeout_ms: int) -> dict[str, Any]:
    """One call held SECONDS; the viewer's inbound video sampled every second."""
    marks = await caller.evaluate("([to, t]) => bench.callOnce(to, t)", [callee_id, timeout_ms])
    samples: list[dict[str, Any]] = []
    sender: dict[str, Any] | None = None
    began = time.perf_counter()
    for k in range(1, int(seconds) + 1):
        await asyncio.sleep(max(0.0, began + k - time.perf_counter()))
        s = await caller.evaluate("bench.inbound()")
        if s:
            samples.append(s)
        sender = await callee.evaluate("bench.outbound()")
    await caller.evaluate("(t) => bench.hangup(t)", timeout_ms)
    last = samples[-1] if samples else {}
    fps = [float(s["framesPerSecond"]) for s in samples if s.get("framesPerSecond") is not None]
    sizes = sorted({f"{s.get('frameWidth')}x{s.get('frameHeight')}" for s in samples})
    return {
        "seconds": seconds, "set_up_ms": phases_of(marks)["total"], "final": last, "resolutions_seen": sizes,
        "fps_min": min(fps, default=None), "fps_median": statistics.median(fps) if fps else None,
        "fps_max": max(fps, default=None), "callee_sender": sender, "samples": samples,
    }  # fmt: skip


async def run_siyu(
    calls: int, hold: float, width: int, height: int, fps: int, timeout_s: float, start_kbps: int = 0,
    loopback: bool = False, on_progress: Progress | None = None,
) -> tuple[dict[str, Any], dict[str, Any] | None, list[str]]:  # fmt: skip
    timeout_ms = int(timeout_s * 1000)
    media = {"audio": True, "video": {"width": width, "height": height, "frameRate": fps}}
    failures: list[str] = []
    per_call: list[dict[str, float]] = []
    async with demo_node("call", None) as node, _pages(node.http_url, fps, loopback) as (callee, caller):
        tokens = {
            "callee": node.signer.issue(room="demo", user="host", role=Role.HOST, nickname="主播"),
            "caller": node.signer.issue(room="demo", user="v1", role=Role.VIEWER, nickname="观众", level=3),
        }
        ws = node.ws_url("demo")
        for role, page in (("callee", callee), ("caller", caller)):
            await page.evaluate("([u, t, r, m, k]) => bench.connect(u, t, r, m, k)",
                                [ws, tokens[role], role, media, start_kbps])
        for i in range(calls):
            try:
                marks = await caller.evaluate("([to, t]) => bench.callOnce(to, t)", ["host", timeout_ms])
                per_call.append(phases_of(marks))
            except Exception as exc:  # noqa: BLE001 - a failed call is a result, not the end of the run
                failures.append(f"call {i}: {str(exc).splitlines()[0][:300]}")
            with contextlib.suppress(Exception):
                await caller.evaluate("(t) => bench.hangup(t)", timeout_ms)
                await callee.evaluate("(t) => bench.idle(t)", timeout_ms)
            if on_progress:
                on_progress("calls", i + 1, calls)
        held = await _hold(caller, callee, "host", hold, timeout_ms) if hold > 0 else None
    siyu: dict[str, Any] = {k: summary([c[k] for c in per_call]) for k in (*PHASES, *DETAIL)}
    siyu["per_call"] = per_call
    return siyu, held, failures


async def run_call_bench(
    calls: int = 30, hold: float = 30.0, width: int = 1280, height: int = 720, fps: int = 30,
    baseline_only: bool = False, delay_ms: int = 0, command: str = "", timeout_s: float = 30.0,
    start_kbps: int = 0, in_netns: bool = False, on_progress: Progress | None = None,
) -> CallBenchResult:  # fmt: skip
    base = await run_baseline(calls, width, height, fps)
    if on_progress:
        on_progress("baseline", calls, calls)
    baseline: dict[str, Any] = {
        k: summary([getattr(c, f"{k}_ms") for c in base]) for k in ("signalling", "media", "total")
    }
    baseline["resolution"] = sorted({f"{c.width}x{c.height}" for c in base})
    result = CallBenchResult(
        machine=machine(), nproc=os.cpu_count() or 0, command=command, calls=calls,
        video={"width": width, "height": height, "fps": fps}, delay_ms=delay_ms, start_kbps=start_kbps,
        baseline=baseline,
    )  # fmt: skip
    if not baseline_only:
        result.siyu, result.hold, result.failures = await run_siyu(
            calls, hold, width, height, fps, timeout_s, start_kbps, loopback=delay_ms > 0 or in_netns,
            on_progress=on_progress,
        )
        p50 = result.siyu["total"].get("p50_ms")
        result.target_met = p50 is not None and p50 <= TARGET_P50_MS
    return result
