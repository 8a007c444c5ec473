/**
 * @module host/mic
 * The co-host mic (连麦) on the host console (the 连麦 tab of the 连线 panel): the settings (开启连麦,
 * 最多嘉宾 1..limit, 粉丝优先 = `mic_settings`), the guests on the mic now (from the sequenced `mic`
 * message, 结束 = `mic_end`) and the queue from the staff `mic_queue` message and the snapshot's
 * `mic_queue`, each with level and fan badge and 同意 (`mic_accept`: the call screen opens with the guest)
 * / 拒绝 (`mic_decline`). docs/protocol.md section 12.
 */

import { h } from '../ui/dom.js';
import { toast } from '../ui/toast.js';
import { canAct } from '../ui/errors.js';
import { userBadge } from '../ui/badges.js';
import { fmtLeft } from '../ui/countdown.js';
import { serverClock } from '../core/clock.js';
import { togetherTab } from './together.js';

/** @param {object} ctx the console (see host.js) */
export function installMic(ctx) {
  const { room } = ctx;
  const clock = serverClock(room);
  const tab = togetherTab(ctx, 'mic', '连麦');
  let mic = { open: false, max_guests: 1, max_guests_limit: 4, fans_first: false, guests: [] };
  let queue = [];

  const open = h('input', { id: 'mic-open', type: 'checkbox' });
  const max = h('select', { id: 'mic-max', class: 'text-input', 'aria-label': '最多嘉宾' });
  const fans = h('input', { id: 'mic-fans', type: 'checkbox' });
  const settings = h('div', { class: 'mic-settings' },
    h('label', { class: 'switch' }, open, h('span', null, '开启连麦')),
    h('label', { class: 'mic-max' }, h('span', null, '最多嘉宾'), max),
    h('label', { class: 'switch' }, fans, h('span', null, '粉丝优先')));
  const guests = h('ol', { id: 'mic-guests', class: 'mic-guests' });
  const queueList = h('ol', { id: 'mic-queue', class: 'mic-queue' });
  const empty = h('p', { class: 'empty mic-empty' }, '还没有观众申请连麦');
  tab.pane.append(settings, h('div', { class: 'together-sub' }, '连麦中'), guests,
    h('div', { class: 'together-sub' }, '申请队列 ', h('small', { id: 'mic-queue-count' }, '')), queueList, empty);

  async function act(frame) {
    if (!canAct(room)) return null;
    const ack = await room.request(frame);
    if (!ack.ok) toast(room.protocol.errorText(ack.error), 'error', 3500);
    return ack;
  }

  function pushSettings() {
    act({ type: 'mic_settings', open: open.checked, max_guests: Number(max.value) || 1, fans_first: fans.checked }).then((ack) => {
      if (ack && !ack.ok) drawSettings(); // back to what the room has
    });
  }
  for (const el of [open, max, fans]) el.addEventListener('change', pushSettings);

  function drawSettings() {
    open.checked = !!mic.open;
    fans.checked = !!mic.fans_first;
    const limit = Math.max(1, Number(mic.max_guests_limit) || 4);
    const want = String(mic.max_guests || 1);
    if (max.options.length !== limit) {
      max.replaceChildren(...Array.from({ length: limit }, (_, i) => h('option', { value: String(i + 1) }, i + 1 + ' 位')));
    }
    max.value = want;
  }

  function drawGuests() {
    guests.replaceChildren(...mic.guests.map((g) => {
      const u = g.user || {};
      return h('li', { class: 'mic-guest', dataset: { userId: u.id } },
        h('span', { class: 'mic-live-dot', 'aria-hidden': 'true' }),
        h('span', { class: 'mic-who' }, userBadge(u, g.badge || u.fan)),
        h('button', { class: 'btn btn-danger btn-sm mic-end', type: 'button', onclick: () => act({ type: 'mic_end', user_id: u.id }) }, '结束'));
    }));
    guests.hidden = !mic.guests.length;
    guests.previousElementSibling.hidden = !mic.guests.length;
  }

  function drawQueue() {
    const full = mic.guests.length >= (mic.max_guests || 1);
    queueList.replaceChildren(...queue.map((q, i) => {
      const u = q.user || {};
      const waited = typeof q.at === 'number' ? fmtLeft(clock.now() - q.at) : '';
      return h('li', { class: 'mic-queued', dataset: { userId: u.id, rank: i + 1 } },
        h('span', { class: 'mic-rank' }, String(i + 1)),
        h('span', { class: 'mic-who' }, userBadge(u, q.fan ? Object.assign({ active: true }, q.fan) : u.fan)),
        h('small', { class: 'mic-wait' }, waited),
        h('span', { class: 'mic-actions' },
          h('button', { class: 'btn btn-sm mic-decline', type: 'button', onclick: () => act({ type: 'mic_decline', user_id: u.id }) }, '拒绝'),
          h('button', { class: 'btn btn-primary btn-sm mic-accept', type: 'button', disabled: full, title: full ? '连麦人数已满' : null, onclick: () => accept(u.id) }, '同意')));
    }));
    empty.hidden = queue.length > 0;
    document.getElementById('mic-queue-count').textContent = queue.length ? queue.length + ' 人' : '';
    tab.badge(queue.length);
  }

  async function accept(userId) {
    if (ctx.calls && ctx.calls.busy()) {
      toast('你正在通话中，先挂断再接通连麦', 'error');
      return;
    }
    await act({ type: 'mic_accept', user_id: userId });
  }

  function setMic(m) {
    if (!m || typeof m !== 'object') return;
    mic = Object.assign({}, mic, m, { guests: Array.isArray(m.guests) ? m.guests : [] });
    drawSettings();
    drawGuests();
    drawQueue();
  }

  function setQueue(q) {
    if (!Array.isArray(q)) return;
    const grew = q.length > queue.length;
    queue = q.filter((x) => x && x.user);
    drawQueue();
    if (grew && queue.length === 1 && q[0].user) toast((q[0].user.nick || '观众') + ' 申请连麦', 'info', 3000);
  }

  room.on('state', (st) => {
    if (st && st.mic) setMic(st.mic);
  });
  room.on('mic', setMic);
  room.on('mic_queue', (m) => setQueue(m.queue));
  room.on('questions', (snap) => {
    if (snap.mic_queue) setQueue(Array.isArray(snap.mic_queue) ? snap.mic_queue : snap.mic_queue.queue);
  });
  setInterval(() => {
    if (queue.length) drawQueue();
  }, 5000);
  drawSettings();
  drawGuests();
  drawQueue();
}
