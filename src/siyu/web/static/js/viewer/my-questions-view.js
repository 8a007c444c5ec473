/**
 * @module viewer/my-questions-view
 * How one of my questions looks: in the 我的提问 drawer (question, time, each answer or 等待回答)
 * and in the strip pinned above the stream (question + its latest answer).
 */

import { h } from '../ui/dom.js';
import { aiBadge } from '../ui/badges.js';
import { fmtTime } from '../ui/format.js';

function answerLine(a, cls) {
  return h(
    'div',
    { class: cls + ' answer-' + a.kind, dataset: { kind: a.kind } },
    a.kind === 'ai' ? aiBadge('AI助理') : h('span', { class: 'reply-tag' }, a.label),
    h('span', { class: 'text' }, a.text),
    a.handoff ? h('span', { class: 'handoff-tag' }, '已通知主播') : null
  );
}

/** One entry {seq, text, ts, answers: [{kind, label, text, ts, handoff}], hidden?} of the drawer. */
export function renderEntry(e) {
  return h(
    'li',
    { class: 'my-q-item' + (e.answers.length ? ' answered' : ''), dataset: { seq: e.seq, answers: e.answers.length } },
    h(
      'div',
      { class: 'my-q-head' },
      h('span', { class: 'my-q-tag' }, '问'),
      h('span', { class: 'my-q-text' }, e.text),
      e.ts ? h('span', { class: 'my-q-time' }, fmtTime(e.ts).slice(0, 5)) : null
    ),
    e.hidden ? h('div', { class: 'my-q-note' }, '这条评论已被管理员隐藏，其他人看不到') : null,
    e.answers.length
      ? e.answers.map((a) => answerLine(a, 'my-q-answer'))
      : h('div', { class: 'my-q-wait' }, '等待回答中，助理和主播看到会回复你')
  );
}

/** The strip above the stream: my question and its latest answer. */
export function renderPin(e) {
  const last = e.answers[e.answers.length - 1];
  return h(
    'div',
    { class: 'my-qa-body' },
    h(
      'div',
      { class: 'my-qa-q' },
      h('span', { class: 'my-q-tag' }, '我问'),
      h('span', { class: 'my-q-text' }, e.text),
      h('button', { class: 'my-qa-close', type: 'button', 'aria-label': '收起' }, '×')
    ),
    last ? answerLine(last, 'my-qa-a') : null,
    h('div', { class: 'my-qa-more' }, '点开「我的提问」随时回看')
  );
}
