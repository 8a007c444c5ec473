/**
 * @module host/moderation
 * Moderation from the console: the 隐藏 / 禁言10分钟 / 拉黑 buttons on viewers' comments (拉黑 asks
 * for a second click), `moderation` messages (a hidden comment is struck through for the staff and
 * its question marked; a mute or ban is a stream line), and the entries of the 风控 panel
 * (host/mod-panel.js). Sets ctx.moderation (the comment buttons) and ctx.users (user refs seen).
 */

import { h } from '../ui/dom.js';
import { toast } from '../ui/toast.js';
import { canAct } from '../ui/errors.js';
import { moderationText, moderatorName } from '../ui/moderation-text.js';
import { createModPanel } from './mod-panel.js';

export const MUTE_MINUTES = 10;
const ACTION_DONE = { hide: '已隐藏该评论', mute: '已禁言', unmute: '已解除禁言', ban: '已拉黑', unban: '已解除拉黑' };

/** @param {object} ctx the host console (see host.js) */
export function installModeration(ctx) {
  const { room, protocol } = ctx;
  const knownUsers = new Map(); // user id -> user ref seen in the stream (a bare id gets its nick back)

  ctx.users = {
    remember(user) {
      knownUsers.delete(user.id);
      knownUsers.set(user.id, user);
      if (knownUsers.size > 5000) knownUsers.delete(knownUsers.keys().next().value);
    },
    /** A moderation target as a user ref; one given by bare id (nick = id) gets the nick seen in the stream. */
    resolve(t) {
      t = t || {};
      const known = t.id != null ? knownUsers.get(t.id) : null;
      if (known && (!t.nick || t.nick === t.id)) return Object.assign({}, t, { nick: known.nick, lvl: t.lvl || known.lvl });
      return t;
    },
  };

  function markHidden(seq) {
    ctx.hidden.add(seq);
    if (ctx.hidden.size > 5000) ctx.hidden.delete(ctx.hidden.values().next().value);
    ctx.stream.markHidden(seq);
    ctx.questions.markHidden(seq);
  }

  /** Send a moderation action from button `btn` about `user` (and the comment `commentSeq`). */
  async function moderate(btn, action, user, commentSeq) {
    if (!user || !user.id) return;
    // Banning is heavy: the first click arms the button, a second one within 3 s confirms.
    if (action === 'ban' && !btn.classList.contains('confirm')) {
      const label = btn.textContent;
      btn.classList.add('confirm');
      btn.textContent = '确认拉黑？';
      setTimeout(() => {
        btn.classList.remove('confirm');
        btn.textContent = label;
      }, 3000);
      return;
    }
    btn.classList.remove('confirm');
    if (!canAct(room)) return;
    btn.disabled = true;
    const opts = { minutes: MUTE_MINUTES };
    if (commentSeq != null && (action === 'hide' || action === 'mute' || action === 'ban')) opts.commentSeq = commentSeq;
    const res = await room.moderate(action, user.id, opts);
    btn.disabled = false;
    panel.refresh(); // an undo button stays off once its mute / ban is lifted
    if (res.ok) {
      if (action === 'hide' && commentSeq != null) markHidden(commentSeq);
      const who = user.nick || user.id;
      toast(action === 'hide' ? ACTION_DONE.hide : ACTION_DONE[action] + ' ' + who + (action === 'mute' ? ' ' + MUTE_MINUTES + '分钟' : ''), 'ok', 1600);
    } else {
      toast(protocol.errorText(res.error), 'error');
    }
  }

  /** The buttons on a viewer's comment line; target = {seq, user, text}. */
  function actions(target) {
    const user = target.user || {};
    const btn = (action, text, title, extra) =>
      h('button', { class: 'mod-btn' + (extra ? ' ' + extra : ''), type: 'button', dataset: { action }, title }, text);
    const box = h(
      'span',
      { class: 'mod-actions' },
      btn('hide', '隐藏', '对所有观众隐藏这条评论'),
      btn('mute', '禁言' + MUTE_MINUTES + '分钟', '禁言 ' + (user.nick || user.id) + ' ' + MUTE_MINUTES + ' 分钟'),
      btn('ban', '拉黑', '拉黑并移出直播间（需再点一次确认）', 'danger')
    );
    box.addEventListener('click', (e) => {
      e.stopPropagation();
      const b = e.target.closest('.mod-btn');
      if (b && !b.disabled) moderate(b, b.dataset.action, user, target.seq);
    });
    return box;
  }

  const panel = createModPanel(ctx, { moderate, muteMinutes: MUTE_MINUTES });
  ctx.moderation = { actions };

  room.on('moderation', (m) => {
    const t = ctx.users.resolve(m.target);
    if (m.action === 'hide' && typeof m.comment_seq === 'number') markHidden(m.comment_seq);
    if (typeof m.seq === 'number' && m.action !== 'hide') {
      const text = moderationText(Object.assign({}, m, { target: t }), true) + '（' + moderatorName(m.by) + '）';
      ctx.stream.add(ctx.stream.line('system mod-line', { seq: m.seq, type: 'moderation', action: m.action, userId: t.id }, m.ts, text), false);
    }
    panel.add(m);
  });
}
