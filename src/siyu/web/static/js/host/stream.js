/**
 * @module host/stream
 * The host's 实时评论 stream: timestamped lines for comments (click one to reply; staff get
 * 隐藏 / 禁言 / 拉黑 buttons on viewers' comments), replies, follows and live start / end, plus
 * dividers. Answered comments get 已回复, hidden ones are struck through (kept for the staff).
 * Sets ctx.stream and counts comments in the 评论 stat.
 */

import { h } from '../ui/dom.js';
import { userBadge } from '../ui/badges.js';
import { fmtTime, isStaff } from '../ui/format.js';

const MAX_STREAM = 500;

/** @param {object} ctx the host console (see host.js) */
export function installStream(ctx) {
  const { room, els, list } = ctx;
  const comments = new Map(); // seq -> {user, text, li}

  /** A stream line: time, then the body. */
  function line(cls, data, ts, ...body) {
    return h('li', { class: 'msg ' + cls, dataset: data }, h('span', { class: 'time' }, fmtTime(ts)), h('div', { class: 'body' }, ...body));
  }

  function divider(text) {
    list.add(h('li', { class: 'msg divider' }, text), false);
  }

  function markAnswered(seq) {
    const c = comments.get(seq);
    if (!c || !c.li || c.li.classList.contains('answered')) return;
    c.li.classList.add('answered');
    c.li.querySelector('.body').appendChild(h('span', { class: 'done-tag' }, '已回复'));
  }

  function markHidden(seq) {
    const c = comments.get(seq);
    if (!c || !c.li || c.li.classList.contains('mod-hidden')) return;
    c.li.classList.add('mod-hidden');
    const hideBtn = c.li.querySelector('.mod-btn[data-action="hide"]');
    if (hideBtn) hideBtn.disabled = true;
    const body = c.li.querySelector('.body');
    body.insertBefore(h('span', { class: 'hidden-tag' }, '已隐藏'), body.querySelector('.mod-actions'));
  }

  ctx.stream = {
    line,
    divider,
    markAnswered,
    markHidden,
    add: (li, force) => list.add(li, force),
    /** The text of a recent comment (for the 风控 panel). */
    commentText: (seq) => (comments.has(seq) ? comments.get(seq).text : ''),
  };

  room.on('comment', (m) => {
    const mine = ctx.isMe(m.user);
    const target = { seq: m.seq, user: m.user, text: m.text };
    const li = line(
      'comment' + (m.question ? ' question' : '') + (mine ? ' mine' : ''),
      { seq: m.seq, type: 'comment', userId: m.user && m.user.id },
      m.ts,
      m.question ? h('span', { class: 'q-tag' }, '问') : null,
      userBadge(m.user, m.badge),
      h('span', { class: 'sep' }, '：'),
      h('span', { class: 'text' }, m.text),
      isStaff(room.me) && !mine && !isStaff(m.user) && m.user && m.user.id ? ctx.moderation.actions(target) : null
    );
    li.title = '点击回复';
    li.addEventListener('click', (e) => {
      if (e.target.closest('.reply-box') || e.target.closest('.mod-actions')) return;
      ctx.replyBox.open(li, target, 's');
    });
    comments.set(m.seq, { user: m.user, text: m.text, li });
    if (comments.size > MAX_STREAM * 2) comments.delete(comments.keys().next().value);
    if (m.user && m.user.id) ctx.users.remember(m.user);
    list.add(li, mine);
    if (ctx.questions.isAnswered(m.seq)) markAnswered(m.seq);
    if (ctx.hidden.has(m.seq)) markHidden(m.seq);
  });

  room.on('reply', (m) => {
    const to = m.reply_to || {};
    const asker = to.user || {};
    const by = m.user || {};
    list.add(
      line(
        'reply' + (ctx.isMe(by) ? ' mine' : ''),
        { seq: m.seq, type: 'reply', replyTo: to.seq, userId: by.id },
        m.ts,
        h('div', { class: 'reply-head' }, h('span', { class: 'reply-tag' }, '主播回复'), ' @' + (asker.nick || '观众') + '：', h('span', { class: 'reply-quote' }, to.text || '')),
        h('div', { class: 'reply-body' }, userBadge(by), h('span', { class: 'sep' }, '：'), h('span', { class: 'text' }, m.text))
      ),
      ctx.isMe(by)
    );
    markAnswered(to.seq);
  });

  room.on('follow', (m) => {
    list.add(line('follow', { seq: m.seq, type: 'follow' }, m.ts, userBadge(m.user), ' 关注了主播'), false);
  });

  room.on('purchase', (m) => {
    const items = (m.items || []).map((i) => (i.short_name || i.product_id) + (i.qty > 1 ? ' ×' + i.qty : '')).join('、');
    list.add(line('system purchase', { seq: m.seq, type: 'purchase' }, m.ts, '🛒 ' + (m.nickname || '有人') + ' 下单了 ' + items), false);
  });

  room.on('live', (m) => {
    list.add(line('system', { seq: m.seq, type: 'live' }, m.ts, m.live ? '直播开始' + (m.title ? '：' + m.title : '') : '直播已结束'), false);
  });

  room.on('resumed', (m) => {
    if (m.count > 0) divider('已补齐断线期间的 ' + m.count + ' 条消息');
  });
  room.on('resync', () => divider('连接已恢复（断线太久，部分消息可能未显示）'));
  room.on('reconnecting', () => {
    if (room.status === 'reconnecting' && !els.comments.lastElementChild?.classList.contains('divider')) divider('连接断开，正在重连…');
  });

  els.onlyQuestions.addEventListener('change', () => {
    els.comments.classList.toggle('only-questions', els.onlyQuestions.checked);
    list.scroller.update(true);
  });
}
