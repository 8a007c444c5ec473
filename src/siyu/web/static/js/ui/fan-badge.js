/**
 * @module ui/fan-badge
 * The fan club badge (粉丝团灯牌) a member wears before their nickname: "Lv3 晚晚家", in the colour of its
 * level tier, grey while the membership is paused (熄灭). The server gives it as {name, level, active}.
 */

import { h } from './dom.js';

/** The colour tier of a fan level (1..20). */
export function fanTier(level) {
  return level >= 15 ? 'fan-high' : level >= 8 ? 'fan-mid' : 'fan-low';
}

/** The badge element for `badge` = {name, level, active}, or null when there is none. */
export function fanBadge(badge) {
  if (!badge || typeof badge !== 'object' || !badge.name) return null;
  const level = Math.max(1, Math.min(20, Math.floor(Number(badge.level) || 1)));
  const active = badge.active !== false;
  return h(
    'span',
    {
      class: 'fan-badge ' + fanTier(level),
      dataset: { active: active ? 'true' : 'false' },
      title: '粉丝团「' + badge.name + '」Lv' + level + (active ? '' : '（已熄灭）'),
    },
    h('span', { class: 'fan-lv' }, 'Lv' + level),
    h('span', { class: 'fan-name' }, String(badge.name))
  );
}
