/**
 * @module host/pk
 * PK battles on the host console (the PK tab of the 连线 panel): invite another live room by its id
 * (`pk_invite`, 3 / 5 / 10 minutes), the pending invites (incoming: 接受 / 拒绝 = `pk_answer`; outgoing:
 * 撤回 = `pk_cancel`) from the staff `pk_invite` messages and the snapshot's `pk_invites`, the live
 * scoreboard (ui/pk-board.js: both scores, the bar, the countdown, the last 30 s, top supporters, the
 * result), and 结束PK / 结束惩罚 (`pk_end`). docs/protocol.md section 11.
 */

import { h } from '../ui/dom.js';
import { toast } from '../ui/toast.js';
import { canAct } from '../ui/errors.js';
import { fmtLeft } from '../ui/countdown.js';
import { serverClock } from '../core/clock.js';
import { createPkBoard, followPk } from '../ui/pk-board.js';
import { togetherTab } from './together.js';

const DURATIONS = [
  [180, '3分钟'],
  [300, '5分钟'],
  [600, '10分钟'],
];

const GONE = {
  declined: ['对方拒绝了PK邀请', '已拒绝PK邀请'],
  expired: ['PK邀请已过期，对方未回应', 'PK邀请已过期'],
  cancelled: ['已撤回PK邀请', '对方撤回了PK邀请'],
};

/** @param {object} ctx the console (see host.js) */
export function installPk(ctx) {
  const { room } = ctx;
  const clock = serverClock(room);
  const tab = togetherTab(ctx, 'pk', 'PK');
  const invites = new Map(); // pk_id -> the staff pk_invite view (pending only)
  let ticker = null;

  const target = h('input', { id: 'pk-room', class: 'text-input', type: 'text', maxlength: '64', placeholder: '对方直播间号', 'aria-label': '对方直播间号' });
  const seconds = h('select', { id: 'pk-seconds', class: 'text-input', 'aria-label': 'PK时长' },
    DURATIONS.map(([v, t]) => h('option', { value: String(v), selected: v === 300 }, t)));
  const send = h('button', { id: 'pk-invite', class: 'btn btn-primary btn-sm', type: 'submit' }, '发起PK');
  const form = h('form', { id: 'pk-form', class: 'pk-form', autocomplete: 'off' }, target, seconds, send);
  const list = h('ol', { id: 'pk-invites', class: 'pk-invites' });
  const rooms = h('ol', { id: 'pk-rooms', class: 'pk-rooms', 'aria-label': '正在直播的直播间' });
  const refresh = h('button', { id: 'pk-rooms-refresh', class: 'btn btn-ghost btn-sm', type: 'button' }, '刷新');
  const roomsHead = h('div', { class: 'together-sub pk-rooms-head' }, h('span', null, '正在直播'), refresh);
  const board = createPkBoard(room, { id: 'pk-board', className: 'pk-board-host' });
  const end = h('button', { id: 'pk-end', class: 'btn btn-danger btn-sm pk-end', type: 'button', hidden: true }, '结束PK');
  const hint = h('p', { class: 'together-hint' }, '邀请正在直播的另一个直播间PK，双方观众送礼为主播加分。');
  tab.pane.append(form, list, roomsHead, rooms, board.el, end, hint);

  const follower = followPk(room, (pk) => {
    board.update(pk);
    drawEnd(pk);
    form.hidden = !!pk && pk.phase !== 'closed';
    hint.hidden = !!pk;
    roomsHead.hidden = rooms.hidden = !!pk && pk.phase !== 'closed';
    if (pk && pk.phase !== 'closed') tab.select();
  });

  function drawEnd(pk) {
    end.hidden = !pk || pk.phase === 'closed';
    if (pk) end.textContent = pk.phase === 'punish' ? '结束惩罚' : '结束PK';
    end.dataset.phase = pk ? pk.phase : '';
  }

  function drawInvites() {
    const mine = room.roomId;
    const rows = Array.from(invites.values()).map((inv) => {
      const out = inv.from && inv.from.room_id === mine;
      const other = out ? inv.to : inv.from;
      const name = (other && (other.title || other.room_id)) || '';
      const left = typeof inv.expires_at === 'number' ? fmtLeft(inv.expires_at - clock.now()) : '';
      const mins = Math.round((Number(inv.seconds) || 300) / 60) + '分钟';
      const buttons = out
        ? [h('button', { class: 'btn btn-sm pk-cancel', type: 'button', onclick: () => act({ type: 'pk_cancel', pk_id: inv.pk_id }) }, '撤回')]
        : [
          h('button', { class: 'btn btn-sm pk-decline', type: 'button', onclick: () => act({ type: 'pk_answer', pk_id: inv.pk_id, accept: false }) }, '拒绝'),
          h('button', { class: 'btn btn-primary btn-sm pk-accept', type: 'button', onclick: () => act({ type: 'pk_answer', pk_id: inv.pk_id, accept: true }) }, '接受'),
        ];
      return h('li', { class: 'pk-invite', dataset: { pkId: inv.pk_id, dir: out ? 'out' : 'in' } },
        h('div', { class: 'pk-invite-text' },
          h('b', null, out ? '等待「' + name + '」接受' : '「' + name + '」邀请你PK'),
          h('small', null, mins + ' · ' + left + ' 后过期')),
        h('div', { class: 'pk-invite-actions' }, buttons));
    });
    list.replaceChildren(...rows);
    tab.badge(Array.from(invites.values()).filter((i) => !(i.from && i.from.room_id === mine)).length);
    if (invites.size && !ticker) ticker = setInterval(drawInvites, 1000);
    if (!invites.size && ticker) {
      clearInterval(ticker);
      ticker = null;
    }
  }

  // the partner picker: the rooms live now (GET /api/live-rooms), this one left out
  async function loadRooms() {
    let items = [];
    try {
      const resp = await fetch('/api/live-rooms', { headers: { Authorization: 'Bearer ' + room.token, Accept: 'application/json' }, cache: 'no-store' });
      if (resp.ok) items = (await resp.json()).items || [];
    } catch (e) {
      console.warn('[siyu] live rooms unavailable', e);
    }
    rooms.replaceChildren(...items.filter((r) => r && r.id && r.id !== room.roomId).slice(0, 20).map((r) =>
      h('li', { class: 'pk-room', dataset: { roomId: r.id } },
        h('span', { class: 'pk-room-title' }, r.title || r.id, h('small', null, ' ' + r.id)),
        h('button', { class: 'btn btn-sm pk-room-invite', type: 'button', onclick: () => invite(r.id) }, '邀请PK'))));
  }
  refresh.addEventListener('click', loadRooms);
  target.addEventListener('focus', loadRooms);

  async function invite(id) {
    send.disabled = true;
    const ack = await act({ type: 'pk_invite', room_id: id, seconds: Number(seconds.value) });
    send.disabled = false;
    if (ack && ack.ok) {
      target.value = '';
      toast('PK邀请已发出，等待对方接受', 'ok');
    }
  }

  async function act(frame) {
    if (!canAct(room)) return null;
    const ack = await room.request(frame);
    if (!ack.ok) toast(room.protocol.errorText(ack.error), 'error', 3500);
    return ack;
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const id = target.value.trim();
    if (!id) {
      toast('请填写对方直播间号', 'error');
      return;
    }
    invite(id);
  });
  end.addEventListener('click', () => {
    const pk = follower.current;
    if (pk) act({ type: 'pk_end', pk_id: pk.pk_id });
  });

  function onInvite(inv) {
    if (!inv || !inv.pk_id) return;
    const out = inv.from && inv.from.room_id === room.roomId;
    if (inv.status === 'pending') {
      const isNew = !invites.has(inv.pk_id);
      invites.set(inv.pk_id, inv);
      if (isNew && !out) {
        tab.select();
        toast('「' + ((inv.from && (inv.from.title || inv.from.room_id)) || '') + '」邀请你PK', 'info', 4000);
      }
    } else if (invites.delete(inv.pk_id) && GONE[inv.status]) {
      toast(GONE[inv.status][out ? 0 : 1], 'info', 3500);
    }
    drawInvites();
  }

  room.on('pk_invite', onInvite);
  room.on('welcome', () => loadRooms());
  room.on('questions', (snap) => {
    if (!Array.isArray(snap.pk_invites)) return;
    invites.clear();
    for (const inv of snap.pk_invites) if (inv && inv.pk_id) invites.set(inv.pk_id, Object.assign({ status: 'pending' }, inv));
    drawInvites();
  });
  drawInvites();
}
