/**
 * @module viewer/product-sheet
 * One product's sheet (from 去抢购): colours and sizes as chips with the stock of each (a sold-out
 * chip is disabled, 仅剩N件 when 10 or fewer are left), kept live by `stock` messages through
 * stockChanged(); the buying part (quantity, price with the best coupon, 立即购买) is viewer/checkout.js.
 * A product on a live flash sale shows its 秒杀价.
 */

import { h } from '../ui/dom.js';
import { fmtPrice } from '../ui/format.js';
import { createSheet } from '../ui/sheet.js';
import { createCheckout } from './checkout.js';

const LOW = 10;

/** The stock of a colour (size null: all sizes) or a size (colour null: all colours); null if unknown. */
export function stockOf(p, color, size) {
  let total = null;
  for (const [key, n] of Object.entries(p.stock || {})) {
    const i = key.lastIndexOf('/');
    const c = key.slice(0, i);
    const s = key.slice(i + 1);
    if ((color == null || c === color) && (size == null || s === size)) total = (total || 0) + Math.max(0, Number(n) || 0);
  }
  return total;
}

function stockNote(n) {
  if (n == null) return '';
  if (n === 0) return '售罄';
  return n <= LOW ? '仅剩' + n + '件' : '有货';
}

/** @param {object} ctx the viewer page (see viewer.js) */
export function installProductSheet(ctx) {
  const { els, room } = ctx;
  const sheet = createSheet(els.skuSheet);
  const checkout = createCheckout(ctx, sheet);
  let product = null;
  let color = null;
  let size = null;

  function chip(kind, value, n) {
    const selected = kind === 'color' ? value === color : value === size;
    const note = stockNote(n);
    return h(
      'button',
      {
        class: 'chip' + (selected ? ' selected' : '') + (n === 0 ? ' sold-out' : n != null && n <= LOW ? ' low' : ''),
        type: 'button',
        disabled: n === 0,
        'aria-pressed': selected ? 'true' : 'false',
        dataset: { kind, value, stock: n },
      },
      h('span', { class: 'chip-label' }, value),
      note ? h('span', { class: 'chip-stock' }, note) : null
    );
  }

  function draw() {
    const p = product;
    const colors = Array.isArray(p.colors) ? p.colors : [];
    const sizes = Array.isArray(p.sizes) ? p.sizes : [];
    // a choice that sold out meanwhile is dropped
    if (color != null && stockOf(p, color, null) === 0) color = null;
    if (size != null && stockOf(p, color, size) === 0) size = null;
    els.skuSheet.dataset.productId = p.id;
    els.skuThumb.replaceChildren(h('span', { class: 'pin-thumb-no' }, p.link_no + '号'));
    els.skuName.textContent = p.short_name || p.name || p.id;
    els.skuName.title = p.name || '';
    const flash = ctx.flash ? ctx.flash.live(p.id) : null;
    const prices = [
      flash ? h('span', { class: 'pin-live-price flash-price' }, '秒杀价 ¥', h('b', null, fmtPrice(flash.price))) : null,
      h(flash ? 's' : 'span', { class: 'pin-live-price' }, '直播价 ¥', h('b', null, fmtPrice(p.live_price != null ? p.live_price : p.price))),
      p.live_price != null && p.live_price !== p.price ? h('span', { class: 'pin-price' }, '原价 ', h('s', null, '¥' + fmtPrice(p.price))) : null,
    ];
    els.skuPrices.replaceChildren(...prices.filter(Boolean));
    els.skuColors.replaceChildren(...colors.map((c) => chip('color', c, stockOf(p, c, null))));
    els.skuSizes.replaceChildren(...sizes.map((s) => chip('size', s, stockOf(p, color, s))));
    const picked = [color, size].filter((x) => x != null);
    const left = color != null && size != null ? stockOf(p, color, size) : null;
    els.skuPicked.textContent = picked.length
      ? '已选：' + picked.join(' / ') + (left != null ? '（' + stockNote(left) + '）' : '')
      : '请选择颜色和尺码';
    checkout.choose(p, color, size);
  }

  function onPick(e) {
    const btn = e.target.closest('.chip');
    if (!btn || btn.disabled) return;
    const value = btn.dataset.value;
    if (btn.dataset.kind === 'color') color = color === value ? null : value;
    else size = size === value ? null : value;
    draw();
  }
  els.skuColors.addEventListener('click', onPick);
  els.skuSizes.addEventListener('click', onPick);

  return {
    open(p) {
      if (!p) return;
      if (!product || String(product.id) !== String(p.id)) {
        color = null;
        size = null;
      }
      product = p;
      draw();
      sheet.open();
    },
    /** The product's counts changed (a `stock` message): redraw when it is the one shown. */
    stockChanged(p) {
      if (product && String(product.id) === String(p.id)) {
        product = p;
        if (sheet.isOpen) draw();
      }
    },
  };
}
