/**
 * @module ui/call-screen
 * The call screen the viewer page and the host console share, for a 1v1 call (kind "call") and a co-host
 * mic session (kind "mic"): the remote video (full screen on a phone, a floating window on the console),
 * the local preview, the peer's name, the state (呼叫中 / 邀请你视频通话 / 连接中 / 通话中 00:12 / 连麦中),
 * 静音 / 关闭摄像头 toggles and 挂断; while a call rings for the callee, 接听 / 拒绝.
 * Follows the personal `call` messages and feeds `rtc_signal` to the call's RtcCall (core/rtc.js).
 *
 *   const calls = installCallScreen(ctx);
 *   calls.current          // {msg, rtc} of the call on screen, or null
 *   calls.on('change', (cur) => ...)  // a call started, changed state or ended
 */

import { h } from './dom.js';
import { userBadge } from './badges.js';
import { toast } from './toast.js';
import { serverClock } from '../core/clock.js';
import { fmtLeft } from './countdown.js';
import { Emitter } from '../core/emitter.js';
import { RtcCall, rtcMark } from '../core/rtc.js';

/** Why a call ended, as the user reads it. */
const ENDED = {
  declined: '对方已拒绝',
  timeout: '无人接听',
  hangup: '通话已结束',
  cancelled: '对方已取消',
  left: '对方已离开',
  busy: '对方忙线中',
  lost: '连接已断开',
  max_duration: '已达通话最长时长',
  ended_by_staff: '主播已结束连麦',
};

function endedText(msg, mine) {
  if (mine) return msg.kind === 'mic' ? '连麦已结束' : '通话已结束';
  if (msg.kind === 'mic' && (msg.reason === 'hangup' || !msg.reason)) return '连麦已结束';
  return ENDED[msg.reason] || '通话已结束';
}

/** @param {object} ctx the page (viewer.js or host.js) */
export function installCallScreen(ctx) {
  const { room } = ctx;
  const clock = serverClock(room);
  const api = new Emitter();
  api.current = null;
  // call_id -> signals that came before the call message or, for a callee, while it rings: the caller's
  // offer is applied only once this side accepted (no ICE, so no address of this side, before 接听)
  const early = new Map();
  let ticker = null;
  let hideTimer = null;

  // --- elements ---------------------------------------------------------------------------------
  const remote = h('video', { id: 'call-remote', class: 'call-remote', autoplay: true, playsinline: true });
  const local = h('video', { id: 'call-local', class: 'call-local', autoplay: true, playsinline: true });
  local.muted = true;
  // while it rings the callee's camera is already open (the call is prepared): say that nothing is sent yet
  const localNote = h('small', { id: 'call-local-note', class: 'call-local-note' }, '接听前对方看不到你');
  const avatar = h('div', { class: 'call-avatar', 'aria-hidden': 'true' });
  const who = h('div', { id: 'call-peer', class: 'call-peer-name' });
  const status = h('div', { id: 'call-status', class: 'call-status', role: 'status', 'aria-live': 'polite' });
  const kindTag = h('span', { class: 'call-kind' });
  const mute = h('button', { id: 'call-mute', class: 'call-btn', type: 'button', 'aria-pressed': 'false' },
    h('span', { class: 'call-icon call-icon-mic', 'aria-hidden': 'true' }), h('span', { class: 'call-btn-label' }, '静音'));
  const camera = h('button', { id: 'call-camera', class: 'call-btn', type: 'button', 'aria-pressed': 'false' },
    h('span', { class: 'call-icon call-icon-cam', 'aria-hidden': 'true' }), h('span', { class: 'call-btn-label' }, '关闭摄像头'));
  const hangup = h('button', { id: 'call-hangup', class: 'call-btn call-hangup', type: 'button' },
    h('span', { class: 'call-icon call-icon-end', 'aria-hidden': 'true' }), h('span', { class: 'call-btn-label' }, '挂断'));
  const accept = h('button', { id: 'call-accept', class: 'call-btn call-accept', type: 'button' },
    h('span', { class: 'call-icon call-icon-pick', 'aria-hidden': 'true' }), h('span', { class: 'call-btn-label' }, '接听'));
  const decline = h('button', { id: 'call-decline', class: 'call-btn call-hangup', type: 'button' },
    h('span', { class: 'call-icon call-icon-end', 'aria-hidden': 'true' }), h('span', { class: 'call-btn-label' }, '拒绝'));
  const controls = h('div', { class: 'call-controls' }, mute, camera, hangup);
  const incoming = h('div', { class: 'call-incoming' }, decline, accept);
  const screen = h('div', { id: 'call-screen', class: 'call-screen', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'call-peer', hidden: true },
    remote,
    h('div', { class: 'call-shade', 'aria-hidden': 'true' }),
    h('header', { class: 'call-head' }, avatar, h('div', { class: 'call-head-text' }, h('div', { class: 'call-head-line' }, kindTag, who), status)),
    local,
    localNote,
    h('footer', { class: 'call-foot' }, incoming, controls));
  (document.getElementById('app') || document.body).appendChild(screen);

  // --- drawing ----------------------------------------------------------------------------------
  function phase(cur) {
    if (!cur) return 'idle';
    if (cur.ended) return 'ended';
    if (cur.msg.state === 'ringing') return cur.msg.role === 'callee' ? 'incoming' : 'ringing';
    if (cur.rtc && cur.rtc.state === 'connected') return 'connected';
    return 'connecting';
  }

  function draw() {
    const cur = api.current;
    if (!cur) {
      screen.hidden = true;
      return;
    }
    const p = phase(cur);
    const m = cur.msg;
    screen.hidden = false;
    screen.dataset.state = p;
    screen.dataset.kind = m.kind || 'call';
    screen.dataset.role = m.role || '';
    kindTag.textContent = m.kind === 'mic' ? '连麦' : '视频通话';
    const peer = m.peer || {};
    avatar.textContent = Array.from(peer.nick || peer.id || '?')[0] || '?';
    who.replaceChildren(userBadge(peer, peer.fan));
    incoming.hidden = p !== 'incoming';
    controls.hidden = p === 'incoming';
    const rtc = cur.rtc;
    mute.disabled = camera.disabled = !rtc || p === 'ended';
    hangup.disabled = p === 'ended';
    mute.setAttribute('aria-pressed', rtc && rtc.muted ? 'true' : 'false');
    mute.querySelector('.call-btn-label').textContent = rtc && rtc.muted ? '取消静音' : '静音';
    camera.setAttribute('aria-pressed', rtc && rtc.cameraOff ? 'true' : 'false');
    camera.querySelector('.call-btn-label').textContent = rtc && rtc.cameraOff ? '打开摄像头' : '关闭摄像头';
    screen.dataset.camera = rtc && rtc.cameraOff ? 'off' : 'on';
    screen.dataset.frame = rtc && rtc.firstFrameAt != null ? 'true' : 'false';
    screen.dataset.prepared = rtc && rtc.prepared ? 'true' : 'false'; // set up while it rings (tests wait on it)
    screen.dataset.media = rtc && rtc.stream ? 'open' : 'none'; // this side's camera/microphone
    screen.dataset.reported = rtc && rtc.reported ? 'true' : 'false'; // call_report sent (tests wait on it)
    if (p === 'ringing') status.textContent = '正在呼叫，等待对方接听… ' + leftText(m.ring_until);
    else if (p === 'incoming') status.textContent = (m.kind === 'mic' ? '申请和你连麦 ' : '邀请你视频通话 ') + leftText(m.ring_until);
    else if (p === 'connecting') status.textContent = '连接中…';
    else if (p === 'connected') status.textContent = (m.kind === 'mic' ? '连麦中 ' : '通话中 ') + fmtLeft(Date.now() - cur.connectedAt);
    else status.textContent = cur.endedText;
  }

  function leftText(until) {
    return typeof until === 'number' ? fmtLeft(until - clock.now()) : '';
  }

  function startTicker() {
    if (!ticker) ticker = setInterval(draw, 1000);
  }

  function stopTicker() {
    clearInterval(ticker);
    ticker = null;
  }

  function changed() {
    draw();
    api.emit('change', api.current);
  }

  // --- the call's life ----------------------------------------------------------------------------
  function newRtc(msg) {
    const rtc = new RtcCall(room, msg, { local, remote });
    rtc.on('state', (s) => {
      if (!api.current || api.current.rtc !== rtc) return;
      if (s === 'connected' && !api.current.connectedAt) api.current.connectedAt = Date.now();
      if (s === 'failed') toast('通话连接失败，请检查网络后重试', 'error', 4000);
      changed();
    });
    rtc.on('frame', () => draw());
    rtc.on('prepared', () => draw());
    rtc.on('negotiated', () => draw());
    rtc.on('nomedia', () => toast('无法打开摄像头或麦克风，对方暂时看不到你', 'error', 4000));
    rtc.on('autoplay', () => {
      remote.controls = true; // the browser wants a tap before playing sound
    });
    return rtc;
  }

  function onCall(msg) {
    if (!msg || !msg.call_id) return;
    let cur = api.current;
    if (cur && cur.msg.call_id !== msg.call_id) {
      if (msg.state === 'ended') return; // an old call
      finish(cur, null); // a new call replaces whatever is on screen
      cur = null;
    }
    if (msg.state === 'ended') {
      if (cur && !cur.ended) finish(cur, endedText(msg, cur.hungUp));
      return;
    }
    clearTimeout(hideTimer);
    if (!cur) {
      cur = { msg, rtc: newRtc(msg), ended: false, connectedAt: 0, hungUp: false };
      api.current = cur;
      if (msg.state === 'ringing') rtcMark('rang', msg.call_id);
      // while it rings both sides get ready (camera preview, peer connection; the caller sends its offer):
      // accepting then starts the connection at once
      cur.rtc.prepare().catch((e) => console.error('[siyu] call set-up failed', e));
    } else {
      cur.msg = Object.assign({}, cur.msg, msg);
    }
    if (msg.state === 'connected' && !cur.started) {
      cur.started = true;
      rtcMark('accepted', msg.call_id);
      cur.rtc.start().catch((e) => console.error('[siyu] call start failed', e));
      const held = early.get(msg.call_id) || [];
      early.delete(msg.call_id);
      for (const s of held) cur.rtc.signal(s);
    }
    startTicker();
    changed();
  }

  function finish(cur, text) {
    cur.ended = true;
    cur.endedText = text || '通话已结束';
    if (cur.rtc) cur.rtc.close();
    if (api.current !== cur) return;
    stopTicker();
    changed();
    clearTimeout(hideTimer);
    hideTimer = setTimeout(() => {
      if (api.current === cur) {
        api.current = null;
        changed();
      }
    }, 2200);
  }

  room.on('call', onCall);
  room.on('rtc_signal', (m) => {
    const cur = api.current;
    if (cur && cur.msg.call_id === m.call_id && cur.started) {
      cur.rtc.signal(m);
      return;
    }
    if (!early.has(m.call_id)) early.set(m.call_id, []);
    early.get(m.call_id).push(m);
    if (early.size > 8) early.delete(early.keys().next().value);
  });

  // --- buttons ----------------------------------------------------------------------------------
  async function act(frame) {
    const ack = await room.request(frame);
    if (!ack.ok && ack.error.code !== 'call.unknown') toast(room.protocol.errorText(ack.error), 'error');
    return ack;
  }

  hangup.addEventListener('click', () => {
    const cur = api.current;
    if (!cur || cur.ended) return;
    cur.hungUp = true;
    const m = cur.msg;
    if (m.kind === 'mic') {
      // staff end the guest's session; a guest ends their own
      act({ type: 'mic_end', user_id: ctx.isStaff ? m.peer && m.peer.id : room.me && room.me.id });
    } else {
      act({ type: 'call_hangup', call_id: m.call_id });
    }
    finish(cur, endedText(m, true));
  });
  accept.addEventListener('click', async () => {
    const cur = api.current;
    if (!cur || phase(cur) !== 'incoming') return;
    accept.disabled = true;
    const ack = await act({ type: 'call_answer', call_id: cur.msg.call_id, accept: true });
    accept.disabled = false;
    if (!ack.ok && api.current === cur) finish(cur, room.protocol.errorText(ack.error));
  });
  decline.addEventListener('click', () => {
    const cur = api.current;
    if (!cur || phase(cur) !== 'incoming') return;
    cur.hungUp = true;
    act({ type: 'call_answer', call_id: cur.msg.call_id, accept: false });
    finish(cur, '已拒绝');
  });
  mute.addEventListener('click', () => {
    const cur = api.current;
    if (!cur || !cur.rtc) return;
    cur.rtc.setMuted(!cur.rtc.muted);
    draw();
  });
  camera.addEventListener('click', () => {
    const cur = api.current;
    if (!cur || !cur.rtc) return;
    cur.rtc.setCamera(cur.rtc.cameraOff);
    draw();
  });

  /** The page shows a call it asked for before the server's `call` arrives (the request is in flight). */
  api.busy = () => !!(api.current && !api.current.ended);
  return api;
}
