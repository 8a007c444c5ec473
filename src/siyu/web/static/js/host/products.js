/**
 * @module host/products
 * 商品讲解: the pinned card (from `state.pinned` and `pin` messages, with a stream line), the pin
 * form (置顶 by product id, 取消置顶), recently pinned ids as chips (kept in localStorage per room),
 * and stock notes on the card (`stock` messages).
 */

import { h } from '../ui/dom.js';
import { renderPinned, renderStock } from '../ui/product-card.js';
import { StockBook } from '../core/stock-book.js';
import { toast } from '../ui/toast.js';

const HISTORY_SIZE = 12;

function loadHistory(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || '[]').filter((x) => typeof x === 'string').slice(0, HISTORY_SIZE);
  } catch (_e) {
    return [];
  }
}

/** @param {object} ctx the host console (see host.js) */
export function installProducts(ctx) {
  const { room, protocol, els } = ctx;
  const stock = new StockBook();
  const historyKey = 'siyu.pins.' + room.roomId;
  let history = loadHistory(historyKey);
  let current = null;

  function renderHistory() {
    els.pinHistoryList.replaceChildren(...history.map((id) => h('option', { value: id })));
    els.pinHistory.replaceChildren(
      ...history.map((id) =>
        h('button', { class: 'pin-chip' + (current && current.id === id ? ' current' : ''), type: 'button', dataset: { productId: id }, title: '置顶 ' + id }, id)
      )
    );
  }

  function remember(id) {
    if (!id) return;
    history = [id].concat(history.filter((x) => x !== id)).slice(0, HISTORY_SIZE);
    try {
      localStorage.setItem(historyKey, JSON.stringify(history));
    } catch (_e) {
      /* private mode */
    }
    renderHistory();
  }

  function show(card) {
    current = card || null;
    renderPinned(els.pinned, current, { buy: false, stock });
    els.pinnedNone.hidden = !!current;
    els.pinCurrent.textContent = current ? '讲解中：' + current.id : '';
    if (current) remember(current.id);
    else renderHistory();
  }

  async function pin(id) {
    const res = await room.pin(id);
    if (res.ok) {
      toast(id ? '已置顶 ' + id : '已取消置顶', 'ok');
      if (id) {
        remember(id);
        els.pinInput.value = '';
      }
    } else {
      const extra = res.error && res.error.code === 'unknown_product' ? '：' + id : '';
      toast(protocol.errorText(res.error) + extra, 'error');
    }
  }

  els.pinForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const id = els.pinInput.value.trim();
    if (!id) {
      toast('请输入商品编号，例如 P03');
      els.pinInput.focus();
      return;
    }
    pin(id);
  });
  els.unpinBtn.addEventListener('click', () => pin(null));
  els.pinHistory.addEventListener('click', (e) => {
    const chip = e.target.closest('.pin-chip');
    if (chip) pin(chip.dataset.productId);
  });
  renderHistory();

  room.on('state', (st) => {
    if (st && 'pinned' in st) show(st.pinned);
  });

  room.on('pin', (m) => {
    const p = m.product;
    show(p);
    const text = p ? '置顶商品 ' + p.id + ' · ' + p.link_no + '号链接 ' + (p.short_name || p.name) : '取消了商品置顶';
    ctx.stream.add(ctx.stream.line('system', { seq: m.seq, type: 'pin' }, m.ts, text), false);
  });

  room.on('stock', (m) => {
    if (stock.update(m) && current && current.id === String(m.product_id)) renderStock(els.pinned, stock);
  });
}
