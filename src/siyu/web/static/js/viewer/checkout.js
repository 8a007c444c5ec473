/**
 * @module viewer/checkout
 * The buying part of a product's sheet: quantity, what it costs now (`quote`: the live or flash-sale
 * price, the best coupon of the viewer's wallet, what is paid) and 立即购买 (`order`). The server prices
 * everything; this module only shows its answers. A flash sale (ctx.flash, from viewer/flash.js) of the
 * product sells at its price, one line, at most `per_user` pieces.
 */

import { h } from '../ui/dom.js';
import { fmtPrice } from '../ui/format.js';
import { toast } from '../ui/toast.js';

const QUOTE_DELAY_MS = 200;
const MAX_QTY = 99;

/**
 * @param {object} ctx the viewer page (see viewer.js)
 * @param {{close: () => void}} sheet the product sheet
 */
export function createCheckout(ctx, sheet) {
  const { room, els } = ctx;
  let choice = null; // {product, color, size}
  let qty = 1;
  let timer = null;
  let asked = 0; // the latest quote asked: older answers are dropped
  let buying = false;

  const flashOf = (p) => (p && ctx.flash ? ctx.flash.live(p.id) : null);
  const maxQty = () => {
    const f = flashOf(choice && choice.product);
    return f ? Math.max(1, Math.min(f.per_user || 1, f.left)) : MAX_QTY;
  };
  const ready = () => !!(choice && choice.product && choice.color != null && choice.size != null);
  const items = () => [{ product_id: String(choice.product.id), color: choice.color, size: choice.size, qty }];

  function drawQty() {
    qty = Math.max(1, Math.min(qty, maxQty()));
    els.skuQty.textContent = String(qty);
    els.skuMinus.disabled = qty <= 1;
    els.skuPlus.disabled = qty >= maxQty();
  }

  function drawQuote(q) {
    if (!q) {
      els.skuQuote.replaceChildren();
      return;
    }
    const parts = [h('span', { class: 'quote-total' }, '实付 ¥', h('b', null, fmtPrice(q.total)))];
    if (q.discount > 0 && q.coupon) {
      parts.push(h('span', { class: 'quote-coupon' }, '已用券「' + q.coupon.name + '」减¥' + fmtPrice(q.discount)));
    }
    parts.push(h('span', { class: 'quote-sub' }, '商品金额 ¥' + fmtPrice(q.subtotal)));
    els.skuQuote.replaceChildren(...parts);
    els.skuBuy.textContent = '立即购买 ¥' + fmtPrice(q.total);
  }

  function askQuote() {
    clearTimeout(timer);
    if (!ready()) {
      drawQuote(null);
      els.skuBuy.textContent = '立即购买';
      return;
    }
    timer = setTimeout(async () => {
      const n = ++asked;
      const flash = flashOf(choice.product);
      const frame = { type: 'quote', items: items() };
      if (flash) frame.flash_id = flash.flash_id;
      const r = await room.request(frame);
      if (n !== asked) return;
      if (r.ok && r.ack && r.ack.quote) drawQuote(r.ack.quote);
      else els.skuQuote.textContent = (r.error && r.error.message) || '暂时无法计算价格';
    }, QUOTE_DELAY_MS);
  }

  async function buy() {
    if (buying) return;
    if (!ready()) {
      const p = choice && choice.product;
      const needs = p && (p.colors || []).length && choice.color == null ? '颜色' : '尺码';
      toast('请先选择' + needs);
      return;
    }
    buying = true;
    els.skuBuy.disabled = true;
    const flash = flashOf(choice.product);
    const frame = { type: 'order', items: items(), via: flash ? undefined : 'sheet' };
    if (flash) frame.flash_id = flash.flash_id;
    const r = await room.request(frame, { timeoutMs: 30000 });
    buying = false;
    els.skuBuy.disabled = false;
    if (r.ok && r.ack && r.ack.order) {
      const o = r.ack.order;
      const what = [choice.product.short_name || choice.product.name, choice.color, choice.size].filter(Boolean).join(' ');
      toast('下单成功：' + what + ' ×' + qty + '，实付 ¥' + fmtPrice(o.total) + (o.discount > 0 ? '（券减¥' + fmtPrice(o.discount) + '）' : ''), 'ok', 4000);
      if (ctx.onOrder) ctx.onOrder(o);
      sheet.close();
    } else {
      toast((r.error && r.error.message) || '下单失败，请重试', 'error', 3500);
      askQuote();
    }
  }

  els.skuMinus.addEventListener('click', () => {
    qty -= 1;
    drawQty();
    askQuote();
  });
  els.skuPlus.addEventListener('click', () => {
    qty += 1;
    drawQty();
    askQuote();
  });
  els.skuBuy.addEventListener('click', buy);

  return {
    /** The sheet's choice changed (a new product resets the quantity). */
    choose(product, color, size) {
      if (!choice || !product || String(choice.product.id) !== String(product.id)) qty = 1;
      choice = { product, color, size };
      drawQty();
      askQuote();
    },
  };
}
