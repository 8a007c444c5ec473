/**
 * @module host/presence
 * The 进出场 panel: who entered and left in the last second (`presence`, staff only), newest batch
 * on top, "…另有 12 人进入" past the names, and the online count.
 */

import { h, capChildren, setCount } from '../ui/dom.js';
import { userBadge } from '../ui/badges.js';
import { fmtCount, fmtTime } from '../ui/format.js';

const MAX_PRESENCE = 100;

/** @param {object} ctx the host console (see host.js) */
export function installPresence(ctx) {
  const { room, els } = ctx;

  function presenceLine(kind, user, ts) {
    return h(
      'li',
      { class: 'presence-item ' + kind, dataset: { userId: user.id } },
      userBadge(user),
      h('span', { class: 'p-what' }, kind === 'enter' ? ' 进入' : ' 离开'),
      h('span', { class: 'p-time' }, fmtTime(ts))
    );
  }

  room.on('presence', (m) => {
    if (typeof m.online === 'number') setCount(els.online, m.online, fmtCount);
    const entered = Array.isArray(m.entered) ? m.entered : [];
    const left = Array.isArray(m.left) ? m.left : [];
    const lines = entered.map((u) => presenceLine('enter', u, m.ts));
    if ((m.entered_count || 0) > entered.length) {
      lines.push(h('li', { class: 'presence-item more enter' }, '…另有 ' + (m.entered_count - entered.length) + ' 人进入'));
    }
    for (const u of left) lines.push(presenceLine('leave', u, m.ts));
    if ((m.left_count || 0) > left.length) {
      lines.push(h('li', { class: 'presence-item more leave' }, '…另有 ' + (m.left_count - left.length) + ' 人离开'));
    }
    // newest batch on top, in its own order
    const frag = document.createDocumentFragment();
    for (const li of lines) frag.appendChild(li);
    els.presence.insertBefore(frag, els.presence.firstChild);
    capChildren(els.presence, MAX_PRESENCE, false);
    els.presenceSummary.textContent = '在线 ' + fmtCount(m.online || 0) + ' · 刚刚 +' + (m.entered_count || 0) + ' / -' + (m.left_count || 0);
  });
}
