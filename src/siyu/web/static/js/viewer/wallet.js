/**
 * @module viewer/wallet
 * 我的券: the coupons this viewer claimed (a claim's ack `grant`: {grant_id, coupon_id, expires_at}, with
 * the card's coupon), behind a button in the shelf that shows how many, in a bottom sheet.
 *
 * Where the list comes from is ONE function, loadWallet(): for now a list kept on this device
 * (localStorage, per room and user), filled by keepGrant() after each grant. When the server keeps
 * the wallet, loadWallet() fetches it and keepGrant() has nothing left to do.
 * Sets ctx.wallet = {add(grant, coupon), refresh()}.
 */

import { $, h, setCount } from '../ui/dom.js';
import { fmtTime } from '../ui/format.js';
import { couponCondition, couponFace, couponRule, couponScope } from '../ui/coupon-text.js';
import { createSheet } from '../ui/sheet.js';

const KEEP_EXPIRED_MS = 24 * 3600 * 1000; // an expired coupon is still listed (as 已过期) for a day

function storageKey(room) {
  return 'siyu.wallet.' + room.roomId + '.' + (room.me ? room.me.id : '');
}

function readLocal(key) {
  try {
    const list = JSON.parse(localStorage.getItem(key) || '[]');
    return Array.isArray(list) ? list.filter((x) => x && x.grant_id) : [];
  } catch (_e) {
    return [];
  }
}

/** The viewer's coupons, newest first: THE data source of the wallet (switch it to the server here). */
export async function loadWallet(room) {
  const now = Date.now();
  return readLocal(storageKey(room))
    .filter((x) => !(x.expires_at < now - KEEP_EXPIRED_MS))
    .sort((a, b) => (b.at || 0) - (a.at || 0));
}

/** Keep a grant on this device (until the server keeps the wallet). */
export function keepGrant(room, entry) {
  const key = storageKey(room);
  const list = readLocal(key).filter((x) => x.grant_id !== entry.grant_id);
  list.push(entry);
  try {
    localStorage.setItem(key, JSON.stringify(list.slice(-100)));
  } catch (_e) {
    /* private mode or full: the list of this page load still shows it */
  }
}

/** @param {object} ctx the viewer page (see viewer.js) */
export function installWallet(ctx) {
  const { room } = ctx;
  const els = { btn: $('wallet-btn'), count: $('wallet-count'), sheet: $('wallet-sheet'), list: $('wallet-list'), empty: $('wallet-empty') };
  const sheet = createSheet(els.sheet, { onOpen: () => refresh() });
  els.btn.addEventListener('click', () => sheet.open());
  let items = [];
  const session = []; // grants of this page load (shown even when the device keeps nothing)

  function row(x) {
    const c = x.coupon || {};
    const face = couponFace(c);
    const expired = typeof x.expires_at === 'number' && x.expires_at <= Date.now();
    const cond = couponCondition(c);
    return h(
      'li',
      { class: 'wallet-item' + (expired ? ' expired' : ''), dataset: { grantId: x.grant_id, couponId: x.coupon_id } },
      h(
        'div',
        { class: 'coupon-stub' },
        h('span', { class: 'coupon-face' }, h('b', { class: 'coupon-value' }, face.value), h('span', { class: 'coupon-unit' }, face.unit))
      ),
      h(
        'div',
        { class: 'wallet-info' },
        h('div', { class: 'wallet-name' }, c.name || x.coupon_id),
        h('div', { class: 'wallet-rule' }, couponRule(c) + ' · ' + couponScope(c) + (cond ? ' · ' + cond : '')),
        h('div', { class: 'wallet-exp' }, expired ? '已过期' : typeof x.expires_at === 'number' ? '有效期至 ' + fmtTime(x.expires_at).slice(0, 5) : '')
      )
    );
  }

  function draw() {
    const seen = new Set(items.map((x) => x.grant_id));
    const all = session.filter((x) => !seen.has(x.grant_id)).concat(items);
    els.list.replaceChildren(...all.map(row));
    els.empty.hidden = all.length > 0;
    setCount(els.count, all.length);
    els.btn.hidden = all.length === 0;
    els.btn.setAttribute('aria-label', '我的券，' + all.length + '张');
  }

  async function refresh() {
    items = await loadWallet(room);
    draw();
  }

  ctx.wallet = {
    /** A claim was granted: `grant` from its ack, `coupon` from the card. */
    add(grant, coupon) {
      const entry = Object.assign({}, grant, { coupon: coupon || null, at: Date.now() });
      if (!session.some((x) => x.grant_id === entry.grant_id)) session.unshift(entry);
      keepGrant(room, entry);
      return refresh();
    },
    refresh,
  };
  room.on('welcome', () => refresh());
}
