/**
 * @module ui/gift-effect
 * The full-screen effect of a big gift (a `gift` message with `effect: "fullscreen"`: 跑车, 火箭, 嘉年华):
 * light rays, the gift's icon flying through, "小鹿 送出 火箭 ×1". One at a time, EFFECT_MS each, at most
 * three waiting (older ones are dropped). The layer never takes a tap (pointer-events: none) and is hidden
 * when the effect ends, so the comment box is covered for the effect's time at most and never blocked.
 */

import { h, restartAnimation } from './dom.js';

export const EFFECT_MS = 2600;
const MAX_WAITING = 3;

/**
 * @param {HTMLElement} layer #gift-effect
 * @param {(id: string) => {icon?: string, name?: string}} giftMeta the room's entry of a gift id
 * @returns {(msg: object) => void} queue a `gift` message
 */
export function createGiftEffect(layer, giftMeta) {
  let queue = [];
  let showing = false;

  function next() {
    const msg = queue.shift();
    if (!msg) {
      showing = false;
      layer.hidden = true;
      layer.replaceChildren();
      return;
    }
    showing = true;
    const gift = msg.gift || {};
    const meta = giftMeta(gift.id);
    const count = Number(msg.count) || 1;
    layer.dataset.gift = String(gift.id || '');
    layer.replaceChildren(
      h('div', { class: 'fx-flash' }),
      h('div', { class: 'fx-rays' }),
      h('div', { class: 'fx-icon' }, meta.icon || '🎁'),
      h(
        'div',
        { class: 'fx-card' },
        h('div', { class: 'fx-who' }, (msg.user && msg.user.nick) || '神秘人'),
        h('div', { class: 'fx-what' }, '送出 ', h('b', null, gift.name || meta.name || '礼物'), count > 1 ? ' ×' + count : ''),
        gift.coins ? h('div', { class: 'fx-coins' }, gift.coins * count + ' 币') : null
      )
    );
    layer.hidden = false;
    restartAnimation(layer, 'play');
    setTimeout(next, EFFECT_MS);
  }

  return function queueEffect(msg) {
    queue.push(msg);
    if (queue.length > MAX_WAITING) queue = queue.slice(-MAX_WAITING);
    if (!showing) next();
  };
}
