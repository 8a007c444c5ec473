/**
 * @module host/automation-log
 * The trace log of the 自动化日志 panel, newest first: per run its time, playbook, viewer (nickname, or
 * 全场 for a room run), the trigger and why it fired, each condition's verdict (✓ / ✗ with the reading),
 * each action with its status icon and reading; a refused or failed action shows its reason in Chinese
 * (budget.*, quiet_hours, …) with the code. A skipped run says why (loop, running, …). A click on a row
 * asks `onOpen(trace)` (the details dialog).
 *
 *   const log = createTraceLog(el, {name, playbookName, protocol, onOpen});
 *   log.add(traces); log.draw(); log.get(id);
 */

import { h } from '../ui/dom.js';
import { fmtTime } from '../ui/format.js';
import {
  actionStatusText,
  actionText,
  codeText,
  conditionText,
  noteText,
  readingText,
  runStatusText,
  statusIcon,
  triggerText,
} from './automation-text.js';

const MAX_TRACES = 200;
const ACTION_ICON = { ok: '✓', failed: '✗', refused: '⊘' };

/** One condition's verdict: ✓ / ✗ and its reading. */
export function conditionChip(c) {
  return h(
    'span',
    { class: 'tr-cond', dataset: { passed: c.passed ? 'true' : 'false' }, title: conditionText(c.type) },
    h('b', { 'aria-label': c.passed ? '满足' : '不满足' }, c.passed ? '✓' : '✗'),
    ' ',
    c.reading || conditionText(c.type)
  );
}

/** One action's outcome: icon, type, reading; the reason (and code) when it did not happen. */
export function actionLine(a, protocol, full) {
  const reason = a.code ? codeText(a.code, protocol) : '';
  const text = readingText(a);
  const reading = text && text !== reason ? text : '';
  return h(
    'li',
    { class: 'tr-act', dataset: { status: a.status, code: a.code } },
    h('b', { class: 'tr-act-icon', title: actionStatusText(a.status) }, ACTION_ICON[a.status] || '·'),
    h('span', { class: 'tr-act-type' }, actionText(a.type)),
    reason ? h('span', { class: 'tr-reason' }, reason, h('code', null, a.code)) : null,
    reading ? h('span', { class: 'tr-reading' }, reading) : null,
    full && typeof a.ms === 'number' ? h('span', { class: 'tr-ms' }, a.ms + ' ms') : null,
    a.note ? h('span', { class: 'tr-note' }, a.note) : null
  );
}

/** Why the run started: the trigger's name and reading, with the comment's text when the console saw it. */
export function triggerLine(t, commentText) {
  const trig = t.trigger || {};
  const ev = trig.event;
  const said = ev && ev.type === 'comment.posted' && ev.seq != null && commentText ? commentText(ev.seq) : null;
  return h(
    'div',
    { class: 'tr-trigger' },
    h('span', { class: 'tr-label' }, triggerText(trig.type)),
    trig.why ? ' · ' + trig.why : '',
    said ? h('q', { class: 'tr-said' }, said) : null
  );
}

export function createTraceLog(el, { name, playbookName, protocol, onOpen, filter, commentText }) {
  const traces = new Map(); // id -> trace

  function sorted() {
    return Array.from(traces.values()).sort((a, b) => b.started_at - a.started_at || (a.id < b.id ? 1 : -1));
  }

  function row(t) {
    const note = noteText(t.note, protocol);
    const actions = Array.isArray(t.actions) ? t.actions : [];
    const conds = Array.isArray(t.conditions) ? t.conditions : [];
    return h(
      'li',
      { class: 'tr-row', dataset: { id: t.id, status: t.status, playbook: t.playbook, userId: t.user_id }, tabindex: '0', role: 'button', 'aria-label': '查看运行详情' },
      h(
        'div',
        { class: 'tr-head' },
        h('span', { class: 'tr-time' }, fmtTime(t.started_at)),
        h('span', { class: 'tr-status', dataset: { status: t.status }, title: runStatusText(t.status) }, statusIcon(t.status)),
        h('span', { class: 'tr-pb' }, playbookName(t.playbook)),
        h('span', { class: 'tr-who', dataset: { room: t.user_id ? null : 'true' } }, t.user_id ? name(t.user_id) : '全场'),
        t.variant ? h('span', { class: 'tr-variant' }, t.variant === 'holdout' ? '对照组' : '组 ' + t.variant) : null,
        h('span', { class: 'tr-state', dataset: { status: t.status } }, runStatusText(t.status))
      ),
      triggerLine(t, commentText),
      conds.length ? h('div', { class: 'tr-conds' }, conds.map(conditionChip)) : null,
      actions.length ? h('ol', { class: 'tr-acts' }, actions.map((a) => actionLine(a, protocol, false))) : null,
      note ? h('div', { class: 'tr-skip' }, note.text, note.code ? h('code', null, note.code) : null) : null
    );
  }

  function draw() {
    const shown = sorted().filter((t) => !filter || filter(t));
    el.replaceChildren(...shown.map(row));
    el.dataset.count = String(shown.length);
  }

  /** Add runs (an `automation` message's, the API's); the same run again replaces it (it may have ended). */
  function add(list) {
    let added = 0;
    for (const t of Array.isArray(list) ? list : []) {
      if (!t || !t.id) continue;
      if (!traces.has(t.id)) added += 1;
      traces.set(t.id, t);
    }
    if (traces.size > MAX_TRACES) {
      for (const t of sorted().slice(MAX_TRACES)) traces.delete(t.id);
    }
    return added;
  }

  function open(target) {
    const li = target.closest && target.closest('li.tr-row');
    if (li && traces.has(li.dataset.id)) onOpen(traces.get(li.dataset.id));
  }
  el.addEventListener('click', (e) => open(e.target));
  el.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      open(e.target);
    }
  });

  return {
    add,
    draw,
    get: (id) => traces.get(id),
    /** Whether a run about this viewer is in the log. */
    hasUser: (id) => Array.from(traces.values()).some((t) => t.user_id === id),
    get size() {
      return traces.size;
    },
  };
}
