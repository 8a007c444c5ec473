/**
 * @module viewer/flash
 * 限时秒杀: the flash-sale card above the pinned product (`flash_card` room messages and `state.flash`),
 * with its price, units left (`flash_left`) and a countdown to `until`; 马上抢 opens the product's sheet,
 * which then sells at the sale's price (viewer/checkout.js asks ctx.flash.live(productId)).
 */

import { h } from '../ui/dom.js';
import { fmtPrice } from '../ui/format.js';

/** @param {object} ctx the viewer page (see viewer.js) */
export function installFlash(ctx) {
  const { room, els } = ctx;
  const sales = new Map(); // flash_id -> card (with `left`)
  let ticker = null;
  let skew = 0; // server clock - this clock, from the messages' ts

  const now = () => Date.now() + skew;
  const live = () => Array.from(sales.values()).filter((f) => f.until > now() && f.left > 0);

  ctx.flash = {
    /** The live sale of a product, or null. */
    live(productId) {
      return live().find((f) => String(f.product && f.product.id) === String(productId)) || null;
    },
  };

  function remaining(f) {
    const s = Math.max(0, Math.ceil((f.until - now()) / 1000));
    return String(Math.floor(s / 60)).padStart(2, '0') + ':' + String(s % 60).padStart(2, '0');
  }

  function draw() {
    const f = live().sort((a, b) => a.until - b.until)[0];
    if (!f) {
      els.flashCard.hidden = true;
      els.flashCard.replaceChildren();
      clearInterval(ticker);
      ticker = null;
      return;
    }
    const p = f.product || {};
    els.flashCard.dataset.flashId = f.flash_id;
    els.flashCard.dataset.productId = p.id;
    els.flashCard.replaceChildren(
      h('div', { class: 'flash-tag' }, '限时秒杀'),
      h(
        'div',
        { class: 'flash-body' },
        h('div', { class: 'flash-name' }, (p.link_no != null ? p.link_no + '号 ' : '') + (p.short_name || p.name || '')),
        h(
          'div',
          { class: 'flash-prices' },
          h('span', { class: 'flash-price' }, '¥', h('b', null, fmtPrice(f.price))),
          p.live_price != null ? h('s', { class: 'flash-was' }, '¥' + fmtPrice(p.live_price)) : null
        ),
        h('div', { class: 'flash-meta' }, h('span', { class: 'flash-left' }, '仅剩' + f.left + '件'), ' · ', h('span', { class: 'flash-clock' }, remaining(f)))
      ),
      h('button', { class: 'flash-buy', type: 'button' }, '马上抢')
    );
    els.flashCard.hidden = false;
    if (!ticker) ticker = setInterval(tick, 1000);
  }

  function tick() {
    const clock = els.flashCard.querySelector('.flash-clock');
    const f = sales.get(els.flashCard.dataset.flashId);
    if (!f || f.until <= now()) draw();
    else if (clock) clock.textContent = remaining(f);
  }

  function put(card, ts) {
    if (!card || !card.flash_id) return;
    if (typeof ts === 'number') skew = ts - Date.now();
    const old = sales.get(card.flash_id);
    sales.set(card.flash_id, Object.assign({}, card, { left: old ? Math.min(old.left, card.left) : card.left }));
    draw();
  }

  room.on('state', (st) => {
    if (st && Array.isArray(st.flash)) for (const f of st.flash) put(f, st.ts);
  });
  room.on('flash_card', (m) => put(m, m.ts));
  room.on('flash_left', (m) => {
    const f = sales.get(m.flash_id);
    if (f && typeof m.left === 'number') {
      f.left = m.left;
      draw();
    }
  });
  els.flashCard.addEventListener('click', (e) => {
    if (e.target.closest('.flash-buy') && els.flashCard.dataset.productId) ctx.openProduct(els.flashCard.dataset.productId);
  });
}
