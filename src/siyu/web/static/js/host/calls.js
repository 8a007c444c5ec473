/**
 * @module host/calls
 * 1v1 video calls on the host console (the 1v1 tab of the 连线 panel): the 接听1v1视频通话 switch
 * (`call_ready`; the room's `state.callees` says who is ready), the call screen (ui/call-screen.js: the
 * ring with 接听 / 拒绝, local and remote video, 静音 / 关闭摄像头, 挂断; mic sessions use it too) and this
 * console's recent calls (who, how long, how it ended). docs/protocol.md section 12.
 */

import { h } from '../ui/dom.js';
import { toast } from '../ui/toast.js';
import { canAct } from '../ui/errors.js';
import { userBadge } from '../ui/badges.js';
import { fmtLeft } from '../ui/countdown.js';
import { fmtTime } from '../ui/format.js';
import { installCallScreen } from '../ui/call-screen.js';
import { togetherTab } from './together.js';

const REASON = {
  declined: '已拒绝', timeout: '未接听', hangup: '已挂断', cancelled: '对方取消', left: '对方离开', busy: '忙线',
  lost: '连接断开', max_duration: '超过最长时长', ended_by_staff: '已结束',
};

/** @param {object} ctx the console (see host.js); sets ctx.calls */
export function installCalls(ctx) {
  const { room } = ctx;
  const tab = togetherTab(ctx, 'calls', '1v1');
  const calls = installCallScreen(ctx);
  ctx.calls = calls;
  let ready = false;
  let pending = false;

  const toggle = h('input', { id: 'call-ready', type: 'checkbox' });
  const note = h('p', { id: 'call-ready-note', class: 'together-hint' });
  const log = h('ol', { id: 'call-log', class: 'call-log' });
  const empty = h('p', { class: 'empty' }, '还没有视频通话');
  tab.pane.append(h('label', { class: 'switch call-ready' }, toggle, h('span', null, '接听1v1视频通话')), note,
    h('div', { class: 'together-sub' }, '最近通话'), log, empty);

  function drawReady() {
    toggle.checked = ready;
    toggle.disabled = pending;
    note.textContent = ready ? '已开启：观众可以在直播间向你发起视频通话' : '开启后，观众可以在直播间向你发起1v1视频通话';
  }

  toggle.addEventListener('change', async () => {
    if (!canAct(room)) {
      drawReady();
      return;
    }
    const want = toggle.checked;
    const was = ready;
    ready = want; // shown at once; back if refused
    pending = true;
    drawReady();
    const ack = await room.request({ type: 'call_ready', ready: want });
    pending = false;
    if (!ack.ok) {
      ready = was;
      toast(room.protocol.errorText(ack.error), 'error');
    }
    drawReady();
  });

  function setCallees(list) {
    if (!Array.isArray(list) || !room.me || pending) return;
    ready = list.some((c) => c && c.user && c.user.id === room.me.id);
    drawReady();
  }
  room.on('state', (st) => setCallees(st && st.callees));
  room.on('callees', (m) => setCallees(m.callees));

  const seen = new Map(); // call_id -> {msg, at}
  room.on('call', (m) => {
    if (!m || !m.call_id) return;
    const prev = seen.get(m.call_id);
    const entry = Object.assign({ started: Date.now() }, prev, { msg: m });
    if (m.state === 'connected' && !entry.connected) entry.connected = Date.now();
    if (m.state === 'ended') entry.ended = Date.now();
    seen.set(m.call_id, entry);
    if (m.state === 'ringing' && m.role === 'callee') {
      tab.select();
      toast('有观众邀请你视频通话', 'info', 3000);
    }
    drawLog();
  });
  calls.on('change', (cur) => {
    tab.badge(cur && !cur.ended && cur.msg.state === 'ringing' ? 1 : 0);
    if (cur && cur.ended && seen.has(cur.msg.call_id)) {
      const e = seen.get(cur.msg.call_id);
      if (!e.ended) e.ended = Date.now();
      drawLog();
    }
  });

  function drawLog() {
    const rows = Array.from(seen.values()).slice(-10).reverse().map((e) => {
      const m = e.msg;
      const state = m.state === 'ended' || e.ended ? (e.connected ? '时长 ' + fmtLeft(e.ended - e.connected) : REASON[m.reason] || '已结束')
        : m.state === 'connected' ? '通话中' : '响铃中';
      return h('li', { class: 'call-log-item', dataset: { callId: m.call_id, kind: m.kind, state: m.state } },
        h('span', { class: 'call-log-kind' }, m.kind === 'mic' ? '连麦' : '1v1'),
        h('span', { class: 'call-log-who' }, userBadge(m.peer || {})),
        h('small', { class: 'call-log-state' }, state),
        h('small', { class: 'call-log-time' }, fmtTime(e.started)));
    });
    log.replaceChildren(...rows);
    empty.hidden = rows.length > 0;
  }
  drawReady();
  drawLog();
}
