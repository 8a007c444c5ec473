# ruff: noqa: E501 - the scripts are JavaScript in strings
"""``siyu bench call --driver pages``: the call driven through the real pages (viewer page /room/ROOM and
host console /host/ROOM), timed with `window.siyuRtcMarks` of `js/core/rtc.js`.

The host console turns on 接听1v1视频通话 (`#call-ready`) and, through a script added to the page, presses
接听 (`#call-accept`) when a ring's `rang` mark is pushed (the automated accept; `--answer-after MS` waits
MS first, as a person would, so that the ring hides what both pages prepare while it rings). The viewer presses
视频通话 for the host in the 连线 sheet's callee list; the marks of both pages (as epoch ms, one clock):
requested -> accepted (ring/accept) -> answer_received (signalling: camera opened while ringing, offer made,
relayed, answered, relayed) -> first_frame (ICE/DTLS/media: requestVideoFrameCallback). Between calls the
viewer hangs up (`#call-hangup`) and waits until the callee can be called again.
"""

from __future__ import annotations

from typing import Any

STATS_JS = r"""
window.benchStats = async (which) => {
  const pc = window.siyuCall && window.siyuCall.pc;
  if (!pc) return null;
  const stats = await pc.getStats();
  const o = {};
  const keys = which === 'inbound'
    ? ['frameWidth', 'frameHeight', 'framesPerSecond', 'framesDecoded', 'framesDropped', 'freezeCount',
       'totalFreezesDuration', 'pauseCount', 'totalPausesDuration', 'jitterBufferDelay', 'jitterBufferEmittedCount',
       'packetsLost', 'packetsReceived', 'bytesReceived', 'decoderImplementation', 'keyFramesDecoded']
    : ['frameWidth', 'frameHeight', 'framesPerSecond', 'framesEncoded', 'qualityLimitationReason',
       'qualityLimitationDurations', 'targetBitrate', 'encoderImplementation', 'bytesSent'];
  const type = which === 'inbound' ? 'inbound-rtp' : 'outbound-rtp';
  stats.forEach((s) => {
    if (s.type === type && s.kind === 'video') for (const k of keys) if (s[k] !== undefined) o[k] = s[k];
  });
  return o;
};
"""

# presses 接听 ANSWER_AFTER ms after the ring (0: at once; a person takes a second or more)
AUTO_ACCEPT_JS = r"""
window.addEventListener('siyu-rtc-mark', (e) => {
  if (e.detail && e.detail.name === 'rang') setTimeout(() => document.getElementById('call-accept').click(), ANSWER_AFTER);
});
"""

CALL_JS = r"""
async ([to, timeoutMs]) => {
  const now = () => performance.now();
  const t0 = now();
  const sel = `.callee[data-user-id="${to}"] .callee-call`;
  while (true) {  // the callee listed and callable (not busy, our previous call screen gone)
    const b = document.querySelector(sel);
    if (b && !b.disabled) break;
    if (now() - t0 > timeoutMs) throw new Error('callee not callable');
    await new Promise((r) => setTimeout(r, 20));
  }
  window.siyuRtcMarks = [];
  const first = new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no first frame: ' + JSON.stringify(window.siyuRtcMarks))), timeoutMs);
    const fn = (e) => {
      if (e.detail.name === 'first_frame') { clearTimeout(t); window.removeEventListener('siyu-rtc-mark', fn); resolve(); }
    };
    window.addEventListener('siyu-rtc-mark', fn);
  });
  document.querySelector(sel).click();
  let decoded = null;  // getStats framesDecoded > 0, polled every 10 ms: a cross-check of first_frame
  const poll = (async () => {
    while (decoded === null && now() - t0 < timeoutMs) {
      const pc = window.siyuCall && window.siyuCall.pc;
      if (pc) {
        const st = await pc.getStats();
        st.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > 0 && decoded === null) decoded = now(); });
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  await first;
  await poll;
  const m = {};  // epoch ms (performance.timeOrigin + t): comparable with the callee page's marks
  for (const x of window.siyuRtcMarks) if (!(x.name in m)) m[x.name] = performance.timeOrigin + x.t;
  m.frames_decoded = decoded === null ? null : performance.timeOrigin + decoded;
  return m;
}
"""

# The callee page's marks of the last call (epoch ms), then emptied for the next one.
CALLEE_MARKS_JS = r"""
() => {
  const m = {};
  for (const x of (window.siyuRtcMarks || [])) if (!(x.name in m)) m[x.name] = performance.timeOrigin + x.t;
  window.siyuRtcMarks = [];
  return m;
}
"""


def phases_of_marks(m: dict[str, Any], c: dict[str, Any] | None = None) -> dict[str, float]:
    """rtc.js marks of the viewer page M and of the host console C (epoch ms) -> the phases of one call."""
    c = c or {}

    def d(a: str, b: str, x: dict[str, Any] = m, y: dict[str, Any] = m) -> float:
        return float(y[b] - x[a]) if x.get(a) is not None and y.get(b) is not None else float("nan")

    return {
        "ring_accept": d("requested", "accepted"), "signalling": d("accepted", "answer_received"),
        "media": d("answer_received", "first_frame"), "total": d("requested", "first_frame"),
        "connect": d("accepted", "first_frame"),  # what the people wait for once the callee accepted
        "ack": d("requested", "request_acked"), "ice": d("answer_received", "ice_connected"),
        "dtls": d("answer_received", "connected"), "first_packet": float("nan"),
        "frames_decoded_total": d("requested", "frames_decoded"), "camera": d("requested", "media"),
        # the split of signalling across both pages
        "caller_offer": d("accepted", "offer_sent"),  # caller: its camera (opened while ringing) + createOffer
        "ring_to_callee": d("requested", "rang", m, c),  # request -> the ring on the console
        "callee_accept": d("rang", "accepted", c, c),  # ring -> accept pressed -> connected message back
        "callee_media": d("accepted", "media", c, c),  # callee: getUserMedia after the accept
        "offer_relay": d("offer_sent", "offer_received", m, c),
        "callee_answer": d("offer_received", "answer_sent", c, c),
        "answer_relay": d("answer_sent", "answer_received", c, m),
    }  # fmt: skip


class PagesDriver:
    """The real pages; `callee` is the host console, `caller` the viewer page (Playwright pages)."""

    def __init__(self, callee: Any, caller: Any, timeout_ms: int, answer_after_ms: int = 0) -> None:
        self.callee, self.caller, self.timeout_ms = callee, caller, timeout_ms
        self.answer_after_ms = answer_after_ms

    async def open(self, http_url: str, room: str, tokens: dict[str, str], ws_url: str) -> None:
        from playwright.async_api import expect

        for page in (self.callee, self.caller):
            await page.add_init_script(STATS_JS)
        await self.callee.add_init_script(AUTO_ACCEPT_JS.replace("ANSWER_AFTER", str(int(self.answer_after_ms))))
        await self.callee.goto(f"{http_url}/host/{room}#token={tokens['callee']}")
        await self.caller.goto(f"{http_url}/room/{room}#token={tokens['caller']}")
        for page in (self.callee, self.caller):
            await expect(page.locator("#conn-status")).to_have_attribute("data-state", "open", timeout=30_000)
        await self.callee.evaluate("document.getElementById('call-ready').click()")
        await expect(self.caller.locator('.callee[data-user-id="host"] .callee-call')).to_be_enabled(timeout=30_000)

    async def as_caller(self, http_url: str, room: str, token: str, callee: str) -> None:
        """The viewer page again with another viewer's token (the rate rule `call`: 10 a minute a viewer)."""
        from playwright.async_api import expect

        await self.caller.goto("about:blank")
        await self.caller.goto(f"{http_url}/room/{room}#token={token}")
        await expect(self.caller.locator("#conn-status")).to_have_attribute("data-state", "open", timeout=30_000)
        await expect(self.caller.locator(f'.callee[data-user-id="{callee}"] .callee-call')).to_be_enabled(
            timeout=30_000
        )

    async def call_once(self, to: str) -> dict[str, float]:
        await self.callee.evaluate(CALLEE_MARKS_JS)
        m = await self.caller.evaluate(CALL_JS, [to, self.timeout_ms])
        return phases_of_marks(m, await self.callee.evaluate(CALLEE_MARKS_JS))

    async def hangup(self) -> None:
        await self.caller.evaluate("document.getElementById('call-hangup').click()")

    async def stats(self, side: str) -> dict[str, Any] | None:
        page = self.caller if side == "inbound" else self.callee
        result: dict[str, Any] | None = await page.evaluate("(w) => window.benchStats(w)", side)
        return result
