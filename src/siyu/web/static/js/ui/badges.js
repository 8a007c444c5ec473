/**
 * @module ui/badges
 * Small inline pieces: a user's role tag + level pill + nickname, and the "🤖 AI助理" badge.
 */

import { h } from './dom.js';
import { levelTier, roleLabel } from './format.js';
import { fanBadge } from './fan-badge.js';

/** The "Lv6" pill, or null for level 0. */
export function levelPill(lvl) {
  lvl = Number(lvl) || 0;
  return lvl > 0 ? h('span', { class: 'lvl ' + levelTier(lvl) }, 'Lv' + lvl) : null;
}

/**
 * Role tag + level pill + nickname for a user ref {id, nick, lvl, role}; with a fan club badge
 * ({name, level, active}, see ui/fan-badge.js) the badge takes the level pill's place.
 */
export function userBadge(user, fan) {
  user = user || {};
  const frag = document.createDocumentFragment();
  const role = roleLabel(user.role);
  if (role) frag.appendChild(h('span', { class: 'role-tag role-' + user.role }, role));
  const pill = fanBadge(fan) || levelPill(user.lvl);
  if (pill) frag.appendChild(pill);
  frag.appendChild(h('span', { class: 'nick' }, user.nick || user.id || '神秘人'));
  return frag;
}

/** The small "🤖 AI助理" badge of assistant messages. */
export function aiBadge(label) {
  return h('span', { class: 'ai-badge' }, h('span', { class: 'ai-icon', 'aria-hidden': 'true' }, '🤖'), label || 'AI助理');
}
