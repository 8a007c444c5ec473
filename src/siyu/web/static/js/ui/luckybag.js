/**
 * @module ui/luckybag
 * Pieces of the lucky bag (福袋) the viewer page and the host console share: the bag icon (drawn in
 * CSS, no emoji font needed), the countdown text, the prize line, the winners list, a clock that follows
 * the server's, and the bag's state as the room messages move it (`luckybag`, `luckybag_closed`,
 * `luckybag_count`, `luckybag_result`, and `state.luckybag`).
 */

import { h } from './dom.js';

const pad2 = (n) => (n < 10 ? '0' + n : String(n));

/** "02:59" for a number of milliseconds left (never negative). */
export function countdownText(ms) {
  const s = Math.max(0, Math.ceil(Number(ms) / 1000) || 0);
  return s >= 3600 ? Math.floor(s / 3600) + ':' + pad2(Math.floor((s % 3600) / 60)) + ':' + pad2(s % 60) : pad2(Math.floor(s / 60)) + ':' + pad2(s % 60);
}

/** The bag: a red pouch with a gold knot and 福 on it. */
export function bagIcon(extraClass) {
  return h('span', { class: 'lb-bag' + (extraClass ? ' ' + extraClass : ''), 'aria-hidden': 'true' },
    h('span', { class: 'lb-bag-knot' }), h('span', { class: 'lb-bag-body' }, '福'));
}

/** The prize: its name and what it is worth (满199减20, 直播价¥159). */
export function prizeView(prize) {
  const kind = prize && prize.kind === 'product' ? '商品' : '优惠券';
  return h('div', { class: 'lb-prize', dataset: { kind: prize ? prize.kind : '' } },
    h('span', { class: 'lb-prize-kind' }, kind),
    h('span', { class: 'lb-prize-name' }, prize ? prize.name : ''),
    h('span', { class: 'lb-prize-text' }, prize ? prize.text : ''));
}

/** The winners, in draw order (at most `max` names, then "等 N 人"). */
export function winnersList(winners, max = 60, meId = null) {
  const list = h('ol', { class: 'lb-winners' });
  for (const w of (winners || []).slice(0, max)) {
    list.appendChild(h('li', { class: 'lb-winner', dataset: { me: w.id === meId ? 'true' : null } }, w.nick || w.id));
  }
  if ((winners || []).length > max) list.appendChild(h('li', { class: 'lb-winner more' }, '等 ' + winners.length + ' 人'));
  return list;
}

/** The server's clock from this page's: the offset is taken from the welcome's `ts`. */
export function serverClock(room) {
  let offset = 0;
  room.on('welcome', (msg) => {
    if (typeof msg.ts === 'number') offset = msg.ts - Date.now();
  });
  return () => Date.now() + offset;
}

/**
 * Follow the room's bag: `onChange(bag)` with {bag_id, prize, winners, until, entry, seed_hash, closed,
 * entries} (null when there is none) and `onResult(msg)` for a draw.
 */
export function followBag(room, now, { onChange, onResult }) {
  let bag = null;

  function set(next) {
    bag = next;
    onChange(bag);
  }

  room.on('state', (st) => {
    if (!st || !('luckybag' in st)) return;
    const view = st.luckybag;
    if (!view) {
      if (bag) set(null);
      return;
    }
    const same = bag && bag.bag_id === view.bag_id;
    set(Object.assign({}, view, { entries: same ? bag.entries : null }));
  });
  room.on('luckybag', (m) => {
    if (bag && bag.bag_id === m.bag_id) return;
    set({ bag_id: m.bag_id, prize: m.prize, winners: m.winners, until: m.until, entry: m.entry, seed_hash: m.seed_hash, closed: false, entries: 0 });
  });
  room.on('luckybag_count', (m) => {
    if (bag && bag.bag_id === m.bag_id && m.entries !== bag.entries) set(Object.assign({}, bag, { entries: m.entries }));
  });
  room.on('luckybag_closed', (m) => {
    if (bag && bag.bag_id === m.bag_id) set(Object.assign({}, bag, { until: Math.min(bag.until, m.at), closed: true }));
  });
  room.on('luckybag_result', (m) => {
    if (bag && bag.bag_id === m.bag_id) set(null);
    onResult(m);
  });
  return {
    get bag() {
      return bag;
    },
    /** Entries over (the countdown reached 0, or the staff drew early): the draw is coming. */
    closed() {
      return !!bag && (bag.closed || bag.until <= now());
    },
  };
}
