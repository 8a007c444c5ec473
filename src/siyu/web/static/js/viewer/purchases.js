/**
 * @module viewer/purchases
 * "小** 刚刚买了 5号 基础款T恤": the room's `purchase` messages as system lines in the comments, at most
 * one line every 3 s (a rush of orders reads "小** 等12人刚刚下单"), so orders never drown the chat.
 */

import { h } from '../ui/dom.js';

const EVERY_MS = 3000;

/** @param {object} ctx the viewer page (see viewer.js) */
export function installPurchases(ctx) {
  const { room, list } = ctx;
  let waiting = [];
  let timer = null;

  function flush() {
    timer = null;
    if (!waiting.length) return;
    const first = waiting[0];
    const item = (first.items || [])[0] || {};
    const text = waiting.length === 1
      ? (first.nickname || '有人') + ' 刚刚买了 ' + (item.short_name || '') + (item.qty > 1 ? ' ×' + item.qty : '')
      : (first.nickname || '有人') + ' 等' + waiting.length + '人刚刚下单';
    list.add(h('li', { class: 'msg system purchase', dataset: { seq: first.seq, type: 'purchase' } }, '🛒 ' + text), false);
    waiting = [];
    timer = setTimeout(flush, EVERY_MS);
  }

  room.on('purchase', (m) => {
    waiting.push(m);
    if (!timer) flush();
  });
}
