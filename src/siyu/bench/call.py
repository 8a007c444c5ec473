"""``siyu bench call``: 1v1 call set-up, viewer's request -> first remote video frame, against a plain
WebRTC baseline in the same run.

Baseline first (two aiortc peers in this process, `call_baseline`), then siyu: an in-process node with the
demo room, Debian Chromium through Playwright with fake media devices, two pages (each in its own browser
context): a ready staff member (the callee, accepting every ring at once) and a viewer (the caller) who
requests CALLS calls one after the other; each call is hung up before the next; the viewer changes every
CALLS_PER_VIEWER calls (the rate rule `call`: 10 rings a minute per viewer). Per call, from the caller's
marks (`call_page`): ring/accept (call_request sent -> the `call` "connected" message), signalling (accepted
-> the answer applied: offer made, relayed, answered, relayed), ICE/DTLS/media (answer applied -> the first
remote frame, requestVideoFrameCallback), total. Then one call held HOLD seconds: the viewer's inbound-rtp
video (resolution, fps, freezes) sampled every second. With `delay_ms` (--delay), the media is relayed by a
coturn and the room WebSocket proxied, both with emulated delay (`call_delay`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import statistics
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from siyu.auth import Role
from siyu.bench.call_baseline import run_baseline
from siyu.bench.call_delay import delay_note, delayed_paths, ws_proxy
from siyu.bench.call_page import BenchPageDriver
from siyu.bench.call_pages import PagesDriver
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
DETAIL = ("ack", "ice", "dtls", "first_packet", "frames_decoded_total", "camera")  # camera: request -> open
TARGET_P50_MS = 250.0
CALLS_PER_VIEWER = 5  # the rate rule `call` lets a viewer ring 10 times a minute: the bench changes viewer
Progress = Callable[[str, int, int], None]


def summary(values: list[float]) -> dict[str, float | int]:
    s = sorted(values)
    if not s:
        return {"count": 0}

    def pct(q: float) -> float:
        return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]

    return {"count": len(s), "p50_ms": pct(0.5), "p95_ms": pct(0.95), "min_ms": s[0], "max_ms": s[-1],
            "mean_ms": statistics.fmean(s)}  # fmt: skip


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
    driver: str = "pages"  # "pages": the viewer page and the host console; "bench": call_page.py
    emulated_delay_ms: int = 0  # --delay: user-space proxies (call_delay.py), not netem
    answer_after_ms: int = 0  # --answer-after: the automated accept waits this long after the ring (pages)
    delay_note: str = ""
    load_avg: list[float] = field(default_factory=list)  # os.getloadavg() before and after (1 min, 5 min)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@contextlib.asynccontextmanager
async def _pages(
    fps: int = 30, loopback: bool = False, bypass_csp: bool = False
) -> AsyncIterator[tuple[Any, Any]]:
    """Chromium with fake media devices at FPS and two pages, each in its own browser context."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, args=[
                *CHROMIUM_ARGS, f"--use-fake-device-for-media-stream=fps={fps}",
                *(["--allow-loopback-in-peer-connection"] if loopback else []),
            ],
        )  # fmt: skip
        try:
            pages = []
            for _ in range(2):
                ctx = await browser.new_context(
                    permissions=["camera", "microphone"], bypass_csp=bypass_csp
                )  # bypass_csp: --delay only (the pages' CSP allows the node's own WebSocket port)
                pages.append(await ctx.new_page())
            yield pages[0], pages[1]
        finally:
            await browser.close()


async def _hold(driver: Any, callee_id: str, seconds: float) -> dict[str, Any]:
    """One call held SECONDS: the viewer's inbound video sampled every second, then the callee's sender."""
    set_up = await driver.call_once(callee_id)
    samples: list[dict[str, Any]] = []
    sender: dict[str, Any] | None = None
    began = time.perf_counter()
    for k in range(1, int(seconds) + 1):
        await asyncio.sleep(max(0.0, began + k - time.perf_counter()))
        s = await driver.stats("inbound")
        if s:
            samples.append(s)
    sender = await driver.stats("outbound")
    await driver.hangup()
    last = samples[-1] if samples else {}
    fps = [float(s["framesPerSecond"]) for s in samples if s.get("framesPerSecond") is not None]
    sizes = sorted({f"{s.get('frameWidth')}x{s.get('frameHeight')}" for s in samples})
    return {
        "seconds": seconds, "set_up_ms": set_up["total"], "final": last, "resolutions_seen": sizes,
        "fps_min": min(fps, default=None), "fps_median": statistics.median(fps) if fps else None,
        "fps_max": max(fps, default=None), "callee_sender": sender, "samples": samples,
    }  # fmt: skip


def pages_ready() -> bool:
    """True when the real pages carry the call (js/core/rtc.js is in the static files)."""
    from importlib import resources

    return resources.files("siyu.web").joinpath("static/js/core/rtc.js").is_file()


async def run_siyu(
    calls: int, hold: float, width: int, height: int, fps: int, timeout_s: float, start_kbps: int = 0,
    loopback: bool = False, driver: str = "pages", on_progress: Progress | None = None, delay_ms: int = 0,
    answer_after_ms: int = 0,
) -> tuple[dict[str, Any], dict[str, Any] | None, list[str]]:  # fmt: skip
    timeout_ms = int(timeout_s * 1000)
    media = {"audio": True, "video": {"width": width, "height": height, "frameRate": fps}}
    failures: list[str] = []
    per_call: list[dict[str, float]] = []
    async with contextlib.AsyncExitStack() as stack:
        delayed = await stack.enter_async_context(delayed_paths(delay_ms)) if delay_ms else None
        rtc = {"rtc": delayed.rtc} if delayed else {}
        node = await stack.enter_async_context(demo_node("call", None, **rtc))
        ws_url = node.ws_url("demo")
        pages = _pages(fps, loopback, bypass_csp=delayed is not None)
        callee, caller = await stack.enter_async_context(pages)
        if delayed:  # the room WebSocket through the delaying TCP proxy: the pages learn its port
            port = await stack.enter_async_context(ws_proxy(node.gateway.port, delay_ms))
            ws_url = ws_url.replace(f":{node.gateway.port}/", f":{port}/")
            body = json.dumps({"ws_port": port, "ws_path": "/ws/rooms/{room_id}", "protocol": 1})
            for page in (callee, caller):
                await page.context.route(f"{node.http_url}/api/gateway", lambda route: route.fulfill(
                    status=200, content_type="application/json", body=body))  # fmt: skip
        tokens = {
            "callee": node.signer.issue(room="demo", user="host", role=Role.HOST, nickname="主播"),
            "caller": node.signer.issue(room="demo", user="v1", role=Role.VIEWER, nickname="观众", level=3),
        }
        d: Any = (PagesDriver(callee, caller, timeout_ms, answer_after_ms) if driver == "pages"
                  else BenchPageDriver(callee, caller, timeout_ms, media, start_kbps))  # fmt: skip
        await d.open(node.http_url, "demo", tokens, ws_url)

        async def next_viewer(k: int) -> None:  # viewer v<k>: at most CALLS_PER_VIEWER calls each
            user = f"v{k}"
            token = node.signer.issue(room="demo", user=user, role=Role.VIEWER, nickname=f"观众{k}", level=3)
            await d.as_caller(node.http_url, "demo", token, "host")

        for i in range(calls):
            if i and i % CALLS_PER_VIEWER == 0:
                await next_viewer(1 + i // CALLS_PER_VIEWER)
            try:
                per_call.append(await d.call_once("host"))
            except Exception as exc:  # noqa: BLE001 - a failed call is a result, not the end of the run
                failures.append(f"call {i}: {str(exc).splitlines()[0][:300]}")
            with contextlib.suppress(Exception):
                await d.hangup()
            if on_progress:
                on_progress("calls", i + 1, calls)
        if hold > 0:
            await next_viewer(2 + calls // CALLS_PER_VIEWER)
        held = await _hold(d, "host", hold) if hold > 0 else None
    keys = [*PHASES, *DETAIL, *(k for c in per_call[:1] for k in c if k not in PHASES and k not in DETAIL)]
    siyu: dict[str, Any] = {k: summary([c[k] for c in per_call if k in c and c[k] == c[k]]) for k in keys}
    siyu["per_call"] = per_call
    return siyu, held, failures


async def run_call_bench(
    calls: int = 30, hold: float = 30.0, width: int = 1280, height: int = 720, fps: int = 30,
    baseline_only: bool = False, delay_ms: int = 0, command: str = "", timeout_s: float = 30.0,
    start_kbps: int = 0, in_netns: bool = False, driver: str | None = None,
    on_progress: Progress | None = None, emulated_delay_ms: int = 0, answer_after_ms: int = 0,
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
        baseline=baseline, driver=driver or ("pages" if pages_ready() else "bench"),
        answer_after_ms=answer_after_ms,
    )  # fmt: skip
    result.load_avg = [round(x, 2) for x in os.getloadavg()[:2]]
    if emulated_delay_ms:
        result.emulated_delay_ms = emulated_delay_ms
        result.delay_note = delay_note(emulated_delay_ms)
    if not baseline_only:
        result.siyu, result.hold, result.failures = await run_siyu(
            calls, hold, width, height, fps, timeout_s, start_kbps, loopback=delay_ms > 0 or in_netns,
            driver=result.driver, on_progress=on_progress, delay_ms=emulated_delay_ms,
            answer_after_ms=answer_after_ms,
        )
        p50 = result.siyu["total"].get("p50_ms")
        result.target_met = p50 is not None and p50 <= TARGET_P50_MS
    result.load_avg += [round(x, 2) for x in os.getloadavg()[:2]]
    return result
