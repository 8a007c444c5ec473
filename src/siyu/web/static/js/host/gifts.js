/**
 * @module host/gifts
 * Gifts in the console: a stream line per gift with its coin value, and the session's 礼物（币）
 * total (reset when a live session starts).
 */

import { h } from '../ui/dom.js';
import { userBadge } from '../ui/badges.js';

/** @param {object} ctx the host console (see host.js) */
export function installGifts(ctx) {
  const { room, protocol } = ctx;

  room.on('gift', (m) => {
    const gift = m.gift || {};
    const meta = protocol.gift(gift.id);
    const count = Number(m.count) || 1;
    ctx.stream.add(
      ctx.stream.line(
        'gift',
        { seq: m.seq, type: 'gift', gift: gift.id },
        m.ts,
        userBadge(m.user),
        ' 送出 ',
        h('span', { class: 'gift-name' }, gift.name || meta.name || '礼物'),
        ' ' + (meta.icon || '🎁') + ' ×' + count,
        gift.coins ? h('span', { class: 'sep' }, '（' + gift.coins * count + ' 币）') : null
      ),
      false
    );
  });
}
