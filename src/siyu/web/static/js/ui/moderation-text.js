/**
 * @module ui/moderation-text
 * Words for moderation and host status: "小明 已被禁言10分钟", who acted (a moderator or AI风控),
 * and the host status names.
 */

import { durationText } from './format.js';

export const HOST_STATUS_TEXT = { live: '在播', busy: '忙碌', away: '离开 (AI陪播)' };

export const MOD_ACTION_TEXT = { hide: '隐藏评论', mute: '禁言', unmute: '解除禁言', ban: '拉黑', unban: '解除拉黑' };

/** How long a `moderation` mute lasts, from its `until` and `ts` (or now). */
export function muteLength(m) {
  if (!m || typeof m.until !== 'number') return '';
  const from = typeof m.ts === 'number' ? m.ts : Date.now();
  return durationText(m.until - from);
}

/** One line for a `moderation` message. forStaff words a ban as 拉黑. */
export function moderationText(m, forStaff) {
  const t = (m && m.target) || {};
  const who = t.nick || t.id || '某位观众';
  switch (m && m.action) {
    case 'hide':
      return who + ' 的评论已被隐藏';
    case 'mute':
      return who + ' 已被禁言' + muteLength(m);
    case 'unmute':
      return who + ' 已解除禁言';
    case 'ban':
      return who + (forStaff ? ' 已被拉黑' : ' 已被移出直播间');
    case 'unban':
      return who + ' 已解除拉黑';
    default:
      return who + ' 已被处理';
  }
}

/** Who acted: a moderator's nick, or the automatic filter. */
export function moderatorName(by) {
  if (!by || by === 'auto' || by === 'system') return 'AI风控';
  return String(by);
}
