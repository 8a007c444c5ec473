/**
 * @module core/rtc
 * One WebRTC call (a 1v1 call or a co-host mic session) over the room connection: the RTCPeerConnection,
 * the camera and microphone, and the signalling of docs/protocol.md section 12 (`rtc_signal` offer /
 * answer / candidate frames relayed by the server between the two parties of the call only).
 *
 *   const call = new RtcCall(room, callMsg, {local: videoEl, remote: videoEl});
 *   call.on('state', (s) => ...);        // 'media' | 'connecting' | 'connected' | 'failed' | 'closed'
 *   call.on('frame', (t) => ...);        // the first remote video frame was presented
 *   call.prepare();                      // while it rings: camera, peer connection, the caller's offer
 *   call.on('prepared', () => ...);      // ready while it rings: camera on, the caller's offer sent
 *   await call.start();                  // once the call is `connected` (the server's `call` message)
 *   call.signal(msg);                    // feed it the `rtc_signal` messages of this call
 *   call.setMuted(true); call.setCamera(false); call.close();
 *
 * The caller (role "caller" in the `call` message) makes the offer; the callee answers. ICE candidates
 * trickle both ways; candidates that come before the remote description wait for it. ICE servers, the
 * transport policy (all | relay) and the video size come from the `call` message (the node's [rtc]
 * settings). Once connected, the call tells the server what was negotiated: `call_report {state:
 * "connected", width, height, fps}` from getStats (inbound-rtp video), or `{state: "failed"}`.
 *
 * Timing marks for benchmarks (siyu bench call): every step pushes `{name, t: performance.now(), call_id}`
 * onto `window.siyuRtcMarks` (an array; a bench may empty it between calls) and dispatches a
 * `siyu-rtc-mark` window event with the same object as `detail`. Names, in order:
 *   requested        the viewer sent call_request (viewer/call.js; call_id is null, then the ack's)
 *   rang             the `call` message with state ringing arrived
 *   accepted         the `call` message with state connected arrived (the callee accepted; a mic guest
 *                    gets it at once when staff accepts)
 *   media            getUserMedia resolved (camera and microphone open)
 *   offer_sent       (caller) the offer went out (while it rings, once made) | offer_received (callee,
 *                    applied once it accepted)
 *   answer_received  (caller) the answer came in      | answer_sent    (callee)
 *   ice_connected    iceConnectionState connected (or completed)
 *   connected        connectionState connected (ICE + DTLS)
 *   first_frame      the first remote video frame was presented (requestVideoFrameCallback)
 *   reported         call_report sent (with the negotiated width/height/fps)
 *   ended            the call ended (hang up, peer left, failure)
 * `window.siyuCall` is the current RtcCall (tests read `pc.connectionState` and `selectedPair()`).
 */

import { Emitter } from './emitter.js';

/** An `rtc_signal` frame may be this big (the server lets one through up to 32 KiB, an SDP up to 16 KiB). */
const MAX_SIGNAL_BYTES = 32 * 1024;

/** How long the call waits for the inbound video to reach the requested size before reporting (ms). */
const REPORT_WAIT_MS = 4000;

/** Push a timing mark (see the module comment). */
export function rtcMark(name, callId) {
  const mark = { name, t: performance.now(), call_id: callId == null ? null : callId };
  if (!Array.isArray(window.siyuRtcMarks)) window.siyuRtcMarks = [];
  window.siyuRtcMarks.push(mark);
  if (window.siyuRtcMarks.length > 2000) window.siyuRtcMarks.splice(0, 1000);
  window.dispatchEvent(new CustomEvent('siyu-rtc-mark', { detail: mark }));
  return mark;
}

/** The camera and microphone constraints of a `call` message's `video` ({width, height, fps}). */
export function mediaConstraints(video) {
  const v = video || {};
  return {
    audio: true,
    video: {
      width: { ideal: Number(v.width) || 1280 },
      height: { ideal: Number(v.height) || 720 },
      frameRate: { ideal: Number(v.fps) || 30 },
    },
  };
}

/** The RTCPeerConnection configuration of a `call` message. */
export function peerConfig(call) {
  const servers = (Array.isArray(call.ice_servers) ? call.ice_servers : [])
    .filter((s) => s && s.urls)
    .map((s) => {
      const out = { urls: s.urls };
      if (s.username) out.username = s.username;
      if (s.credential) out.credential = s.credential;
      return out;
    });
  return { iceServers: servers, iceTransportPolicy: call.ice_transport_policy === 'relay' ? 'relay' : 'all', bundlePolicy: 'max-bundle' };
}

export class RtcCall extends Emitter {
  /**
   * @param {import('./client.js').RoomClient} room
   * @param {object} call the server's `call` message (call_id, role, peer, ice_servers, video …)
   * @param {{local?: HTMLVideoElement, remote?: HTMLVideoElement}} [views]
   */
  constructor(room, call, views = {}) {
    super();
    this.room = room;
    this.call = call;
    this.id = call.call_id;
    this.caller = call.role === 'caller';
    this.peerId = call.peer ? call.peer.id : null;
    this.views = views;
    this.state = 'new';
    this.pc = null;
    this.stream = null;
    this.remoteStream = null;
    this.muted = false;
    this.cameraOff = false;
    this.firstFrameAt = null;
    this.reported = false;
    this._pending = []; // candidates waiting for the remote description
    this._early = []; // signals that came before start()
    this._held = []; // local ICE candidates gathered before going live
    this._live = false; // signals go out as they come (see _goLive)
    this.prepared = false;
    this._haveRemote = false;
    this._closed = false;
    window.siyuCall = this;
  }

  mark(name) {
    return rtcMark(name, this.id);
  }

  _setState(state) {
    if (this.state === state || this.state === 'closed') return;
    this.state = state;
    this.emit('state', state);
  }

  /** Open the camera and microphone (also used for the caller's preview while it rings). */
  async openMedia() {
    if (this.stream || this._mediaPromise) return this._mediaPromise || this.stream;
    this._setState('media');
    this._mediaPromise = (async () => {
      try {
        this.stream = await navigator.mediaDevices.getUserMedia(mediaConstraints(this.call.video));
      } catch (e) {
        console.warn('[siyu] camera/microphone unavailable, trying the microphone alone', e);
        try {
          this.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
        } catch (e2) {
          console.warn('[siyu] no microphone either: receive only', e2);
          this.stream = null;
          this.emit('nomedia', e2);
        }
      }
      if (this._closed) {
        this._stopTracks();
        return null;
      }
      this.mark('media');
      if (this.stream && this.views.local) {
        this.views.local.srcObject = this.stream;
        this.views.local.muted = true;
        this.views.local.play().catch(() => {});
      }
      this._applyToggles();
      return this.stream;
    })();
    return this._mediaPromise;
  }

  /**
   * Get ready while it rings, so that connecting starts with no set-up left: the camera and microphone, the
   * peer connection with the local tracks and, for the caller, the offer, sent at once (the callee's page
   * holds it until 接听).
   */
  prepare() {
    if (!this._preparing) this._preparing = this._prepare();
    return this._preparing;
  }

  async _prepare() {
    if (this._closed) return;
    const pc = new RTCPeerConnection(peerConfig(this.call));
    this.pc = pc;
    this._starting = true; // signals wait until the local tracks are on (the answer must carry them)
    pc.onicecandidate = (e) => {
      if (!e.candidate || !e.candidate.candidate) return;
      const c = e.candidate.toJSON();
      if (this._live) this._send('candidate', { candidate: c });
      else this._held.push(c);
    };
    pc.oniceconnectionstatechange = () => {
      const s = pc.iceConnectionState;
      if ((s === 'connected' || s === 'completed') && !this._iceMarked) {
        this._iceMarked = true;
        this.mark('ice_connected');
      }
    };
    pc.onconnectionstatechange = () => this._onConnectionState();
    pc.ontrack = (e) => this._onTrack(e);
    await this.openMedia();
    if (this._closed) return;
    if (this.stream) {
      for (const track of this.stream.getTracks()) {
        // HD by default: while the bandwidth estimate ramps up, keep the size and give up frame rate
        if (track.kind === 'video' && 'contentHint' in track) track.contentHint = 'detail';
        pc.addTrack(track, this.stream);
      }
    }
    if (this.caller) {
      const kinds = new Set(this.stream ? this.stream.getTracks().map((t) => t.kind) : []);
      for (const kind of ['audio', 'video']) if (!kinds.has(kind)) pc.addTransceiver(kind, { direction: 'recvonly' });
      await pc.setLocalDescription(await pc.createOffer()); // ICE gathering starts now, while it rings
      if (this._closed) return;
      this._goLive(); // the offer goes out while it rings: the callee has it when it answers
    }
    if (this._closed) return;
    this.prepared = true; // the camera is on the call and the caller's offer is sent
    this.emit('prepared');
  }

  /**
   * Signals go out from now on: the caller's offer (as it is now: it carries every candidate gathered so
   * far, only the later ones trickle) and the candidates held until now. The caller goes live as soon as its
   * offer is made (the server relays signals of a ringing call); the callee only once it accepted: it sets
   * no remote description and sends no candidate before (no ICE, so no address of its, before 接听).
   */
  _goLive() {
    if (this._live) return;
    this._live = true;
    const held = this._held.splice(0);
    let sdp = '';
    if (this.caller) {
      sdp = this.pc.localDescription.sdp;
      this._send('offer', { sdp });
      this.mark('offer_sent');
    }
    for (const c of held) if (!sdp.includes(c.candidate)) this._send('candidate', { candidate: c });
  }

  /** Connect: the call is accepted (state connected). The caller sends its offer; the callee waits for it. */
  async start() {
    if (this._started || this._closed) return;
    this._started = true;
    const ready = this.prepare();
    this._setState('connecting');
    await ready;
    if (this._closed || !this.pc) return;
    this._goLive();
    this._starting = false;
    const early = this._early.splice(0);
    for (const m of early) await this.signal(m);
  }

  /** An `rtc_signal` message for this call: {call_id, from, kind, sdp?, candidate?}. */
  async signal(m) {
    if (this._closed || !m || m.call_id !== this.id) return;
    if (!this.pc || this._starting) {
      this._early.push(m);
      return;
    }
    const pc = this.pc;
    try {
      if (m.kind === 'offer' && !this.caller) {
        this.mark('offer_received');
        await pc.setRemoteDescription({ type: 'offer', sdp: String(m.sdp || '') });
        await this._remoteReady();
        await pc.setLocalDescription(await pc.createAnswer());
        this._send('answer', { sdp: pc.localDescription.sdp });
        this.mark('answer_sent');
      } else if (m.kind === 'answer' && this.caller) {
        this.mark('answer_received');
        await pc.setRemoteDescription({ type: 'answer', sdp: String(m.sdp || '') });
        await this._remoteReady();
      } else if (m.kind === 'candidate' && m.candidate) {
        if (this._haveRemote) await pc.addIceCandidate(m.candidate);
        else this._pending.push(m.candidate);
      }
    } catch (e) {
      console.warn('[siyu] signalling step failed', m.kind, e);
    }
  }

  async _remoteReady() {
    this._haveRemote = true;
    const pending = this._pending.splice(0);
    for (const c of pending) {
      try {
        await this.pc.addIceCandidate(c);
      } catch (e) {
        console.warn('[siyu] bad ICE candidate', e);
      }
    }
  }

  _send(kind, body) {
    if (!this.peerId) return;
    const frame = Object.assign({ type: 'rtc_signal', call_id: this.id, to: this.peerId, kind }, body);
    this.room.request(frame, { maxBytes: MAX_SIGNAL_BYTES }).then((ack) => {
      if (!ack.ok && !this._closed) console.warn('[siyu] rtc_signal refused', kind, ack.error);
    });
  }

  _onTrack(e) {
    if (!this.remoteStream) this.remoteStream = e.streams && e.streams[0] ? e.streams[0] : new MediaStream();
    if (!this.remoteStream.getTracks().includes(e.track)) this.remoteStream.addTrack(e.track);
    const video = this.views.remote;
    if (!video) return;
    if (video.srcObject !== this.remoteStream) video.srcObject = this.remoteStream;
    video.play().catch((err) => this.emit('autoplay', err));
    if (e.track.kind === 'video' && !this._watchingFrames && 'requestVideoFrameCallback' in video) {
      this._watchingFrames = true;
      video.requestVideoFrameCallback((now, meta) => {
        if (this._closed) return;
        this.firstFrameAt = now;
        this.firstFrameMeta = { width: meta.width, height: meta.height, presentedFrames: meta.presentedFrames };
        this.mark('first_frame');
        this.emit('frame', now);
        this._report();
      });
    }
  }

  _onConnectionState() {
    const s = this.pc ? this.pc.connectionState : 'closed';
    if (s === 'connected') {
      if (this.state !== 'connected') this.mark('connected');
      this._setState('connected');
      if (!this.views.remote || !('requestVideoFrameCallback' in this.views.remote)) this._report();
    } else if (s === 'failed') {
      this._setState('failed');
      if (!this.reported) {
        this.reported = true;
        this.room.request({ type: 'call_report', call_id: this.id, state: 'failed' });
      }
    } else if (s === 'disconnected') {
      this.emit('unstable');
    }
  }

  /** What the peer connection negotiated: the inbound video's size and frame rate (getStats). */
  async negotiated() {
    const out = { width: null, height: null, fps: null };
    if (!this.pc) return out;
    const stats = await this.pc.getStats();
    stats.forEach((r) => {
      if (r.type === 'inbound-rtp' && (r.kind === 'video' || r.mediaType === 'video')) {
        if (r.frameWidth) out.width = r.frameWidth;
        if (r.frameHeight) out.height = r.frameHeight;
        if (r.framesPerSecond) out.fps = Math.round(r.framesPerSecond);
      }
    });
    return out;
  }

  /** The selected ICE candidate pair: {local, remote} candidate types ('host' | 'srflx' | 'relay' …). */
  async selectedPair() {
    if (!this.pc) return null;
    const stats = await this.pc.getStats();
    let pairId = null;
    stats.forEach((r) => {
      if (r.type === 'transport' && r.selectedCandidatePairId) pairId = r.selectedCandidatePairId;
    });
    let pair = pairId ? stats.get(pairId) : null;
    if (!pair) stats.forEach((r) => {
      if (!pair && r.type === 'candidate-pair' && r.state === 'succeeded' && r.nominated) pair = r;
    });
    if (!pair) return null;
    const local = stats.get(pair.localCandidateId);
    const remote = stats.get(pair.remoteCandidateId);
    return { local: local ? local.candidateType : null, remote: remote ? remote.candidateType : null, state: pair.state };
  }

  /**
   * Tell the server what was negotiated, once: after the first frame, when the inbound video reaches the
   * requested size (or after REPORT_WAIT_MS: what it had then) and its frame rate is measured.
   */
  async _report() {
    if (this.reported || this._reporting) return;
    this._reporting = true;
    const want = mediaConstraints(this.call.video).video;
    const until = performance.now() + REPORT_WAIT_MS;
    let got = await this.negotiated();
    while (!this._closed && performance.now() < until && (!got.fps || !got.width || got.width < want.width.ideal)) {
      await new Promise((r) => setTimeout(r, 250));
      got = await this.negotiated();
    }
    if (this._closed || this.reported) return;
    this.reported = true;
    this.negotiatedVideo = got;
    const frame = { type: 'call_report', call_id: this.id, state: 'connected' };
    for (const k of ['width', 'height', 'fps']) if (got[k]) frame[k] = got[k];
    this.room.request(frame);
    this.mark('reported');
    this.emit('negotiated', got);
  }

  _applyToggles() {
    if (!this.stream) return;
    for (const t of this.stream.getAudioTracks()) t.enabled = !this.muted;
    for (const t of this.stream.getVideoTracks()) t.enabled = !this.cameraOff;
  }

  /** Mute / unmute the microphone (the track stays: no renegotiation). */
  setMuted(muted) {
    this.muted = !!muted;
    this._applyToggles();
  }

  /** Turn the camera off / on (the peer sees black frames while it is off). */
  setCamera(on) {
    this.cameraOff = !on;
    this._applyToggles();
  }

  get hasVideo() {
    return !!(this.stream && this.stream.getVideoTracks().length);
  }

  get hasAudio() {
    return !!(this.stream && this.stream.getAudioTracks().length);
  }

  _stopTracks() {
    if (this.stream) for (const t of this.stream.getTracks()) t.stop();
  }

  /** End locally: stop the camera, close the peer connection (the server is told by the caller). */
  close() {
    if (this._closed) return;
    this._closed = true;
    this.mark('ended');
    this._stopTracks();
    if (this.pc) {
      this.pc.onicecandidate = null;
      this.pc.ontrack = null;
      this.pc.onconnectionstatechange = null;
      this.pc.close();
    }
    for (const v of [this.views.local, this.views.remote]) if (v) v.srcObject = null;
    this.state = 'closed';
    this.emit('state', 'closed');
  }
}
