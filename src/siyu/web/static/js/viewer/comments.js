/**
 * @module viewer/comments
 * Comments, host replies and follows in the viewer's stream. A reply quotes the comment it answers
 * ("主播回复 @小鹿：这件有XL码吗 / 答 有的宝宝…"); one that answers me is highlighted and toasted.
 * Keeps the text of my own comments (ctx.myText) for the assistant's answers, and removes a comment
 * a moderator hid (ctx.hideComment).
 */

import { h } from '../ui/dom.js';
import { userBadge } from '../ui/badges.js';
import { roleLabel } from '../ui/format.js';
import { toast } from '../ui/toast.js';

const HIDDEN_QUOTE = '（该评论已被隐藏）';

/** @param {object} ctx the viewer page (see viewer.js); sets ctx.myText and ctx.hideComment. */
export function installComments(ctx) {
  const { room, list } = ctx;
  const hiddenSeqs = new Set(); // comments removed by a moderator (skip them if they come again)
  const myTexts = new Map(); // my comments' text by seq ('s' + seq) and by cid ('c' + cid)

  ctx.myText = (to) => myTexts.get('s' + to.seq) || myTexts.get('c' + to.cid) || '';

  room.on('comment', (m) => {
    if (hiddenSeqs.has(m.seq)) return;
    const mine = ctx.isMe(m.user);
    if (mine) {
      myTexts.set('s' + m.seq, m.text);
      if (m.cid) myTexts.set('c' + m.cid, m.text);
      while (myTexts.size > 100) myTexts.delete(myTexts.keys().next().value);
    }
    const cls = 'msg comment' + (mine ? ' mine' : '') + (m.question ? ' question' : '');
    list.add(
      h(
        'li',
        { class: cls, dataset: { seq: m.seq, type: 'comment', userId: m.user && m.user.id, cid: mine ? m.cid : null } },
        userBadge(m.user, m.badge),
        h('span', { class: 'sep' }, '：'),
        h('span', { class: 'text' }, m.text)
      ),
      mine
    );
  });

  room.on('reply', (m) => {
    const to = m.reply_to || {};
    const asker = to.user || {};
    const toMe = ctx.isMe(asker);
    const by = m.user || {};
    const byLabel = by.role && by.role !== 'host' ? ' —— ' + (roleLabel(by.role) || '') + ' ' + (by.nick || '') : '';
    list.add(
      h(
        'li',
        {
          class: 'msg reply' + (toMe ? ' to-me' : '') + (ctx.isMe(by) ? ' mine' : ''),
          dataset: { seq: m.seq, type: 'reply', replyTo: to.seq, userId: by.id },
        },
        h(
          'div',
          { class: 'reply-head' },
          h('span', { class: 'reply-tag' }, '主播回复'),
          ' @' + (asker.nick || '观众') + '：',
          h('span', { class: 'reply-quote' }, hiddenSeqs.has(to.seq) ? HIDDEN_QUOTE : to.text || '')
        ),
        h(
          'div',
          { class: 'reply-body' },
          h('span', { class: 'answer-mark' }, '答'),
          h('span', { class: 'text' }, m.text),
          byLabel ? h('span', { class: 'reply-by' }, byLabel) : null
        )
      ),
      toMe
    );
    if (toMe) toast('主播回复了你的问题', 'ok');
  });

  room.on('follow', (m) => {
    list.add(h('li', { class: 'msg follow', dataset: { seq: m.seq, type: 'follow' } }, userBadge(m.user), ' 关注了主播 💖'), false);
  });

  /** A moderator hid comment `seq`: it goes away, and replies quoting it say so. */
  ctx.hideComment = (seq) => {
    hiddenSeqs.add(seq);
    if (hiddenSeqs.size > 2000) hiddenSeqs.delete(hiddenSeqs.values().next().value);
    for (const li of list.el.querySelectorAll('li.comment')) {
      if (li.dataset.seq === String(seq)) li.remove();
    }
    for (const li of list.el.querySelectorAll('li.reply')) {
      if (li.dataset.replyTo === String(seq)) {
        const quote = li.querySelector('.reply-quote');
        if (quote) quote.textContent = HIDDEN_QUOTE;
      }
    }
  };
}
