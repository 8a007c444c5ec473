/**
 * @module ui/question-item
 * One viewer question in the host's 观众提问 panel: who asked, the assistant's tags (intent,
 * 转人工 / 需主播回答, AI已答), its suggested answer with 采用, the host's answer once replied, its
 * state (待回复 / 已由AI回复 / 已回复 / 已忽略, docs/protocol.md) and the 回复 and 忽略 buttons. The panel
 * logic is host/questions.js.
 */

/** What the host sees for each question state. */
export const STATE_TEXT = {
  pending: '待回复', auto_answered: '已由AI回复', answered: '已回复', dismissed: '已忽略',
};

/** The state of question `q` as the server defines it (for questions from before `state` was sent). */
export function stateOf(q) {
  if (q.answered) return 'answered';
  if (q.dismissed_by) return 'dismissed';
  if (q.state === 'dismissed') return 'dismissed';
  return q.auto_answered && !q.handoff ? 'auto_answered' : 'pending';
}

import { h } from './dom.js';
import { aiBadge, userBadge } from './badges.js';
import { fmtTime } from './format.js';

/** Intent names shown as tags, shared with the question groups. */
export const INTENT_TEXT = {
  stock: '库存', size_advice: '尺码', price: '价格', material: '材质', shipping: '物流', returns: '售后',
  color: '颜色', coupon: '优惠券', product_info: '商品', shop_faq: '店铺', handoff: '人工', chitchat: '闲聊',
};

/** The intent tag (none for handoff, which has its own tag). */
export function intentTag(intent) {
  return intent && INTENT_TEXT[intent] && intent !== 'handoff' ? h('span', { class: 'tag tag-intent' }, INTENT_TEXT[intent]) : null;
}

/**
 * Build the <li> of question `q`. onReply() opens the reply box; onUseSuggested() opens it with the
 * assistant's suggestion. Returns the entry {q, li, status, btn, answer, tags, suggest}.
 */
export function buildQuestion(q, { onReply, onUseSuggested, onDismiss }) {
  const status = h('span', { class: 'q-status' }, '待回复');
  const btn = h('button', { class: 'btn btn-sm btn-primary reply-btn', type: 'button' }, '回复');
  const dismiss = h('button', { class: 'btn btn-sm btn-ghost dismiss-btn', type: 'button', title: '不需要回答：移出待回复' }, '忽略');
  const answer = h('div', { class: 'q-answer', hidden: true });
  const tags = h('span', { class: 'q-tags' });
  const suggest = h('div', { class: 'q-suggest', hidden: true });
  const li = h(
    'li',
    { class: 'question-item', dataset: { seq: q.seq, userId: q.user && q.user.id } },
    h('div', { class: 'q-head' }, userBadge(q.user), tags, h('span', { class: 'q-time' }, fmtTime(q.ts))),
    h('div', { class: 'q-text' }, q.text),
    suggest,
    answer,
    h('div', { class: 'q-foot' }, status, h('span', null, btn, dismiss))
  );
  const entry = { q: Object.assign({}, q), li, status, btn, answer, tags, suggest };
  btn.addEventListener('click', () => onReply(entry));
  dismiss.addEventListener('click', () => onDismiss && onDismiss(entry));
  suggest.addEventListener('click', (e) => {
    if (e.target.closest('.use-suggested') && entry.q.suggested) onUseSuggested(entry);
  });
  return entry;
}

/** The assistant's view of a question: intent, priority (unsure / handoff), its suggested answer. */
export function renderAssist(entry) {
  const q = entry.q;
  const high = q.priority === 'high' || !!q.handoff;
  entry.li.classList.toggle('priority-high', high);
  entry.li.dataset.priority = high ? 'high' : 'normal';
  if (q.intent) entry.li.dataset.intent = q.intent;
  if (q.product_id) entry.li.dataset.productId = q.product_id;
  entry.li.dataset.autoAnswered = q.auto_answered ? 'true' : 'false';
  const tags = [intentTag(q.intent)];
  if (q.handoff) tags.push(h('span', { class: 'tag tag-high' }, '转人工'));
  else if (q.priority === 'high') tags.push(h('span', { class: 'tag tag-high' }, '需主播回答'));
  if (q.auto_answered && !q.handoff) tags.push(h('span', { class: 'tag tag-ai' }, 'AI已答'));
  entry.tags.replaceChildren(...tags.filter(Boolean));
  if (q.suggested) {
    entry.suggest.replaceChildren(
      h('span', { class: 'q-suggest-label' }, aiBadge(q.auto_answered && !q.handoff ? '已回复' : '建议')),
      h('span', { class: 'q-suggest-text' }, q.suggested),
      h('button', { class: 'btn btn-sm btn-ghost use-suggested', type: 'button', title: '用这句回复（可修改）' }, '采用')
    );
    entry.suggest.hidden = false;
  } else {
    entry.suggest.replaceChildren();
    entry.suggest.hidden = true;
  }
}

/** The question's state and, once a person replied, `reply` {text, by} when known. */
export function renderAnswered(entry, reply) {
  const q = entry.q;
  q.state = stateOf(q);
  entry.li.dataset.state = q.state;
  entry.li.classList.toggle('answered', !!q.answered);
  entry.li.dataset.answered = q.answered ? 'true' : 'false';
  const by = q.state === 'answered' ? q.answered_by : q.state === 'dismissed' ? q.dismissed_by : null;
  entry.status.textContent = STATE_TEXT[q.state] + (by ? ' · ' + by : '');
  if (!q.answered) return;
  entry.btn.textContent = '追加回复';
  entry.btn.classList.remove('btn-primary');
  if (reply) {
    entry.answer.replaceChildren(h('b', null, (reply.by || q.answered_by || '主播') + '：'), reply.text);
    entry.answer.hidden = false;
  }
}
