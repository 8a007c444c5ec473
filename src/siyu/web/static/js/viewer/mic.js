/**
 * @module viewer/mic
 * The co-host mic (连麦) on the viewer page: in the 连线 sheet (viewer/call.js) a 申请连麦 button that
 * queues (`mic_request`), then 取消排队 (`mic_cancel`); when the host accepts, the call screen opens
 * (a `call` of kind "mic"). Everyone sees the "连麦中" layout: a tile per guest on the stage with their
 * name and badge, from the sequenced `mic` message (and `state.mic`). The room's own audio/video to the
 * audience is the streaming platform's; only the guest and the host see each other here.
 */

import { $, h } from '../ui/dom.js';
import { userBadge } from '../ui/badges.js';
import { canAct } from '../ui/errors.js';
import { toast } from '../ui/toast.js';

/** @param {object} ctx the viewer page (see viewer.js); needs ctx.together (viewer/call.js) */
export function installMic(ctx) {
  const { room } = ctx;
  let mic = { open: false, max_guests: 1, guests: [] };
  let queued = false;
  let busy = false;

  // --- the 连麦中 layout --------------------------------------------------------------------------
  const stage = h('div', { id: 'mic-stage', class: 'mic-stage', 'aria-label': '连麦中', hidden: true });
  $('app').appendChild(stage);

  // --- the section in the 连线 sheet -------------------------------------------------------------
  const status = h('p', { id: 'mic-status', class: 'mic-status', role: 'status' });
  const action = h('button', { id: 'mic-request', class: 'btn btn-primary mic-request', type: 'button' }, '申请连麦');
  ctx.together.micSection.append(
    h('h3', { id: 'mic-section-title', class: 'together-title' }, '连麦', h('small', null, '和主播视频连线，全场可见')),
    status, action);

  const me = () => (room.me ? room.me.id : null);
  const onMic = () => mic.guests.some((g) => g.user && g.user.id === me());

  function draw() {
    const on = onMic();
    if (on) queued = false;
    action.dataset.state = on ? 'on' : queued ? 'queued' : mic.open ? 'open' : 'closed';
    action.disabled = busy || (!on && !queued && !mic.open);
    action.classList.toggle('btn-primary', !queued && !on);
    action.textContent = on ? '结束连麦' : queued ? '取消排队' : mic.open ? '申请连麦' : '主播未开启连麦';
    const n = mic.guests.length;
    status.textContent = on ? '你正在和主播连麦' : queued ? '排队中，等待主播同意…' : !mic.open ? '主播开启连麦后可以申请'
      : n ? n + ' 位嘉宾连麦中，最多 ' + mic.max_guests + ' 位' : '最多 ' + mic.max_guests + ' 位嘉宾同时连麦';
    stage.hidden = n === 0;
    stage.replaceChildren(...mic.guests.map((g) => {
      const u = g.user || {};
      return h('div', { class: 'mic-tile', dataset: { userId: u.id, me: u.id === me() ? 'true' : 'false' } },
        h('span', { class: 'mic-tile-face', 'aria-hidden': 'true' }, Array.from(u.nick || u.id || '?')[0]),
        h('span', { class: 'mic-tile-tag' }, h('span', { class: 'mic-wave', 'aria-hidden': 'true' }), '连麦中'),
        h('span', { class: 'mic-tile-who' }, userBadge(u, g.badge || u.fan)));
    }));
    ctx.together.refresh();
  }

  ctx.together.want(() => ({ show: mic.open || queued || onMic(), dot: queued || onMic() }));

  action.addEventListener('click', async () => {
    if (busy || !canAct(room)) return;
    busy = true;
    draw();
    let ack;
    if (onMic()) ack = await room.request({ type: 'mic_end', user_id: me() });
    else if (queued) ack = await room.request({ type: 'mic_cancel' });
    else ack = await room.request({ type: 'mic_request' });
    busy = false;
    const code = ack.ok ? null : ack.error.code;
    if (ack.ok || code === 'mic.queued') {
      if (action.dataset.state === 'open' || code === 'mic.queued') queued = true;
      else if (action.dataset.state === 'queued') queued = false;
      if (queued && ack.ok) toast('已申请连麦，等待主播同意', 'ok');
    } else {
      if (code === 'mic.not_queued') queued = false;
      toast(room.protocol.errorText(ack.error), 'error', 3500);
    }
    draw();
  });

  function setMic(m) {
    if (!m || typeof m !== 'object') return;
    mic = { open: !!m.open, max_guests: Number(m.max_guests) || 1, guests: Array.isArray(m.guests) ? m.guests : [] };
    if (!mic.open && !onMic()) queued = false;
    draw();
  }

  room.on('state', (st) => {
    if (st && typeof st.mic_queued === 'boolean') queued = st.mic_queued; // mine, on (re)connect
    if (st && st.mic) setMic(st.mic);
  });
  room.on('mic', setMic);
  room.on('mic_status', (m) => {
    // personal: my place in the queue changed: queued | declined | cancelled | on_mic
    queued = m.state === 'queued';
    if (m.state === 'declined') toast('主播暂时没有同意你的连麦申请', 'info', 3500);
    draw();
  });
  draw();
}
