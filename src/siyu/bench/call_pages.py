# ruff: noqa: E501 - the scripts are JavaScript in strings
"""``siyu bench call --driver pages``: the call driven through the real pages (viewer page /room/ROOM and
host console /host/ROOM), timed with `window.siyuRtcMarks` of `js/core/rtc.js`.

The host console turns on 接听1v1视频通话 (`#call-ready`) and, through a script added to the page, presses
接听 (`#call-accept`) as soon as a ring's `rang` mark is pushed (the automated accept). The viewer presses
视频通话 for the host in the 连线 sheet's callee list; the marks (performance.now() of the viewer page):
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

AUTO_ACCEPT_JS = r"""
window.addEventListener('siyu-rtc-mark', (e) => {
  if (e.detail && e.detail.name === 'rang') setTimeout(() => document.getElementById('call-accept').click(), 0);
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
  const m = {};
  for (const x of window.siyuRtcMarks) if (!(x.name in m)) m[x.name] = x.t;
  m.frames_decoded = decoded;
  return m;
}
"""


def phases_of_marks(m: dict[str, Any]) -> dict[str, float]:
    """rtc.js marks of the viewer page (ms) -> the phases of one call."""

    def d(a: str, b: str) -> float:
        return float(m[b] - m[a]) if m.get(a) is not None and m.get(b) is not None else float("nan")

    return {
        "ring_accept": d("requested", "accepted"), "signalling": d("accepted", "answer_received"),
        "media": d("answer_received", "first_frame"), "total": d("requested", "first_frame"),
        "ack": d("requested", "request_acked"), "ice": d("answer_received", "ice_connected"),
        "dtls": d("answer_received", "connected"), "first_packet": float("nan"),
        "frames_decoded_total": d("requested", "frames_decoded"), "camera": d("requested", "media"),
    }  # fmt: skip


class PagesDriver:
    """The real pages; `callee` is the host console, `caller` the viewer page (Playwright pages)."""

    def __init__(self, callee: Any, caller: Any, timeout_ms: int) -> None:
        self.callee, self.caller, self.timeout_ms = callee, caller, timeout_ms

    async def open(self, http_url: str, room: str, tokens: dict[str, str], ws_url: str) -> None:
        from playwright.async_api import expect

        for page in (self.callee, self.caller):
            await page.add_init_script(STATS_JS)
        await self.callee.add_init_script(AUTO_ACCEPT_JS)
        await self.callee.goto(f"{http_url}/host/{room}#token={tokens['callee']}")
        await self.caller.goto(f"{http_url}/room/{room}#token={tokens['caller']}")
        for page in (self.callee, self.caller):
            await expect(page.locator("#conn-status")).to_have_attribute("data-state", "open", timeout=30_000)
        await self.callee.evaluate("document.getElementById('call-ready').click()")
        await expect(self.caller.locator('.callee[data-user-id="host"] .callee-call')).to_be_enabled(timeout=30_000)

    async def call_once(self, to: str) -> dict[str, float]:
        return phases_of_marks(await self.caller.evaluate(CALL_JS, [to, self.timeout_ms]))

    async def hangup(self) -> None:
        await self.caller.evaluate("document.getElementById('call-hangup').click()")

    async def stats(self, side: str) -> dict[str, Any] | None:
        page = self.caller if side == "inbound" else self.callee
        result: dict[str, Any] | None = await page.evaluate("(w) => window.benchStats(w)", side)
        return result
