/**
 * @module host/flash
 * 限时秒杀 from the host console: each catalog row's 秒杀 opens a small form (price, units, minutes,
 * per viewer) under the row; 开始秒杀 sends `flash_push`. A live sale shows on its row (秒杀中 ¥price, units
 * left from `flash_left`, the time left) until it ends.
 */

import { h } from '../ui/dom.js';
import { toast } from '../ui/toast.js';

/** @param {object} ctx the host console (see host.js) */
export function installFlash(ctx) {
  const { room, els } = ctx;
  const sales = new Map(); // product id -> the live sale (flash_card fields, `left`)
  let open = null; // {productId, form}: the form being filled survives the catalog's redraws
  let skew = 0;
  const now = () => Date.now() + skew;

  function liveOf(productId) {
    const f = sales.get(String(productId));
    return f && f.until > now() ? f : null;
  }

  function badge(li) {
    const f = liveOf(li.dataset.productId);
    let el = li.querySelector('.flash-live');
    if (!f) {
      if (el) el.remove();
      return;
    }
    const s = Math.max(0, Math.ceil((f.until - now()) / 1000));
    const text = '秒杀中 ¥' + f.price + ' · 剩' + f.left + '/' + f.quantity + '件 · ' + Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
    if (!el) {
      el = h('div', { class: 'flash-live' });
      li.appendChild(el);
    }
    el.textContent = text;
  }

  function decorate() {
    for (const li of els.catalog.querySelectorAll('li.catalog-item')) {
      if (!li.querySelector('.catalog-flash')) {
        li.insertBefore(h('button', { class: 'btn btn-sm catalog-flash', type: 'button', title: '发起限时秒杀' }, '秒杀'), li.lastElementChild);
      }
      badge(li);
      if (open && open.productId === li.dataset.productId && open.form.parentNode !== li) li.appendChild(open.form);
    }
  }

  function close() {
    if (open) open.form.remove();
    open = null;
  }

  function form(li) {
    const same = open && open.productId === li.dataset.productId;
    close();
    if (same) return;
    const price = Number(li.dataset.livePrice || 0);
    const field = (label, name, value, attrs) =>
      h('label', null, label, h('input', Object.assign({ name, type: 'number', value: String(value), required: true }, attrs)));
    const f = h(
      'form',
      { class: 'flash-form' },
      field('秒杀价', 'price', price ? Math.max(1, Math.round(price * 0.8)) : 9.9, { min: '0.01', step: '0.01' }),
      field('件数', 'quantity', 20, { min: '1', max: '100000', step: '1' }),
      field('分钟', 'minutes', 2, { min: '1', max: '60', step: '1' }),
      field('每人限购', 'per_user', 1, { min: '1', max: '10', step: '1' }),
      h('button', { class: 'btn btn-sm btn-primary', type: 'submit' }, '开始秒杀')
    );
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      const v = (n) => Number(f.elements.namedItem(n).value);
      const frame = {
        type: 'flash_push',
        product_id: li.dataset.productId,
        price: v('price'),
        quantity: Math.round(v('quantity')),
        seconds: Math.round(v('minutes') * 60),
        per_user: Math.round(v('per_user')),
      };
      const r = await room.request(frame);
      if (r.ok) {
        toast('秒杀已开始', 'ok');
        if (open && open.form === f) close();
      } else toast((r.error && r.error.message) || '发起失败', 'error');
    });
    open = { productId: li.dataset.productId, form: f };
    li.appendChild(f);
  }

  function put(card, ts) {
    if (!card || !card.product) return;
    if (typeof ts === 'number') skew = ts - Date.now();
    sales.set(String(card.product.id), Object.assign({}, card));
    decorate();
  }

  els.catalog.addEventListener('click', (e) => {
    const btn = e.target.closest('.catalog-flash');
    if (btn) form(btn.closest('li.catalog-item'));
  });
  // the catalog list is redrawn by host/products.js: add the buttons to every new rendering
  new MutationObserver(decorate).observe(els.catalog, { childList: true });
  room.on('state', (st) => {
    if (st && Array.isArray(st.flash)) for (const f of st.flash) put(f, st.ts);
  });
  room.on('flash_card', (m) => put(m, m.ts));
  room.on('flash_left', (m) => {
    for (const f of sales.values()) if (f.flash_id === m.flash_id) f.left = m.left;
    decorate();
  });
  setInterval(() => {
    for (const li of els.catalog.querySelectorAll('li.catalog-item')) badge(li);
  }, 1000);
}
