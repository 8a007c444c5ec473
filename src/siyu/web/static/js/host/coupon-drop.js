/**
 * @module host/coupon-drop
 * 发券 from the console: a dialog to pick one of the shop's coupons (host/shop-coupons.js), the
 * quantity (default: the coupon's total), how long it can be claimed, and whether it goes to the whole
 * room or to one viewer seen in the room (a personal card, `to_user`); it sends `coupon_push`. Each
 * live room drop then shows in the strip above the composer (#acts-live): 已领 / 剩 from `coupon_left`,
 * a progress bar and the countdown; a personal card shows who it went to. The live drops on entry
 * come from `state.coupons` (with a `coupon_left` each right after the welcome).
 */

import { $, h } from '../ui/dom.js';
import { toast } from '../ui/toast.js';
import { canAct } from '../ui/errors.js';
import { serverClock } from '../core/clock.js';
import { everySecond, fmtLeft } from '../ui/countdown.js';
import { couponCondition, couponDeal, couponRule, couponScope } from '../ui/coupon-text.js';
import { setBar } from '../ui/tally.js';
import { createDialog, field, select, DURATIONS } from './dialog.js';
import { audienceOf } from './audience.js';
import { shopCoupons } from './shop-coupons.js';

const MAX_QUANTITY = 100000;
const KEEP_ENDED = 3; // ended drops kept in the strip (the host closes them with ×)

/** @param {object} ctx the host console (see host.js) */
export function installCouponDrop(ctx) {
  const { room, protocol } = ctx;
  const strip = $('acts-live');
  const clock = serverClock(room);
  const audience = audienceOf(ctx);
  let coupons = null; // the shop's coupons, loaded when the dialog first opens
  const drops = new Map(); // batch id -> live drop

  // --- the dialog -------------------------------------------------------------------------------

  const f = {
    coupon: select('coupon-pick', []),
    about: h('div', { class: 'dialog-hint', id: 'coupon-about' }),
    whole: h('input', { type: 'radio', name: 'coupon-to', value: 'room', id: 'coupon-to-room', checked: true }),
    one: h('input', { type: 'radio', name: 'coupon-to', value: 'user', id: 'coupon-to-user' }),
    viewer: select('coupon-viewer', []),
    viewerHint: h('div', { class: 'dialog-hint' }),
    quantity: h('input', { id: 'coupon-qty', class: 'text-input dialog-num', type: 'number', min: 1, max: MAX_QUANTITY, step: 1, inputmode: 'numeric' }),
    seconds: select('coupon-secs', DURATIONS, 60),
  };
  const viewerRow = field('观众', f.viewer, f.viewerHint);
  const quantityRow = field('数量', f.quantity, h('span', { class: 'dialog-unit' }, '张'));
  const dialog = createDialog({ id: 'coupon-dialog', title: '发券', action: '发券', onSubmit: push, onOpen: prepare });
  dialog.body.append(
    field('优惠券', f.coupon, f.about),
    field(
      '发给',
      h('label', { class: 'dialog-radio' }, f.whole, '全场观众'),
      h('label', { class: 'dialog-radio' }, f.one, '指定观众（专属券）')
    ),
    viewerRow,
    quantityRow,
    field('领取时长', f.seconds)
  );

  const picked = () => (coupons || []).find((c) => c.id === f.coupon.value) || null;
  const personal = () => f.one.checked;

  function describe() {
    const c = picked();
    if (!c) {
      f.about.textContent = coupons && !coupons.length ? '这个店铺还没有配置优惠券' : '';
      return;
    }
    const cond = couponCondition(c);
    const parts = [couponRule(c), couponScope(c), '每人限领' + (c.per_user_limit || 1) + '张'];
    if (c.valid_minutes) parts.push('领取后' + c.valid_minutes + '分钟内有效');
    if (cond) parts.push(cond);
    f.about.textContent = parts.join(' · ');
    if (!f.quantity.dataset.touched) f.quantity.value = String(c.total || 100);
  }

  function drawTarget() {
    viewerRow.hidden = !personal();
    quantityRow.hidden = personal(); // a personal card: the coupon's per-user limit
    const people = audience.list();
    f.viewer.replaceChildren(...people.map((u) => h('option', { value: u.id }, (u.nick || u.id) + (u.nick && u.nick !== u.id ? '（' + u.id + '）' : ''))));
    f.viewer.disabled = !people.length;
    f.viewerHint.textContent = people.length ? '' : '还没有看到观众：观众进场或发评论后会出现在这里';
  }

  async function loadCoupons() {
    const list = await shopCoupons(room);
    if (!list) {
      f.about.textContent = '优惠券加载失败，请关闭后重试';
      return;
    }
    coupons = list;
    f.coupon.replaceChildren(...coupons.map((c) => h('option', { value: c.id }, c.name + ' · ' + couponDeal(c))));
    describe();
  }

  function prepare() {
    if (!coupons) loadCoupons();
    drawTarget();
  }

  f.coupon.addEventListener('change', () => {
    delete f.quantity.dataset.touched;
    describe();
  });
  f.quantity.addEventListener('input', () => (f.quantity.dataset.touched = '1'));
  f.whole.addEventListener('change', drawTarget);
  f.one.addEventListener('change', drawTarget);

  async function push() {
    const c = picked();
    if (!c) return toast('请选择一张优惠券', 'error');
    const frame = { type: 'coupon_push', coupon_id: c.id, seconds: Number(f.seconds.value) || 60 };
    let to = null;
    if (personal()) {
      to = audience.list().find((u) => u.id === f.viewer.value) || null;
      if (!to) return toast('请选择要发给的观众', 'error');
      frame.to_user = to.id;
    } else {
      const q = Number(f.quantity.value);
      if (!Number.isInteger(q) || q < 1 || q > MAX_QUANTITY) return toast('数量需为 1–100000 的整数', 'error');
      frame.quantity = q;
    }
    if (!canAct(room)) return;
    dialog.busy(true);
    const res = await room.request(frame);
    dialog.busy(false);
    if (!res.ok) return toast(protocol.errorText(res.error), 'error');
    dialog.close();
    if (to) {
      toast('已发给 ' + (to.nick || to.id), 'ok');
      const batchId = 'to:' + to.id + ':' + res.cid;
      show({ batch_id: batchId, coupon: c, quantity: c.per_user_limit || 1, until: clock.now() + frame.seconds * 1000 }, to);
    } else {
      toast('已发券：' + c.name, 'ok');
    }
  }

  $('coupon-open-btn').addEventListener('click', () => dialog.open());

  // --- the live drops ---------------------------------------------------------------------------

  function draw(d) {
    const left = d.left == null ? d.quantity : d.left;
    const claimed = Math.max(0, d.quantity - left);
    const ended = clock.now() >= d.until;
    d.el.dataset.state = ended ? 'ended' : left === 0 ? 'sold_out' : 'live';
    d.el.dataset.left = String(left);
    d.el.dataset.claimed = String(claimed);
    if (d.to) {
      d.figs.textContent = '专属券 → ' + (d.to.nick || d.to.id) + (ended ? ' · 已结束' : ' · 已发送 · ' + fmtLeft(d.until - clock.now()));
      return;
    }
    setBar(d.bar, d.quantity ? (claimed * 100) / d.quantity : 0);
    const when = ended ? '已结束' : left === 0 ? '已抢光' : fmtLeft(d.until - clock.now());
    d.figs.replaceChildren('已领 ', h('b', { class: 'ld-claimed' }, String(claimed)), ' / ' + d.quantity + ' · 剩 ', h('b', { class: 'ld-left' }, String(left)), ' · ' + when);
  }

  function tick() {
    for (const d of drops.values()) if (!d.over) draw(d);
    const ended = Array.from(drops.values()).filter((d) => clock.now() >= d.until);
    for (const d of ended) d.over = true;
    for (const d of ended.slice(0, Math.max(0, ended.length - KEEP_ENDED))) remove(d);
  }

  function remove(d) {
    drops.delete(d.batchId);
    d.el.remove();
    strip.hidden = !strip.children.length;
  }

  function show(m, to) {
    if (!m || typeof m.batch_id !== 'string' || drops.has(m.batch_id) || !m.coupon) return;
    const c = m.coupon;
    const d = { batchId: m.batch_id, coupon: c, quantity: Number(m.quantity) || 0, left: typeof m.left === 'number' ? m.left : null, until: Number(m.until) || 0, to: to || null };
    d.bar = h('div', { class: 'ld-bar' });
    d.figs = h('div', { class: 'ld-figs' });
    d.el = h(
      'div',
      { class: 'live-act live-drop' + (to ? ' personal' : ''), dataset: { batchId: d.batchId, couponId: c.id } },
      h('span', { class: 'la-icon', 'aria-hidden': 'true' }, '券'),
      h('div', { class: 'la-main' }, h('div', { class: 'la-title' }, c.name, h('span', { class: 'la-sub' }, couponDeal(c))), to ? null : d.bar, d.figs),
      h('button', { class: 'la-close', type: 'button', 'aria-label': '移除', title: '从这里移除（不影响领券）' }, '×')
    );
    d.el.querySelector('.la-close').addEventListener('click', () => remove(d));
    drops.set(d.batchId, d);
    strip.prepend(d.el);
    strip.hidden = false;
    draw(d);
  }

  everySecond(tick);
  room.on('coupon_card', (m) => {
    if (!m.personal) show(m);
  });
  room.on('coupon_left', (m) => {
    const d = drops.get(m.batch_id);
    if (d && typeof m.left === 'number') {
      d.left = Math.max(0, m.left);
      draw(d);
    }
  });
  room.on('state', (st) => {
    if (st && Array.isArray(st.coupons)) for (const d of st.coupons) show(d);
  });
}
