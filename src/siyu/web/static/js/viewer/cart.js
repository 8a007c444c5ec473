/**
 * @module viewer/cart
 * 小黄车: the bag button (bottom left, with the number of products) and the sheet listing the room's
 * products by link number (`GET /api/rooms/{id}/products`): 3号, short name, live price, struck list
 * price, 讲解中 on the one being presented, 去抢购 to open its sheet (viewer/product-sheet.js).
 * `stock` messages update the counts and `pin` / `state.pinned` which one is 讲解中, live.
 * Sets ctx.products (id → item) and ctx.openProduct(id).
 */

import { h, setCount } from '../ui/dom.js';
import { fmtPrice } from '../ui/format.js';
import { createSheet } from '../ui/sheet.js';
import { toast } from '../ui/toast.js';
import { installProductSheet } from './product-sheet.js';

/** @param {object} ctx the viewer page (see viewer.js) */
export function installCart(ctx) {
  const { room, els } = ctx;
  const byId = new Map();
  let items = [];
  let pinnedId = null;
  let loading = null;
  let during = null; // stock messages that came while the list was loading (newer than it, or equal)

  ctx.products = byId;
  const productSheet = installProductSheet(ctx);
  const sheet = createSheet(els.cartSheet, { onOpen: () => load() });
  els.cartBtn.addEventListener('click', () => sheet.open());

  function setItems(list) {
    items = list.filter((p) => p && p.id != null).sort((a, b) => (Number(a.link_no) || 0) - (Number(b.link_no) || 0));
    byId.clear();
    for (const p of items) {
      p.stock = p.stock && typeof p.stock === 'object' ? p.stock : {};
      byId.set(String(p.id), p);
    }
    if (pinnedId !== null) for (const p of items) p.explaining = String(p.id) === pinnedId;
    draw();
  }

  function load() {
    if (loading) return loading;
    els.cartEmpty.textContent = '加载中…';
    els.cartEmpty.hidden = items.length > 0;
    during = [];
    loading = fetch('/api/rooms/' + encodeURIComponent(room.roomId) + '/products', { headers: { Accept: 'application/json' } })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error('HTTP ' + r.status))))
      .then((body) => {
        setItems(Array.isArray(body && body.items) ? body.items : []);
        for (const m of during || []) applyStock(m);
      })
      .catch(() => {
        if (!items.length) els.cartEmpty.textContent = '商品加载失败，稍后再试';
      })
      .finally(() => {
        loading = null;
        during = null;
      });
    return loading;
  }

  function row(p) {
    const li = h(
      'li',
      { class: 'cart-item' + (p.explaining ? ' explaining' : ''), dataset: { productId: p.id, linkNo: p.link_no } },
      h('div', { class: 'cart-thumb' }, h('span', { class: 'cart-no' }, p.link_no != null ? p.link_no + '号' : '')),
      h(
        'div',
        { class: 'cart-info' },
        h('div', { class: 'cart-name', title: p.name || '' }, p.explaining ? h('span', { class: 'explaining-tag' }, '讲解中') : null, p.short_name || p.name || p.id),
        h(
          'div',
          { class: 'pin-prices' },
          h('span', { class: 'pin-live-price' }, '¥', h('b', null, fmtPrice(p.live_price != null ? p.live_price : p.price))),
          p.live_price != null && p.price !== p.live_price ? h('s', { class: 'cart-price' }, '¥' + fmtPrice(p.price)) : null
        )
      ),
      h('button', { class: 'pin-buy cart-buy', type: 'button', dataset: { productId: p.id } }, soldOut(p) ? '已售罄' : '去抢购')
    );
    return li;
  }

  const soldOut = (p) => {
    const counts = Object.values(p.stock || {});
    return counts.length > 0 && counts.every((n) => !(n > 0));
  };

  function draw() {
    setCount(els.cartCount, items.length);
    els.cartBtn.setAttribute('aria-label', '小黄车，' + items.length + '件商品');
    els.cartTotal.textContent = items.length ? '共' + items.length + '件' : '';
    els.cartList.replaceChildren(...items.map(row));
    els.cartEmpty.hidden = items.length > 0;
    if (!items.length && !loading) els.cartEmpty.textContent = '主播还没有上架商品';
  }

  els.cartList.addEventListener('click', (e) => {
    const btn = e.target.closest('.cart-buy');
    if (btn) productSheet.open(byId.get(btn.dataset.productId));
  });

  /** Open a product's sheet (from the pinned card's 去抢购 too); loads the list first if needed. */
  ctx.openProduct = async (id) => {
    if (!byId.has(String(id))) await load();
    const p = byId.get(String(id));
    if (p) productSheet.open(p);
    else toast('商品信息加载中，请稍后再试');
  };

  function setPinned(product) {
    pinnedId = product && product.id != null ? String(product.id) : '';
    let changed = false;
    for (const p of items) {
      const now = String(p.id) === pinnedId;
      if (!!p.explaining !== now) changed = true;
      p.explaining = now;
    }
    if (changed) draw();
  }

  room.on('state', (st) => {
    if (st && 'pinned' in st) setPinned(st.pinned);
  });
  room.on('pin', (m) => setPinned(m.product));
  room.on('stock', (m) => {
    if (during) during.push(m);
    applyStock(m);
  });
  function applyStock(m) {
    const p = m.product_id != null ? byId.get(String(m.product_id)) : null;
    if (!p || typeof m.count !== 'number') return;
    p.stock[(m.color || '') + '/' + (m.size || '')] = Math.max(0, m.count);
    const li = els.cartList.querySelector('li[data-product-id="' + CSS.escape(String(p.id)) + '"]');
    if (li) li.replaceWith(row(p));
    productSheet.stockChanged(p);
  }
  // The list (and the bag's count) is fetched on entry, and again after a reconnect: counts missed
  // while away come back too.
  room.on('welcome', () => load());
}
