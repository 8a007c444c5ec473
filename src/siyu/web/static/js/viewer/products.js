/**
 * @module viewer/products
 * The pinned product card on the viewer page (from `state.pinned` and `pin` messages, with a line
 * "🛍 主播正在讲解 1号链接：碎花连衣裙"), its stock notes (`stock` messages) and its 去抢购, which opens the
 * product's sheet (colours, sizes, stock; see viewer/cart.js).
 */

import { h } from '../ui/dom.js';
import { renderPinned, renderStock } from '../ui/product-card.js';
import { StockBook } from '../core/stock-book.js';

/** @param {object} ctx the viewer page (see viewer.js) */
export function installProducts(ctx) {
  const { room, els, list } = ctx;
  const stock = new StockBook();
  const show = (card) => renderPinned(els.pinned, card || null, { buy: true, stock });

  room.on('state', (st) => {
    if (st && 'pinned' in st) show(st.pinned);
  });

  room.on('pin', (m) => {
    const p = m.product;
    show(p);
    list.add(
      h(
        'li',
        { class: 'msg system', dataset: { seq: m.seq, type: 'pin' } },
        p ? '🛍 主播正在讲解 ' + p.link_no + '号链接：' + (p.short_name || p.name) : '主播结束了商品讲解'
      ),
      false
    );
  });

  room.on('stock', (m) => {
    if (stock.update(m) && els.pinned.dataset.productId === String(m.product_id)) renderStock(els.pinned, stock);
  });

  els.pinned.addEventListener('click', (e) => {
    if (e.target && e.target.closest && e.target.closest('.pin-buy') && els.pinned.dataset.productId) {
      ctx.openProduct(els.pinned.dataset.productId);
    }
  });
}
