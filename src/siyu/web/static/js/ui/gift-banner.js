/**
 * @module ui/gift-banner
 * The big-gift banner of the viewer page ("🚀 小鹿 送出 火箭 ×1"): one at a time, 3.3 s each, at most
 * five waiting (older ones are dropped).
 */

import { h, restartAnimation } from './dom.js';

/**
 * @param {HTMLElement} banner #gift-banner
 * @param {(id: string) => {icon?: string, name?: string}} giftMeta the catalogue entry of a gift id
 * @returns {(msg: object) => void} queue a `gift` message
 */
export function createGiftBanner(banner, giftMeta) {
  let queue = [];
  let showing = false;

  function next() {
    const msg = queue.shift();
    if (!msg) {
      showing = false;
      banner.hidden = true;
      return;
    }
    showing = true;
    const gift = msg.gift || {};
    const meta = giftMeta(gift.id);
    banner.replaceChildren(
      h('span', { class: 'gift-icon' }, meta.icon || '🎁'),
      h('span', { class: 'gift-desc' }, h('b', null, (msg.user && msg.user.nick) || '神秘人'), '送出 ' + (gift.name || meta.name || '礼物')),
      h('span', { class: 'gift-count' }, '×' + (msg.count || 1))
    );
    banner.hidden = false;
    restartAnimation(banner);
    setTimeout(next, 3300);
  }

  return function queueGift(msg) {
    queue.push(msg);
    if (queue.length > 5) queue = queue.slice(-5);
    if (!showing) next();
  };
}
