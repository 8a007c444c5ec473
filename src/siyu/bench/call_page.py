# ruff: noqa: E501 - the driver is JavaScript in a string
"""The bench page of ``siyu bench call``: a minimal HTML page the bench serves itself (Playwright route on the
node's own origin, so 127.0.0.1 is a secure context and getUserMedia works) and the in-page driver that
speaks the room protocol over the room WebSocket (docs/protocol.md section 12): the callee says
`call_ready` and accepts every ring at once; the caller sends `call_request`, makes the offer once the call
is accepted, and records its marks (epoch ms, `performance.timeOrigin + performance.now()`):
request, acked, accepted, offer_sent, answer_applied, ice_connected, first_frame (the first
requestVideoFrameCallback of the remote <video>), and framesDecoded > 0 from getStats as a cross-check.
"""

from __future__ import annotations

from typing import Any

DRIVER = r"""
const now = () => performance.timeOrigin + performance.now();
const B = window.bench = { ws: null, me: null, handlers: [], pc: null, call: null, stream: null, marks: {},
  pending: [], log: [], n: 0 };
// A fresh cid for every request: the server answers a repeated cid with its first answer (a retry)
const cid = (p) => p + '-' + (++B.n);

function send(msg) { B.ws.send(JSON.stringify(msg)); }
function on(fn) { B.handlers.push(fn); }
function waitFor(pred, ms, what) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { off(); reject(new Error('timeout: ' + what)); }, ms);
    const fn = (m) => { const r = pred(m); if (r !== undefined && r !== false) { clearTimeout(t); off(); resolve(m); } };
    const off = () => { B.handlers = B.handlers.filter((h) => h !== fn); };
    B.handlers.push(fn);
  });
}
function dispatch(m) {
  if (m.type === 'call') onCall(m);
  else if (m.type === 'rtc_signal') onSignal(m);
  for (const h of [...B.handlers]) h(m);
}

B.connect = async (wsUrl, token, role, media, startKbps) => {
  B.role = role; B.startKbps = startKbps || 0;
  if (B.ws) { B.ws.onmessage = null; B.ws.close(); B.ws = null; }
  if (!B.stream) B.stream = await navigator.mediaDevices.getUserMedia(media);
  B.ws = new WebSocket(wsUrl + '?token=' + encodeURIComponent(token));
  const welcome = new Promise((resolve, reject) => {
    B.ws.onerror = () => reject(new Error('websocket error'));
    B.ws.onmessage = (ev) => {
      const f = JSON.parse(ev.data);
      const msgs = f.type === 'batch' ? f.msgs : [f];
      for (const m of msgs) {
        if (m.type === 'welcome') { B.me = m.me; resolve(m); }
        else if (m.type === 'error') reject(new Error(JSON.stringify(m)));
        dispatch(m);
      }
    };
  });
  await welcome;
  if (role === 'callee') {
    const c = cid('ready');
    send({ type: 'call_ready', ready: true, cid: c });
    const ack = await waitFor((m) => m.type === 'ack' && m.cid === c, 10000, 'call_ready ack');
    if (ack.error) throw new Error('call_ready: ' + JSON.stringify(ack.error));
  }
  return true;
};

function newPc(call) {
  const pc = new RTCPeerConnection({ iceServers: call.ice_servers || [],
    iceTransportPolicy: call.ice_transport_policy || 'all' });
  for (const t of B.stream.getTracks()) pc.addTrack(t, B.stream);
  pc.onicecandidate = (ev) => {
    if (ev.candidate) send({ type: 'rtc_signal', call_id: call.call_id, to: call.peer.id, kind: 'candidate',
      candidate: ev.candidate.toJSON() });
  };
  pc.oniceconnectionstatechange = () => {
    if ((pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed') && !B.marks.ice_connected)
      B.marks.ice_connected = now();
  };
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === 'connected' && !B.marks.dtls_connected) B.marks.dtls_connected = now();
  };
  pc.ontrack = (ev) => {
    if (ev.track.kind !== 'video') return;
    ev.track.onunmute = () => { if (!B.marks.first_packet) B.marks.first_packet = now(); };
    const v = document.getElementById('remote');
    v.srcObject = ev.streams[0] || new MediaStream([ev.track]);
    v.play().catch(() => {});
    if (v.requestVideoFrameCallback) v.requestVideoFrameCallback(() => { if (!B.marks.first_frame) B.marks.first_frame = now(); });
  };
  B.pc = pc;
  return pc;
}

async function onCall(m) {
  B.log.push([now(), 'call', m.state, m.role]);
  if (m.state === 'ended') {
    if (B.pc) { B.pc.close(); B.pc = null; }
    B.call = null;
    document.getElementById('remote').srcObject = null;
    return;
  }
  if (!B.call || B.call.call_id !== m.call_id) B.pending = [];
  B.call = m;
  if (m.role === 'callee' && m.state === 'ringing') {
    send({ type: 'call_answer', call_id: m.call_id, accept: true, cid: cid('ans') });
  } else if (m.role === 'caller' && m.state === 'connected' && !B.pc) {
    B.marks.accepted = B.marks.accepted || now();
    const pc = newPc(m);
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    send({ type: 'rtc_signal', call_id: m.call_id, to: m.peer.id, kind: 'offer', sdp: pc.localDescription.sdp });
    B.marks.offer_sent = now();
  }
}

async function onSignal(m) {
  if (!B.call || m.call_id !== B.call.call_id) return;
  if (m.kind === 'offer') {
    const pc = B.pc || newPc(B.call);
    await pc.setRemoteDescription({ type: 'offer', sdp: B.startKbps ? startBitrate(m.sdp, B.startKbps) : m.sdp });
    await flushCandidates(pc);
    await pc.setLocalDescription(await pc.createAnswer());
    send({ type: 'rtc_signal', call_id: m.call_id, to: m.from, kind: 'answer', sdp: pc.localDescription.sdp });
  } else if (m.kind === 'answer' && B.pc) {
    await B.pc.setRemoteDescription({ type: 'answer', sdp: B.startKbps ? startBitrate(m.sdp, B.startKbps) : m.sdp });
    B.marks.answer_applied = now();
    await flushCandidates(B.pc);
  } else if (m.kind === 'candidate') {
    if (B.pc && B.pc.remoteDescription) await B.pc.addIceCandidate(m.candidate).catch(() => {});
    else B.pending.push(m.candidate);
  }
}
// Diagnostic only (--start-kbps): x-google-start-bitrate on every video codec of a remote description, so
// the sender starts at that estimate instead of dropping its first frames to scale down to ~300 kbit/s.
function startBitrate(sdp, kbps) {
  const lines = sdp.split('\r\n');
  const pts = new Set();
  let video = false;
  for (const l of lines) {
    if (l.startsWith('m=')) video = l.startsWith('m=video');
    const r = video && /^a=rtpmap:(\d+) (VP8|VP9|H264|AV1)\//.exec(l);
    if (r) pts.add(r[1]);
  }
  const out = [];
  const done = new Set();
  for (const l of lines) {
    const f = /^a=fmtp:(\d+) /.exec(l);
    if (f && pts.has(f[1])) { out.push(l + ';x-google-start-bitrate=' + kbps); done.add(f[1]); continue; }
    out.push(l);
    const r = /^a=rtpmap:(\d+) /.exec(l);
    if (r && pts.has(r[1]) && !lines.some((x) => x.startsWith('a=fmtp:' + r[1] + ' '))) {
      out.push('a=fmtp:' + r[1] + ' x-google-start-bitrate=' + kbps);
    }
  }
  return out.join('\r\n');
}
async function flushCandidates(pc) {
  const c = B.pending; B.pending = [];
  for (const x of c) await pc.addIceCandidate(x).catch(() => {});
}

async function inboundVideo() {
  if (!B.pc) return null;
  const stats = await B.pc.getStats();
  let out = null;
  stats.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') out = s; });
  return out;
}

B.outbound = async () => {
  if (!B.pc) return null;
  const stats = await B.pc.getStats();
  const o = {};
  stats.forEach((s) => {
    if (s.type === 'outbound-rtp' && s.kind === 'video') {
      for (const k of ['frameWidth', 'frameHeight', 'framesPerSecond', 'framesEncoded', 'qualityLimitationReason',
        'qualityLimitationDurations', 'targetBitrate', 'encoderImplementation', 'bytesSent']) if (s[k] !== undefined) o[k] = s[k];
    } else if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
      o.availableOutgoingBitrate = s.availableOutgoingBitrate; o.currentRoundTripTime = s.currentRoundTripTime;
    }
  });
  return o;
};

B.inbound = async () => {
  const s = await inboundVideo();
  if (!s) return null;
  const keys = ['frameWidth', 'frameHeight', 'framesPerSecond', 'framesDecoded', 'framesDropped', 'freezeCount',
    'totalFreezesDuration', 'pauseCount', 'totalPausesDuration', 'jitterBufferDelay', 'jitterBufferEmittedCount',
    'packetsLost', 'packetsReceived', 'bytesReceived', 'decoderImplementation', 'keyFramesDecoded'];
  const o = {};
  for (const k of keys) if (s[k] !== undefined) o[k] = s[k];
  return o;
};

// One call: request -> first frame; returns the marks. `to` is the callee's user id.
B.callOnce = async (to, timeoutMs) => {
  B.marks = {};
  B.marks.request = now();
  const c = cid('req');
  send({ type: 'call_request', to, cid: c });
  const ack = await waitFor((m) => m.type === 'ack' && m.cid === c, timeoutMs, 'call_request ack');
  if (ack.error) throw new Error('call_request: ' + JSON.stringify(ack.error));
  B.marks.acked = now();
  const t0 = now();
  // framesDecoded > 0 from getStats, polled every 10 ms, as a cross-check of requestVideoFrameCallback
  while (!(B.marks.first_frame && B.marks.frames_decoded)) {
    if (now() - t0 > timeoutMs) throw new Error('no first frame: ' + JSON.stringify(B.marks));
    if (!B.marks.frames_decoded) {
      const s = await inboundVideo();
      if (s && s.framesDecoded > 0) B.marks.frames_decoded = now();
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return B.marks;
};

B.hangup = async (timeoutMs) => {
  if (!B.call) return;
  const id = B.call.call_id;
  const ended = waitFor((m) => m.type === 'call' && m.call_id === id && m.state === 'ended', timeoutMs, 'ended');
  send({ type: 'call_hangup', call_id: id, cid: cid('bye') });
  await ended;
};

B.idle = (timeoutMs) => B.call ? waitFor((m) => m.type === 'call' && m.state === 'ended', timeoutMs, 'idle') : true;
"""

HTML = (
    "<!doctype html><html><head><meta charset='utf-8'><title>siyu bench call</title></head><body>"
    "<video id='remote' autoplay playsinline muted width='640' height='360'></video>"
    f"<script>{DRIVER}</script></body></html>"
)


def phases_of(m: dict[str, float]) -> dict[str, float]:
    """The bench page's caller marks (epoch ms) -> the phases of one call (ms)."""
    nan = float("nan")
    return {
        "ring_accept": m["accepted"] - m["request"],
        "signalling": m["answer_applied"] - m["accepted"],
        "media": m["first_frame"] - m["answer_applied"],
        "total": m["first_frame"] - m["request"],
        "ack": m["acked"] - m["request"],
        "ice": m.get("ice_connected", nan) - m["answer_applied"],
        "dtls": m.get("dtls_connected", nan) - m["answer_applied"],
        "first_packet": m.get("first_packet", nan) - m["answer_applied"],
        "frames_decoded_total": m["frames_decoded"] - m["request"],
        "camera": nan,  # the bench page opens the camera once, before the first call
    }


class BenchPageDriver:
    """The bench page (this module) in two Playwright pages: `callee` (a ready host), `caller` (a viewer)."""

    def __init__(self, callee: Any, caller: Any, timeout_ms: int, media: dict[str, Any], start_kbps: int) -> None:
        self.callee, self.caller, self.timeout_ms = callee, caller, timeout_ms
        self.media, self.start_kbps = media, start_kbps
        self.ws_url = ""

    async def open(self, http_url: str, room: str, tokens: dict[str, str], ws_url: str) -> None:
        self.ws_url = ws_url
        for page in (self.callee, self.caller):
            await page.context.route(f"{http_url}/__bench/call", lambda route: route.fulfill(
                status=200, content_type="text/html; charset=utf-8", body=HTML))  # fmt: skip
            await page.goto(f"{http_url}/__bench/call")
        for role, page in (("callee", self.callee), ("caller", self.caller)):
            await page.evaluate("([u, t, r, m, k]) => bench.connect(u, t, r, m, k)",
                                [ws_url, tokens[role], role, self.media, self.start_kbps])  # fmt: skip

    async def as_caller(self, http_url: str, room: str, token: str, callee: str) -> None:
        """The caller page connects again as another viewer (the rate rule `call`: 10 a minute a viewer)."""
        del http_url, room, callee
        await self.caller.evaluate("([u, t, m, k]) => bench.connect(u, t, 'caller', m, k)",
                                   [self.ws_url, token, self.media, self.start_kbps])  # fmt: skip

    async def call_once(self, to: str) -> dict[str, float]:
        return phases_of(await self.caller.evaluate("([to, t]) => bench.callOnce(to, t)", [to, self.timeout_ms]))

    async def hangup(self) -> None:
        await self.caller.evaluate("(t) => bench.hangup(t)", self.timeout_ms)
        await self.callee.evaluate("(t) => bench.idle(t)", self.timeout_ms)

    async def stats(self, side: str) -> dict[str, Any] | None:
        page = self.caller if side == "inbound" else self.callee
        result: dict[str, Any] | None = await page.evaluate("bench.inbound()" if side == "inbound" else "bench.outbound()")
        return result
