/**
 * @module viewer/assistant
 * The AI assistant on the viewer page. A personal answer (no seq, `reply_to` my comment) is tucked
 * right under my question when that is still near the bottom, else added at the bottom with my
 * question quoted; a personal message that answers no comment (`to: "user"`) is added at the bottom;
 * a room-wide answer ("4 人在问：…") or companion line is a stream line of its own. A playbook's note to
 * me (`to: "user"`, `source: "playbook"`) is a personal message from 直播助理: "私信 · 仅你可见".
 */

import { h } from '../ui/dom.js';
import { aiBadge } from '../ui/badges.js';

// How far up the stream a personal answer may still be tucked under its question; further up it
// would go unseen, so it is added at the bottom with the question quoted instead.
const ATTACH_WITHIN = 8;

/** @param {object} ctx the viewer page (see viewer.js) */
export function installAssistant(ctx) {
  const { room, list } = ctx;

  /** My own comment line for a personal answer's reply_to {seq, cid}, if still in the stream. */
  function myQuestionLine(to) {
    for (const li of list.el.querySelectorAll('li.comment.mine')) {
      if (to.seq != null && li.dataset.seq === String(to.seq)) return li;
      if (to.cid && li.dataset.cid === String(to.cid)) return li;
    }
    return null;
  }

  function assistantLine(m, cls, data, head, label) {
    return h(
      'li',
      { class: 'msg assistant ' + cls, dataset: Object.assign({ type: 'assistant', intent: m.intent, productId: m.product_id, source: m.source }, data) },
      h('div', { class: 'assistant-head' }, aiBadge(label || (cls === 'room-wide' ? '助理' : 'AI助理')), head),
      h(
        'div',
        { class: 'assistant-body' },
        h('span', { class: 'text' }, m.text || ''),
        m.handoff ? h('span', { class: 'handoff-tag' }, '已通知主播') : null
      )
    );
  }

  function showPersonalAnswer(m) {
    const to = m.reply_to || {};
    let after = myQuestionLine(to);
    if (after) {
      while (after.nextElementSibling && after.nextElementSibling.matches('li.assistant.personal')) after = after.nextElementSibling;
      let below = 0;
      for (let n = after.nextElementSibling; n && below <= ATTACH_WITHIN; n = n.nextElementSibling) below += 1;
      if (below > ATTACH_WITHIN) after = null;
    }
    const head = after
      ? h('span', { class: 'assistant-to' }, '回复你')
      : h('span', { class: 'assistant-to' }, '回复 @我：', h('span', { class: 'reply-quote' }, ctx.myText(to) || '我的提问'));
    const li = assistantLine(m, 'personal to-me' + (after ? ' attached' : ''), { replyTo: to.seq, replyCid: to.cid }, head);
    if (after) list.insertAfter(after, li);
    else list.add(li, true);
  }

  room.on('assistant', (m) => {
    if (m.to !== 'room' && m.reply_to) {
      showPersonalAnswer(m);
      return;
    }
    if (m.to === 'user') {
      // A personal message that answers no comment: a playbook's note to me, from 直播助理.
      const fromPlaybook = m.source === 'playbook' || m.intent === 'playbook';
      const head = fromPlaybook ? h('span', { class: 'assistant-to dm-tag' }, '私信 · 仅你可见') : null;
      list.add(assistantLine(m, 'personal to-me' + (fromPlaybook ? ' dm' : ''), {}, head, fromPlaybook ? '直播助理' : null), true);
      return;
    }
    // Room-wide: many viewers asked the same thing (or a companion line while the host is away).
    const asked = Number(m.asked) || 0;
    const head = m.question
      ? h('span', { class: 'assistant-asked' }, asked > 1 ? asked + ' 人在问：' : '有宝宝问：', h('span', { class: 'reply-quote' }, m.question))
      : null;
    list.add(assistantLine(m, 'room-wide', { seq: m.seq, asked: asked || null }, head), false);
  });
}
