/**
 * @module viewer/moderation
 * Moderation as a viewer sees it: a hidden comment goes away; a mute or ban of someone else is a
 * line ("小明 已被禁言10分钟"); my own mute greys the input until it ends (ctx.setMuted), with a
 * toast saying why.
 */

import { h } from '../ui/dom.js';
import { fmtTime } from '../ui/format.js';
import { moderationText, muteLength } from '../ui/moderation-text.js';
import { toast } from '../ui/toast.js';

/** @param {object} ctx the viewer page (see viewer.js); sets ctx.setMuted(until). */
export function installModeration(ctx) {
  const { room, els, list } = ctx;
  const defaultPlaceholder = els.input.placeholder;
  let muteTimer = null;

  /** Muted until `until` (ms), or not muted (null). */
  function setMuted(until) {
    clearTimeout(muteTimer);
    if (typeof until === 'number' && until > Date.now()) {
      const d = new Date(until);
      const day = d.toDateString() === new Date().toDateString() ? '' : '（' + (d.getMonth() + 1) + '月' + d.getDate() + '日）';
      els.input.placeholder = '你已被禁言，' + fmtTime(until).slice(0, 5) + day + ' 后可发言';
      els.input.classList.add('muted');
      // setTimeout caps at ~24.8 days
      muteTimer = setTimeout(() => setMuted(null), Math.min(until - Date.now() + 500, 0x7fffffff));
    } else {
      els.input.placeholder = defaultPlaceholder;
      els.input.classList.remove('muted');
    }
  }
  ctx.setMuted = setMuted;

  room.on('moderation', (m) => {
    const target = m.target || {};
    if (m.action === 'hide') {
      if (typeof m.comment_seq === 'number') ctx.hideComment(m.comment_seq);
      return; // a hidden comment just goes away
    }
    if (ctx.isMe(target)) {
      if (m.action === 'mute') {
        setMuted(m.until);
        const why = m.reason_text && !/禁言/.test(m.reason_text) ? '：' + m.reason_text : '';
        toast('你已被禁言' + muteLength(m) + why, 'error', 4000);
      } else if (m.action === 'unmute') {
        setMuted(null);
        toast('你已解除禁言，可以发言了', 'ok');
      } else if (m.action === 'ban') {
        toast('你已被移出直播间', 'error', 4000);
      }
      return;
    }
    if (m.action === 'mute' || m.action === 'ban') {
      list.add(
        h('li', { class: 'msg mod-line', dataset: { seq: m.seq, type: 'moderation', action: m.action, userId: target.id } }, moderationText(m, false)),
        false
      );
    }
  });
}
