/**
 * @module host/products
 * 商品讲解: the pinned card (from `state.pinned` and `pin` messages, with a stream line), the pin form
 * (置顶 by what the host sees: `3号`, `3`, a short name or the id; 取消置顶), and the catalog list: every
 * product of the room by link number with its live price and stock (GET /api/rooms/{id}/products, then
 * `stock` and `pin` messages), one click presents it (讲解).
 */

import { h } from '../ui/dom.js';
import { renderPinned, renderStock } from '../ui/product-card.js';
import { StockBook } from '../core/stock-book.js';
import { toast } from '../ui/toast.js';

const LOW_STOCK = 5;

/** @param {object} ctx the host console (see host.js) */
export function installProducts(ctx) {
  const { room, protocol, els } = ctx;
  const stock = new StockBook();
  const items = new Map(); // product id -> listing item (with stock {"颜色/尺码": n})
  let current = null;

  function total(item) {
    return Object.values(item.stock || {}).reduce((a, b) => a + (Number(b) || 0), 0);
  }

  function stockNote(item) {
    const n = total(item);
    const out = Object.values(item.stock || {}).filter((c) => !c).length;
    if (n === 0) return h('span', { class: 'out' }, '已售罄');
    const low = n <= LOW_STOCK ? h('span', { class: 'low' }, ' 仅剩' + n + '件') : '库存 ' + n;
    return h('span', null, low, out ? ' · ' + out + '个规格售罄' : '');
  }

  function renderCatalog() {
    const rows = Array.from(items.values()).sort((a, b) => (a.link_no || 0) - (b.link_no || 0));
    els.catalog.replaceChildren(
      ...rows.map((it) => {
        const on = !!(current && current.id === it.id);
        return h(
          'li',
          { class: 'catalog-item', dataset: { productId: it.id, linkNo: it.link_no, livePrice: it.live_price, explaining: String(on) } },
          h('span', { class: 'link-no' }, it.link_no + '号'),
          h(
            'div',
            null,
            h('div', null, it.short_name || it.name),
            h('div', { class: 'meta' }, '直播价 ¥' + it.live_price + ' · ', stockNote(it))
          ),
          h(
            'button',
            { class: 'btn btn-sm' + (on ? '' : ' btn-primary') + ' catalog-pin', type: 'button', disabled: on, title: on ? '正在讲解' : '置顶讲解 ' + it.link_no + '号' },
            on ? '讲解中' : '讲解'
          )
        );
      })
    );
  }

  async function loadCatalog() {
    try {
      const resp = await fetch('/api/rooms/' + encodeURIComponent(room.roomId) + '/products', { cache: 'no-store' });
      if (!resp.ok) return;
      const body = await resp.json();
      items.clear();
      for (const it of body.items || []) items.set(it.id, it);
      renderCatalog();
    } catch (_e) {
      /* the form still works */
    }
  }

  function show(card) {
    current = card || null;
    renderPinned(els.pinned, current, { buy: false, stock });
    els.pinnedNone.hidden = !!current;
    els.pinCurrent.textContent = current ? '讲解中：' + current.link_no + '号' : '';
    renderCatalog();
  }

  async function pin(ref, label) {
    const res = await room.pin(ref);
    if (res.ok) {
      toast(ref ? '已置顶 ' + (label || ref) : '已取消置顶', 'ok');
      if (ref) els.pinInput.value = '';
    } else {
      const extra = res.error && res.error.code === 'unknown_product' ? '：' + ref : '';
      toast(protocol.errorText(res.error) + extra, 'error');
    }
  }

  els.pinForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const ref = els.pinInput.value.trim();
    if (!ref) {
      toast('请输入链接号或商品名，例如 3号');
      els.pinInput.focus();
      return;
    }
    pin(ref);
  });
  els.unpinBtn.addEventListener('click', () => pin(null));
  els.catalog.addEventListener('click', (e) => {
    const btn = e.target.closest('.catalog-pin');
    const li = btn && btn.closest('.catalog-item');
    if (li) pin(li.dataset.productId, li.dataset.linkNo + '号');
  });

  room.on('welcome', () => loadCatalog());
  room.on('state', (st) => {
    if (st && 'pinned' in st) show(st.pinned);
  });

  room.on('pin', (m) => {
    const p = m.product;
    show(p);
    const text = p ? '开始讲解 ' + p.link_no + '号链接 ' + (p.short_name || p.name) : '取消了商品置顶';
    ctx.stream.add(ctx.stream.line('system', { seq: m.seq, type: 'pin' }, m.ts, text), false);
  });

  room.on('stock', (m) => {
    if (stock.update(m) && current && current.id === String(m.product_id)) renderStock(els.pinned, stock);
    const it = items.get(String(m.product_id));
    if (it && it.stock) {
      it.stock[m.color + '/' + m.size] = Number(m.count) || 0;
      renderCatalog();
    }
  });
}
