/**
 * @module ui/product-card
 * The pinned product card ("讲解中 1号", live price, list price, stock notes), on both pages.
 */

import { h } from './dom.js';
import { fmtPrice } from './format.js';

/**
 * Fill `el` with a product card {id, link_no, name, short_name, price, live_price}, or hide it when
 * `card` is null. opts.buy adds the (demo) buy button; opts.stock, a StockBook, adds its notes.
 */
export function renderPinned(el, card, opts = {}) {
  if (!el) return;
  if (!card) {
    el.hidden = true;
    el.replaceChildren();
    delete el.dataset.productId;
    return;
  }
  const linkNo = card.link_no != null ? card.link_no : '';
  el.replaceChildren(
    h('div', { class: 'pin-thumb' }, h('span', { class: 'pin-link' }, '讲解中'), h('span', { class: 'pin-thumb-no' }, linkNo + '号')),
    h(
      'div',
      { class: 'pin-info' },
      h('div', { class: 'pin-name', title: card.name || '' }, card.short_name || card.name || card.id),
      h(
        'div',
        { class: 'pin-prices' },
        h('span', { class: 'pin-live-price' }, '直播价 ¥', h('b', null, fmtPrice(card.live_price))),
        h('span', { class: 'pin-price' }, '原价 ', h('s', null, '¥' + fmtPrice(card.price)))
      ),
      h(
        'div',
        { class: 'pin-foot' },
        h('span', { class: 'pin-no' }, linkNo + '号链接'),
        opts.buy ? h('button', { class: 'pin-buy', type: 'button' }, '去抢购') : null
      )
    )
  );
  el.dataset.productId = card.id;
  el.hidden = false;
  if (opts.stock) renderStock(el, opts.stock);
}

/** (Re)draw the stock line of the card in `el` from a StockBook. */
export function renderStock(el, book) {
  if (!el || !book) return;
  const info = el.querySelector('.pin-info');
  const old = el.querySelector('.pin-stock');
  const notes = el.hidden ? [] : book.notes(el.dataset.productId);
  if (!notes.length) {
    if (old) old.remove();
    return;
  }
  const line = h(
    'div',
    { class: 'pin-stock', dataset: { productId: el.dataset.productId } },
    notes.map((n) => h('span', { class: 'stock-note' + (n.soldOut ? ' sold-out' : '') }, n.text))
  );
  if (old) old.replaceWith(line);
  else if (info) info.appendChild(line);
}
