/**
 * @module viewer/call
 * 1v1 video calls (1V1社交) on the viewer page, and the 连线 entry they share with the co-host mic: a round
 * 连线 button on the right of the stage opens a sheet with the mic section (viewer/mic.js) and the staff who
 * take calls now (`state.callees`: the host or a consultant, 忙线中 while in a call), each with 视频通话.
 * Calling rings them (`call_request`); the call screen (ui/call-screen.js) takes over from the `call`
 * messages: ringing, connected with local/remote video, 静音 / 关闭摄像头, 挂断. Refusals (call.busy,
 * call.unavailable …) are shown in Chinese.
 */

import { $, h } from '../ui/dom.js';
import { createSheet } from '../ui/sheet.js';
import { userBadge } from '../ui/badges.js';
import { canAct } from '../ui/errors.js';
import { toast } from '../ui/toast.js';
import { installCallScreen } from '../ui/call-screen.js';
import { rtcMark } from '../core/rtc.js';

const ROLE = { host: '主播', consultant: '顾问', assistant: '场控', operator: '运营' };

/** @param {object} ctx the viewer page (see viewer.js); sets ctx.calls and ctx.together */
export function installCall(ctx) {
  const { room } = ctx;
  const app = $('app');
  const calls = installCallScreen(ctx);
  ctx.calls = calls;
  let callees = [];
  let asking = null; // user id being called (request in flight)

  // --- the 连线 entry and its sheet ---------------------------------------------------------------
  const dot = h('span', { class: 'together-dot', hidden: true });
  const btn = h('button', { id: 'together-btn', class: 'together-btn', type: 'button', 'aria-haspopup': 'dialog', 'aria-controls': 'together-sheet', hidden: true },
    h('span', { class: 'together-icon', 'aria-hidden': 'true' }), h('span', { class: 'together-label' }, '连线'), dot);
  const micSection = h('section', { class: 'together-section', 'aria-labelledby': 'mic-section-title' });
  const list = h('ol', { id: 'callee-list', class: 'callee-list' });
  const empty = h('p', { class: 'sheet-empty callee-empty' }, '现在没有可以视频通话的主播或顾问');
  const callSection = h('section', { class: 'together-section', 'aria-labelledby': 'call-section-title' },
    h('h3', { id: 'call-section-title', class: 'together-title' }, '1v1 视频通话', h('small', null, '私密通话，主播和顾问一对一解答')), list, empty);
  const sheetEl = h('div', { id: 'together-sheet', class: 'sheet together-sheet', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'together-title', hidden: true },
    h('div', { class: 'sheet-backdrop', 'data-close': true }),
    h('section', { class: 'sheet-panel' },
      h('header', { class: 'sheet-head' },
        h('h2', { id: 'together-title', class: 'sheet-title' }, '连线'),
        h('button', { class: 'sheet-close', type: 'button', 'data-close': true, 'aria-label': '关闭' }, '×')),
      h('div', { class: 'together-body' }, micSection, callSection)));
  app.append(btn, sheetEl);
  const sheet = createSheet(sheetEl, { onOpen: () => draw() });
  btn.addEventListener('click', () => sheet.open());

  const parts = new Set(); // who wants the entry shown: () => boolean
  ctx.together = {
    micSection,
    sheet,
    /** a part (the mic) says whether it needs the entry, and whether to put a dot on it */
    want(fn) {
      parts.add(fn);
      draw();
    },
    refresh: () => draw(),
  };

  // --- the callees ------------------------------------------------------------------------------
  function draw() {
    const wants = Array.from(parts).map((fn) => fn() || {});
    btn.hidden = !callees.length && !wants.some((w) => w.show);
    dot.hidden = !wants.some((w) => w.dot);
    btn.dataset.dot = dot.hidden ? 'false' : 'true';
    const mine = room.me ? room.me.id : null;
    const inCall = calls.busy();
    list.replaceChildren(...callees.filter((c) => c.user && c.user.id !== mine).map((c) => {
      const call = h('button', { class: 'btn btn-primary btn-sm callee-call', type: 'button', disabled: c.busy || inCall || asking != null },
        asking === c.user.id ? '呼叫中…' : c.busy ? '忙线中' : '视频通话');
      call.addEventListener('click', () => ring(c.user));
      return h('li', { class: 'callee', dataset: { userId: c.user.id, busy: c.busy ? 'true' : 'false' } },
        h('span', { class: 'callee-face', 'aria-hidden': 'true' }, Array.from(c.user.nick || c.user.id)[0] || '?'),
        h('span', { class: 'callee-who' }, h('span', { class: 'callee-role' }, ROLE[c.role || c.user.role] || '客服'), userBadge(Object.assign({}, c.user, { role: null }))),
        call);
    }));
    empty.hidden = list.children.length > 0;
  }

  async function ring(user) {
    if (asking || calls.busy() || !canAct(room)) return;
    asking = user.id;
    draw();
    rtcMark('requested', null);
    const ack = await room.request({ type: 'call_request', to: user.id });
    asking = null;
    if (ack.ok) {
      sheet.close();
      if (ack.ack && ack.ack.call_id) rtcMark('request_acked', ack.ack.call_id);
    } else {
      toast(room.protocol.errorText(ack.error), 'error', 3500);
    }
    draw();
  }

  function setCallees(v) {
    if (!Array.isArray(v)) return;
    callees = v.filter((c) => c && c.user && c.user.id);
    draw();
  }

  room.on('state', (st) => {
    if (st && 'callees' in st) setCallees(st.callees || []);
  });
  room.on('callees', (m) => setCallees(m.callees));
  calls.on('change', () => draw());
}
