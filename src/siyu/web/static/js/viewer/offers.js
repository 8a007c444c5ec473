/**
 * @module viewer/offers
 * The cards playbooks (and the service layer) push to the viewer, above the pinned product in the shelf:
 *
 * - a personal `card` (`to: "user"`, only this viewer gets it): 专属福利 with its title, the benefit text
 *   (or the product's name and live price) and a countdown of `seconds` that starts when the card shows;
 * - the room `card` (a sequenced room message, everyone gets it): 主播推荐 with the product, counting down to
 *   `until` (server time) or, when `until` is null, `seconds` from when it shows.
 *
 * A card with a product has 领取 (a benefit) or 去看看, which opens the product's sheet (ctx.openProduct);
 * × closes it; it goes when its countdown ends. One card of each kind at a time: a new one replaces it.
 */

import { $, h } from '../ui/dom.js';
import { fmtPrice } from '../ui/format.js';
import { everySecond, fmtLeft } from '../ui/countdown.js';

/** @param {object} ctx the viewer page (see viewer.js) */
export function installOffers(ctx) {
  const { room } = ctx;
  const box = h('div', { id: 'offer-cards', class: 'offer-cards', 'aria-live': 'polite' });
  const shelf = document.querySelector('.shelf-cards') || $('app');
  shelf.insertBefore(box, shelf.firstChild);
  const cards = { personal: null, room: null }; // {el, ends (local ms) | null, productId}
  let skew = 0; // server clock - this clock
  let stopTicker = null;

  function countdownLeft(c) {
    return c.ends == null ? null : c.ends - Date.now();
  }

  function tick() {
    for (const kind of Object.keys(cards)) {
      const c = cards[kind];
      if (!c) continue;
      const left = countdownLeft(c);
      if (left != null && left <= 0) remove(kind);
      else if (left != null) c.clock.textContent = fmtLeft(left);
    }
    if (!cards.personal && !cards.room && stopTicker) {
      stopTicker();
      stopTicker = null;
    }
  }

  function remove(kind) {
    const c = cards[kind];
    if (!c) return;
    cards[kind] = null;
    c.el.remove();
  }

  /** Show a card: kind 'personal' | 'room'; ends: when it ends on this clock (ms) or null. */
  function show(kind, { title, benefit, product, ends, seq }) {
    remove(kind);
    const p = product && product.id != null ? product : null;
    const clock = h('span', { class: 'offer-clock' }, ends != null ? fmtLeft(ends - Date.now()) : '');
    const what = benefit || (p ? (p.link_no != null ? p.link_no + '号 ' : '') + (p.short_name || p.name || '') : '');
    const el = h(
      'div',
      {
        class: 'offer-card',
        role: 'group',
        'aria-label': kind === 'personal' ? '专属福利' : '主播推荐',
        dataset: { kind, productId: p ? p.id : null, benefit: benefit ? 'true' : null, seq },
      },
      h('div', { class: 'offer-tag' }, kind === 'personal' ? '专属福利' : '主播推荐'),
      h(
        'div',
        { class: 'offer-body' },
        h('div', { class: 'offer-title' }, title || (p ? p.short_name || p.name : '') || '福利'),
        what && what !== title ? h('div', { class: 'offer-benefit' }, what) : null,
        h(
          'div',
          { class: 'offer-meta' },
          p && p.live_price != null ? h('span', { class: 'offer-price' }, '¥' + fmtPrice(p.live_price)) : null,
          ends != null ? h('span', { class: 'offer-left' }, '剩 ', clock) : null
        )
      ),
      p ? h('button', { class: 'offer-go', type: 'button' }, benefit ? '领取' : '去看看') : null,
      h('button', { class: 'offer-close', type: 'button', 'aria-label': '关闭' }, '×')
    );
    cards[kind] = { el, ends, clock, productId: p ? String(p.id) : null };
    if (kind === 'personal') box.insertBefore(el, box.firstChild);
    else box.appendChild(el);
    if (ends != null && !stopTicker) stopTicker = everySecond(tick);
  }

  room.on('welcome', (m) => {
    if (typeof m.ts === 'number') skew = m.ts - Date.now();
  });
  room.on('card', (m) => {
    const seconds = Number(m.seconds) > 0 ? Number(m.seconds) : null;
    if (m.to === 'user') {
      // A playbook's card for me: its countdown starts now, when I see it.
      show('personal', { title: m.title, benefit: m.benefit, product: m.product, ends: seconds ? Date.now() + seconds * 1000 : null });
      return;
    }
    if (typeof m.ts === 'number') skew = m.ts - Date.now();
    let ends = null;
    if (typeof m.until === 'number') ends = m.until - skew;
    else if (seconds) ends = Date.now() + seconds * 1000;
    if (ends != null && ends <= Date.now()) return; // over before it arrived (a late replay)
    show('room', { title: m.title, product: m.product, ends, seq: m.seq });
  });

  box.addEventListener('click', (e) => {
    const el = e.target.closest && e.target.closest('.offer-card');
    if (!el) return;
    const kind = el.dataset.kind;
    if (e.target.closest('.offer-close')) remove(kind);
    else if (e.target.closest('.offer-go') && el.dataset.productId) ctx.openProduct(el.dataset.productId);
  });
}
