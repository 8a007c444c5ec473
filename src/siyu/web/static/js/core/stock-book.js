/**
 * @module core/stock-book
 * The latest stock counts seen in `stock` messages, per product and SKU ({product_id, color, size,
 * count}). notes(id) gives the few lines worth showing on the product card ("碎花蓝 XL 已售罄",
 * "碎花黑 M 仅剩3件"), newest first.
 */

export class StockBook {
  constructor(limit) {
    this.limit = limit || 3;
    /** @type {Map<string, Map<string, {color: string, size: string, count: number}>>} */
    this.byProduct = new Map();
  }

  /** Record one `stock` message; false when it is not one. */
  update(m) {
    if (!m || m.product_id == null || typeof m.count !== 'number') return false;
    const id = String(m.product_id);
    let entries = this.byProduct.get(id);
    if (!entries) {
      entries = new Map();
      this.byProduct.set(id, entries);
    }
    const key = (m.color || '') + '/' + (m.size || '');
    entries.delete(key); // newest last
    entries.set(key, { color: m.color || '', size: m.size || '', count: Math.max(0, m.count) });
    while (entries.size > 20) entries.delete(entries.keys().next().value);
    return true;
  }

  /** Up to `limit` notes {text, soldOut} for a product: sold out or nearly (10 or fewer). */
  notes(productId) {
    const entries = productId != null ? this.byProduct.get(String(productId)) : null;
    if (!entries) return [];
    const out = [];
    for (const e of Array.from(entries.values()).reverse()) {
      if (e.count > 10) continue;
      const what = [e.color, e.size].filter(Boolean).join(' ') || '该款';
      out.push({ text: what + (e.count === 0 ? ' 已售罄' : ' 仅剩' + e.count + '件'), soldOut: e.count === 0 });
      if (out.length >= this.limit) break;
    }
    return out;
  }
}
