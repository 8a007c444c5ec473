/**
 * @module viewer/gifts
 * Gifts on the viewer page: the gift row (built from the server's catalogue), a line per gift in the
 * stream, and the banner for big ones (1,000 coins or more).
 */

import { h } from '../ui/dom.js';
import { userBadge } from '../ui/badges.js';
import { createGiftBanner } from '../ui/gift-banner.js';
import { toast } from '../ui/toast.js';

const BIG_GIFT_COINS = 1000;

/** @param {object} ctx the viewer page (see viewer.js) */
export function installGifts(ctx) {
  const { room, protocol, els, list } = ctx;
  const queueBanner = createGiftBanner(els.giftBanner, (id) => protocol.gift(id));

  room.on('gift', (m) => {
    const gift = m.gift || {};
    const meta = protocol.gift(gift.id);
    const count = Number(m.count) || 1;
    const mine = ctx.isMe(m.user);
    list.add(
      h(
        'li',
        { class: 'msg gift' + (mine ? ' mine' : ''), dataset: { seq: m.seq, type: 'gift', gift: gift.id } },
        userBadge(m.user),
        ' 送出 ',
        h('span', { class: 'gift-name' }, gift.name || meta.name || '礼物'),
        ' ' + (meta.icon || '🎁') + ' ×' + count
      ),
      mine
    );
    const coins = Number(gift.coins) || 0;
    if (coins * count >= BIG_GIFT_COINS || coins >= BIG_GIFT_COINS) queueBanner(m);
  });

  for (const g of protocol.gifts) {
    const btn = h(
      'button',
      { class: 'gift-btn', type: 'button', dataset: { gift: g.id }, title: g.name + '（' + g.coins + ' 币）', 'aria-label': '送' + g.name },
      h('span', { class: 'gift-icon', 'aria-hidden': 'true' }, g.icon),
      h('span', { class: 'gift-name' }, g.name),
      h('span', { class: 'gift-coins' }, g.coins + '币')
    );
    btn.addEventListener('click', async () => {
      if (room.status === 'closed') return;
      btn.disabled = true;
      setTimeout(() => {
        btn.disabled = false;
      }, 400);
      const res = await room.gift(g.id, 1);
      if (!res.ok) toast(protocol.errorText(res.error), 'error');
    });
    els.giftRow.appendChild(btn);
  }
}
