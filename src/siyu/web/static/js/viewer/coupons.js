/**
 * @module viewer/coupons
 * Coupon drops on the viewer page: a one-tap card in the dock (viewer/acts.js) for each drop — the
 * `coupon_card` room message, a personal card (`personal: true`, only to this viewer), and the live
 * drops of `state.coupons` on entry — with the deal (满199减20 / 立减 / 折), its rule, how many are left
 * (`coupon_left`), and a countdown to `until` (server time; a personal card counts `countdown_s` from
 * when it is shown). 领取 sends `claim`: one cid per card until a final answer, so tapping again (or a
 * reconnect) re-sends the same claim and never makes a second one. A grant goes to 我的券 (ctx.wallet);
 * a refusal shows its zh-CN text (from GET /api/protocol) and the card says why (已抢光, 已结束 …).
 */

import { h } from '../ui/dom.js';
import { toast } from '../ui/toast.js';
import { canAct } from '../ui/errors.js';
import { serverClock } from '../core/clock.js';
import { everySecond, fmtLeft } from '../ui/countdown.js';
import { couponCondition, couponDeal, couponFace, couponRule, couponScope } from '../ui/coupon-text.js';
import { dockOf } from './acts.js';

/** A refusal that settles the card for good: the state it puts the card in. */
const FINAL = {
  'coupon.sold_out': 'sold_out',
  'coupon.limit': 'claimed',
  'coupon.expired': 'expired',
  'coupon.condition': 'blocked',
  'coupon.unknown': 'gone',
};
/** Answers after which the claim may have happened: try again with the SAME cid (the server answers it). */
const SAME_CID = new Set(['timeout', 'not_connected', 'store_unavailable', 'internal']);

const BUTTON = { open: '领取', claiming: '领取中', claimed: '已领取', sold_out: '已抢光', expired: '已结束', blocked: '不可领', gone: '已失效' };
const CHIP = { claimed: '已领取', sold_out: '已抢光', expired: '已结束', blocked: '不可领', gone: '已失效' };

const COLLAPSE_AFTER_SETTLED_MS = 2500;
const REMOVE_ENDED_MS = 5000;

/** @param {object} ctx the viewer page (see viewer.js) */
export function installCoupons(ctx) {
  const { room, protocol } = ctx;
  const dock = dockOf(ctx);
  const clock = serverClock(room);
  /** @type {Map<string, object>} batch id -> card */
  const cards = new Map();
  let stopTicking = null;

  const key = (batchId) => 'coupon:' + batchId;

  /** Milliseconds left on the card's clock. */
  function msLeft(card) {
    return card.deadline != null ? card.deadline - Date.now() : card.until - clock.now();
  }

  function build(card) {
    const c = card.coupon;
    const face = couponFace(c);
    const cond = couponCondition(c);
    card.els = {
      button: h('button', { class: 'coupon-claim', type: 'button' }),
      left: h('span', { class: 'coupon-left' }),
      time: h('span', { class: 'coupon-time' }),
      chipText: h('span', { class: 'chip-text' }),
    };
    const full = h(
      'div',
      { class: 'act-full coupon-full' },
      h(
        'div',
        { class: 'coupon-stub' },
        card.personal ? h('span', { class: 'coupon-tag' }, '专属') : null,
        h('span', { class: 'coupon-face' }, h('b', { class: 'coupon-value' }, face.value), h('span', { class: 'coupon-unit' }, face.unit)),
        h('span', { class: 'coupon-rule' }, couponRule(c).split(' · ')[0])
      ),
      h(
        'div',
        { class: 'coupon-info' },
        h('div', { class: 'coupon-name', title: c.name || '' }, c.name || couponDeal(c)),
        h('div', { class: 'coupon-meta' }, [couponScope(c)].concat(couponRule(c).split(' · ').slice(1), cond ? [cond] : []).filter(Boolean).join(' · ')),
        h('div', { class: 'coupon-meta' }, card.els.left, card.els.time)
      ),
      card.els.button,
      h('button', { class: 'act-collapse', type: 'button', 'aria-label': '收起', title: '收起' }, h('span', { 'aria-hidden': 'true' }, '⌄'))
    );
    const chip = h('button', { type: 'button', 'aria-label': '优惠券 ' + couponDeal(c) }, h('span', { class: 'chip-icon', 'aria-hidden': 'true' }, '券'), card.els.chipText);
    card.els.button.addEventListener('click', () => claim(card));
    return { full, chip };
  }

  function draw(card) {
    const el = card.el;
    if (!el) return;
    el.dataset.state = card.state;
    el.dataset.batchId = card.batchId;
    el.dataset.personal = card.personal ? 'true' : 'false';
    const b = card.els.button;
    b.textContent = BUTTON[card.state] || '领取';
    b.disabled = card.state !== 'open';
    b.setAttribute('aria-busy', card.state === 'claiming' ? 'true' : 'false');
    const left = card.left;
    el.dataset.left = left == null ? '' : String(left);
    card.els.left.textContent = left == null ? '共' + card.quantity + '张' : left > 0 ? '剩' + left + '张' : '已抢光';
    const live = card.state === 'open' || card.state === 'claiming';
    card.els.time.textContent = live ? ' · ' + fmtLeft(msLeft(card)) + ' 后结束' : '';
    card.els.chipText.textContent = CHIP[card.state] || couponDeal(card.coupon) + ' ' + fmtLeft(msLeft(card));
  }

  function setState(card, state) {
    card.state = state;
    draw(card);
    if (state === 'claimed' || state === 'sold_out' || state === 'blocked') {
      // settled: folds to its chip, and leaves the dock when the drop's time is up (tick)
      setTimeout(() => dock.collapse(key(card.batchId)), COLLAPSE_AFTER_SETTLED_MS);
    } else if (state === 'expired' || state === 'gone') {
      clearTimeout(card.removeTimer);
      card.removeTimer = setTimeout(() => drop(card), REMOVE_ENDED_MS);
    }
  }

  function drop(card) {
    cards.delete(card.batchId);
    dock.remove(key(card.batchId));
    if (!cards.size && stopTicking) {
      stopTicking();
      stopTicking = null;
    }
  }

  /** Every second: countdowns; a card whose time is up ends (a claimed one leaves the dock). */
  function tick() {
    for (const card of Array.from(cards.values())) {
      if (msLeft(card) <= 0) {
        if (card.state === 'open') setState(card, 'expired');
        else if (card.state !== 'claiming' && card.state !== 'expired' && card.state !== 'gone') drop(card);
      }
      draw(card);
    }
  }

  /** Show a drop (a card message or a `state.coupons` entry); nothing when it is shown already. */
  function show(m, { open = true, fromState = false } = {}) {
    if (!m || typeof m.batch_id !== 'string' || !m.coupon) return null;
    let card = cards.get(m.batch_id);
    if (card) {
      if (fromState) card.inState = true;
      return card;
    }
    card = {
      batchId: m.batch_id,
      coupon: m.coupon,
      quantity: Number(m.quantity) || 0,
      left: typeof m.left === 'number' ? m.left : null,
      until: Number(m.until) || 0,
      deadline: m.personal && typeof m.countdown_s === 'number' ? Date.now() + m.countdown_s * 1000 : null,
      personal: !!m.personal,
      state: 'open',
      cid: null,
      inState: fromState,
    };
    if (msLeft(card) <= 0) return null;
    cards.set(card.batchId, card);
    const { full, chip } = build(card);
    card.el = dock.add(key(card.batchId), { kind: 'coupon', full, chip, open });
    if (card.left === 0) setState(card, 'sold_out');
    else draw(card);
    if (!stopTicking) stopTicking = everySecond(tick);
    return card;
  }

  async function claim(card) {
    if (card.state !== 'open' || card.inflight) return; // one claim in flight per card
    if (!canAct(room)) return;
    card.inflight = true;
    if (!card.cid) card.cid = room.requests.nextCid('q');
    setState(card, 'claiming');
    const res = await room.request({ type: 'claim', batch_id: card.batchId, cid: card.cid });
    card.inflight = false;
    if (res.ok) {
      const grant = res.ack && res.ack.grant;
      setState(card, 'claimed');
      if (grant && ctx.wallet) ctx.wallet.add(grant, card.coupon);
      toast('领取成功，已放入我的券', 'ok');
      return;
    }
    const err = res.error || {};
    const final = FINAL[err.code];
    toast(protocol.errorText(err), final === 'claimed' ? 'info' : 'error');
    if (final) {
      setState(card, final);
      return;
    }
    if (!SAME_CID.has(err.code)) card.cid = null; // refused before it was handled: a new claim next time
    setState(card, msLeft(card) > 0 ? 'open' : 'expired');
  }

  room.on('coupon_card', (m) => show(m, { open: true }));

  room.on('coupon_left', (m) => {
    const card = cards.get(m.batch_id);
    if (!card || typeof m.left !== 'number') return;
    card.left = Math.max(0, m.left);
    if (card.left === 0 && card.state === 'open') setState(card, 'sold_out');
    else draw(card);
  });

  room.on('state', (st) => {
    if (!st || !Array.isArray(st.coupons)) return;
    const live = new Set();
    st.coupons.forEach((d, i) => {
      live.add(d.batch_id);
      show(d, { open: i === st.coupons.length - 1 && !cards.has(d.batch_id), fromState: true });
    });
    // A room drop the state listed before and lists no more has closed (whatever this clock says).
    for (const card of Array.from(cards.values())) {
      if (!card.personal && card.inState && !live.has(card.batchId) && card.state === 'open') setState(card, 'expired');
    }
  });
}
