/**
 * @module ui/question-group
 * One row of 同类问题 in the host's panel: "12 人在问 1号 碎花连衣裙 XL 有没有货", tags, the
 * assistant's suggested answer in an editable textarea, and 一键回复 (Ctrl/⌘+Enter too). The
 * grouping logic is host/groups.js.
 */

import { h } from './dom.js';
import { aiBadge } from './badges.js';
import { intentTag } from './question-item.js';

/**
 * Build the row of group `key`; onSend(entry) sends its answer. The entry's `dirty` turns true once
 * the host edits the answer (a new suggestion then no longer replaces it).
 */
export function buildGroup(key, { onSend }) {
  const count = h('span', { class: 'g-count' });
  const label = h('span', { class: 'g-label' });
  const tags = h('span', { class: 'q-tags' });
  const input = h('textarea', {
    class: 'text-input group-reply-input', rows: '2', maxlength: '200', 'aria-label': '回复内容（可修改）', placeholder: '写下给大家的回复',
  });
  const status = h('span', { class: 'q-status g-status' }, '待回复');
  const btn = h('button', { class: 'btn btn-sm btn-primary group-reply-btn', type: 'button' }, '一键回复');
  const li = h(
    'li',
    { class: 'question-group', dataset: { key } },
    h('div', { class: 'g-head' }, count, ' ', label, tags),
    h('div', { class: 'g-suggest' }, aiBadge('建议回复'), input),
    h('div', { class: 'q-foot' }, status, btn)
  );
  const entry = { key, g: null, li, count, label, tags, input, status, btn, dirty: false, answeredUpTo: 0 };
  input.addEventListener('input', () => {
    entry.dirty = true;
  });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey) && !ev.isComposing) {
      ev.preventDefault();
      onSend(entry);
    }
  });
  btn.addEventListener('click', () => onSend(entry));
  return entry;
}

/**
 * Draw a group entry. view: {count, answered, high, toSeq, shown} as the group logic reckons them
 * (toSeq: the question a one-click reply answers).
 */
export function renderGroup(entry, { count, answered, high, toSeq, shown }) {
  const g = entry.g;
  const li = entry.li;
  li.dataset.count = String(count);
  li.dataset.priority = high ? 'high' : 'normal';
  li.dataset.answered = answered ? 'true' : 'false';
  li.dataset.toSeq = String(toSeq || '');
  if (g.intent) li.dataset.intent = g.intent;
  if (g.product_id) li.dataset.productId = g.product_id;
  li.classList.toggle('answered', answered);
  li.classList.toggle('priority-high', high && !answered);
  li.hidden = !shown;
  entry.count.textContent = count + ' 人在问';
  entry.label.textContent = g.label || g.key;
  const tags = [intentTag(g.intent)];
  if (g.handoff) tags.push(h('span', { class: 'tag tag-high' }, '转人工'));
  else if (g.priority === 'high') tags.push(h('span', { class: 'tag tag-high' }, 'AI不确定'));
  entry.tags.replaceChildren(...tags.filter(Boolean));
  entry.status.textContent = answered ? '已回复' : high ? '需要主播回答' : '待回复';
  entry.btn.textContent = answered ? '再次回复' : '一键回复';
  entry.btn.classList.toggle('btn-primary', !answered);
}
