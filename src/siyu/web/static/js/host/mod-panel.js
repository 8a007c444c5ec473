/**
 * @module host/mod-panel
 * The 风控 panel: newest first, one entry per moderation (automatic ones marked 自动), with the hidden
 * text, the reason, who acted, and what can still be done: 解除禁言 / 解除拉黑 while the mute or ban
 * holds, or 禁言 / 拉黑 after a hide.
 */

import { h, capChildren } from '../ui/dom.js';
import { userBadge } from '../ui/badges.js';
import { fmtTime } from '../ui/format.js';
import { MOD_ACTION_TEXT, moderatorName, muteLength } from '../ui/moderation-text.js';

const MAX_MOD = 200;

/**
 * @param {object} ctx the host console (see host.js)
 * @param {{moderate: Function, muteMinutes: number}} opts moderate(btn, action, user, commentSeq)
 * @returns {{add: (m: object) => void, refresh: () => void}}
 */
export function createModPanel(ctx, { moderate, muteMinutes }) {
  const { els } = ctx;
  const modState = new Map(); // user id -> {mutedUntil, banned}
  let total = 0;

  function userState(id) {
    let st = modState.get(id);
    if (!st) {
      st = { mutedUntil: 0, banned: false };
      modState.set(id, st);
    }
    return st;
  }

  /** Enable an entry's undo buttons only while they still apply. */
  function refresh() {
    const now = Date.now();
    for (const b of els.modList.querySelectorAll('.mod-undo')) {
      const st = modState.get(b.dataset.userId);
      const active = !!st && (b.dataset.action === 'unmute' ? st.mutedUntil > now : st.banned);
      b.disabled = !active;
      b.textContent = active ? b.dataset.label : b.dataset.action === 'unmute' ? '已解除/已到期' : '已解除';
    }
  }
  setInterval(refresh, 15000);

  function add(m) {
    const t = ctx.users.resolve(m.target);
    const action = String(m.action || '');
    const auto = moderatorName(m.by) === 'AI风控' || m.by === 'AI助理';
    if (t.id) {
      const st = userState(t.id);
      if (action === 'mute') st.mutedUntil = typeof m.until === 'number' ? m.until : Date.now() + muteMinutes * 60000;
      else if (action === 'unmute') st.mutedUntil = 0;
      else if (action === 'ban') st.banned = true;
      else if (action === 'unban') st.banned = false;
    }
    let hiddenText = m.text || '';
    if (!hiddenText && typeof m.comment_seq === 'number') hiddenText = ctx.stream.commentText(m.comment_seq);
    const user = { id: t.id, nick: t.nick, lvl: t.lvl, role: t.role };
    const undo = [];
    const actBtn = (act, label, cls) => h('button', { class: 'btn btn-sm ' + cls, type: 'button', dataset: { action: act, userId: t.id, label } }, label);
    if (t.id && action === 'mute') undo.push(actBtn('unmute', '解除禁言', 'mod-undo unmute-btn'));
    if (t.id && action === 'ban') undo.push(actBtn('unban', '解除拉黑', 'mod-undo unban-btn'));
    if (t.id && action === 'hide') {
      undo.push(actBtn('mute', '禁言' + muteMinutes + '分钟', 'btn-ghost mod-more'));
      undo.push(actBtn('ban', '拉黑', 'btn-ghost mod-more danger'));
    }
    const length = action === 'mute' && muteLength(m) ? '禁言' + muteLength(m) : '';
    const meta = [m.reason_text || '', length, moderatorName(m.by)].filter(Boolean).join(' · ');
    const li = h(
      'li',
      {
        class: 'mod-item act-' + action + (auto ? ' auto' : ''),
        dataset: { action, userId: t.id, commentSeq: m.comment_seq, seq: m.seq, reason: m.reason },
      },
      h(
        'div',
        { class: 'mod-head' },
        h('span', { class: 'mod-action' }, (auto ? '自动' : '') + (MOD_ACTION_TEXT[action] || action)),
        userBadge(user),
        h('span', { class: 'mod-time' }, fmtTime(m.ts))
      ),
      hiddenText ? h('div', { class: 'mod-text' }, hiddenText) : null,
      meta ? h('div', { class: 'mod-meta' }, meta) : null,
      undo.length ? h('div', { class: 'mod-foot' }, undo) : null
    );
    li.addEventListener('click', (e) => {
      const b = e.target.closest('button');
      if (b && !b.disabled) moderate(b, b.dataset.action, user, action === 'hide' ? m.comment_seq : null);
    });
    els.modList.insertBefore(li, els.modList.firstChild);
    capChildren(els.modList, MAX_MOD, false);
    total += 1;
    els.modCount.textContent = String(total);
    els.modCount.dataset.count = String(total);
    els.modEmpty.hidden = true;
    refresh();
  }

  return { add, refresh };
}
