/**
 * @module viewer/wallet
 * 我的券: the viewer's coupons of this shop (claimed from a drop, won in a 福袋 …), behind a button in the
 * shelf that shows how many, in a bottom sheet.
 *
 * Where the list comes from is ONE function, loadWallet(): the server's `wallet` message (its ack lists
 * the coupons neither used nor expired, the first to expire first). It is asked on entry, when the sheet
 * opens after an order (a coupon may have been used) or after a while, never on every claim: `wallet`
 * spends the `order` budget, like a checkout's quotes. A claim's grant is added to the list at once.
 * Sets ctx.wallet = {add(grant, coupon), refresh()}.
 */

import { $, h, setCount } from '../ui/dom.js';
import { fmtTime } from '../ui/format.js';
import { couponCondition, couponFace, couponRule, couponScope } from '../ui/coupon-text.js';
import { createSheet } from '../ui/sheet.js';

const STALE_MS = 30000; // the sheet asks the server again when its list is older than this

/**
 * The viewer's coupons: THE data source of the wallet. Resolves with [{grant_id, coupon_id, expires_at,
 * coupon: {id, name, type, threshold, amount, rate}}], or null when the server could not answer.
 */
export async function loadWallet(room) {
  const res = await room.request({ type: 'wallet' });
  const list = res.ok && res.ack && Array.isArray(res.ack.wallet) ? res.ack.wallet : null;
  if (!list) return null;
  return list
    .filter((x) => x && x.grant_id)
    .map((x) => ({
      grant_id: x.grant_id,
      coupon_id: x.coupon_id,
      expires_at: x.expires_at,
      coupon: { id: x.coupon_id, name: x.name, type: x.type, threshold: x.threshold, amount: x.amount, rate: x.rate },
    }));
}

/** @param {object} ctx the viewer page (see viewer.js) */
export function installWallet(ctx) {
  const { room } = ctx;
  const els = { btn: $('wallet-btn'), count: $('wallet-count'), sheet: $('wallet-sheet'), list: $('wallet-list'), empty: $('wallet-empty') };
  const sheet = createSheet(els.sheet, {
    onOpen: () => {
      draw();
      if (stale || Date.now() - loadedAt > STALE_MS) refresh();
    },
  });
  els.btn.addEventListener('click', () => sheet.open());
  /** @type {Map<string, object>} grant id -> entry (what the server said, and the grants since) */
  const items = new Map();
  const known = new Map(); // coupon id -> the full coupon a card showed (scope, cap, condition)
  let loadedAt = 0;
  let stale = true;
  let loading = null;

  function row(x) {
    const c = Object.assign({}, known.get(x.coupon_id) || {}, x.coupon || {});
    const face = couponFace(c);
    const expired = typeof x.expires_at === 'number' && x.expires_at <= Date.now();
    const rule = [couponRule(c), couponScope(c), couponCondition(c)].filter(Boolean).join(' · ');
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
        h('div', { class: 'wallet-rule' }, rule),
        h('div', { class: 'wallet-exp' }, expired ? '已过期' : typeof x.expires_at === 'number' ? '有效期至 ' + fmtTime(x.expires_at).slice(0, 5) : '')
      )
    );
  }

  function draw() {
    const all = Array.from(items.values()).sort((a, b) => (a.expires_at || 0) - (b.expires_at || 0));
    els.list.replaceChildren(...all.map(row));
    els.empty.hidden = all.length > 0;
    setCount(els.count, all.length);
    els.btn.hidden = all.length === 0;
    els.btn.setAttribute('aria-label', '我的券，' + all.length + '张');
  }

  function refresh() {
    if (loading) return loading;
    loading = loadWallet(room)
      .then((list) => {
        if (!list) return; // keep what is shown; the next opening asks again
        items.clear();
        for (const x of list) items.set(x.grant_id, x);
        loadedAt = Date.now();
        stale = false;
        draw();
      })
      .finally(() => {
        loading = null;
      });
    return loading;
  }

  ctx.wallet = {
    /** A claim was granted: `grant` from its ack ({grant_id, coupon_id, expires_at}), `coupon` from the card. */
    add(grant, coupon) {
      if (!grant || !grant.grant_id) return;
      if (coupon && coupon.id) known.set(coupon.id, coupon);
      items.set(grant.grant_id, Object.assign({}, grant, { coupon: coupon || null }));
      draw();
    },
    refresh,
  };
  room.on('ack', (m) => {
    if (m && m.order && !m.error) stale = true; // an order may have used a coupon
  });
  room.on('welcome', () => refresh());
}
