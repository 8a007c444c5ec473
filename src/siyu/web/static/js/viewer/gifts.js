/**
 * @module viewer/gifts
 * Gifts on the viewer page: the gift picker built from the room's own gift list (its shop's catalogue,
 * GET /api/rooms/{id}/gifts; the protocol catalogue's default list until it loads or if it cannot), a
 * line per gift in the stream, the banner for a tier-2 gift or a big combo (1,000 coins or more), and the
 * full-screen effect for a gift that carries `effect` (ui/gift-effect.js). Sets ctx.giftMeta(id).
 */

import { $, h } from '../ui/dom.js';
import { userBadge } from '../ui/badges.js';
import { createGiftBanner } from '../ui/gift-banner.js';
import { createGiftEffect } from '../ui/gift-effect.js';
import { toast } from '../ui/toast.js';

const BIG_COMBO_COINS = 1000;
const BANNER_TIER = 2;

/** @param {object} ctx the viewer page (see viewer.js) */
export function installGifts(ctx) {
  const { room, protocol, els, list } = ctx;
  const byId = new Map(protocol.gifts.map((g) => [g.id, g]));
  const giftMeta = (id) => byId.get(id) || protocol.gift(id);
  ctx.giftMeta = giftMeta;
  const queueBanner = createGiftBanner(els.giftBanner, giftMeta);
  const queueEffect = createGiftEffect($('gift-effect'), giftMeta);

  room.on('gift', (m) => {
    const gift = m.gift || {};
    const meta = giftMeta(gift.id);
    const count = Number(m.count) || 1;
    const mine = ctx.isMe(m.user);
    list.add(
      h(
        'li',
        { class: 'msg gift' + (mine ? ' mine' : ''), dataset: { seq: m.seq, type: 'gift', gift: gift.id, effect: m.effect } },
        userBadge(m.user),
        ' 送出 ',
        h('span', { class: 'gift-name' }, gift.name || meta.name || '礼物'),
        ' ' + (meta.icon || '🎁') + ' ×' + count
      ),
      mine
    );
    const coins = Number(gift.coins) || 0;
    if (m.effect) queueEffect(m);
    else if ((Number(meta.tier) || 1) >= BANNER_TIER || coins * count >= BIG_COMBO_COINS) queueBanner(m);
  });

  function button(g) {
    const btn = h(
      'button',
      { class: 'gift-btn', type: 'button', dataset: { gift: g.id, tier: g.tier }, title: g.name + '（' + g.coins + ' 币）', 'aria-label': '送' + g.name },
      h('span', { class: 'gift-icon', 'aria-hidden': 'true' }, g.icon),
      h('span', { class: 'gift-name' }, g.name),
      h('span', { class: 'gift-coins' }, g.coins + '币')
    );
    btn.addEventListener('click', async () => {
      if (room.status === 'closed') return;
      btn.disabled = true;
      setTimeout(() => {
        btn.disabled = room.status === 'closed';
      }, 400);
      const res = await room.gift(g.id, 1);
      if (!res.ok) toast(protocol.errorText(res.error), 'error');
    });
    return btn;
  }

  function show(gifts) {
    byId.clear();
    for (const g of gifts) byId.set(g.id, g);
    els.giftRow.replaceChildren(...gifts.map(button));
    els.giftRow.dataset.source = gifts === protocol.gifts ? 'default' : 'room';
  }

  function clean(g) {
    return { id: g.id, name: String(g.name || g.id), coins: Number(g.coins) || 0, icon: String(g.icon || '🎁'), tier: Number(g.tier) || 1 };
  }

  fetch('/api/rooms/' + encodeURIComponent(room.roomId) + '/gifts', { headers: { Accept: 'application/json' } })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error('HTTP ' + r.status))))
    .then((body) => {
      const items = Array.isArray(body && body.items) ? body.items.filter((g) => g && typeof g.id === 'string' && g.id) : [];
      show(items.length ? items.map(clean) : protocol.gifts);
    })
    .catch(() => show(protocol.gifts)); // the default list: a gift the room does not take is refused, with its text
}
