/**
 * @module host/run-details
 * 运行详情: the dialog a trace row of the 自动化日志 opens. It shows everything the trace says (playbook,
 * viewer, status, trigger with its event, times, experiment arm, every condition and action with timing,
 * reason code and note, the Context ids), then this viewer's recent runs of every playbook, read from
 * GET …/playbooks/runs?user= (all nodes); a click on one of those shows it.
 *
 *   const details = createRunDetails({api, name, playbookName, protocol});
 *   details.show(trace);
 */

import { append, h } from '../ui/dom.js';
import { fmtTime } from '../ui/format.js';
import { createSheet } from '../ui/sheet.js';
import { actionLine, conditionChip, triggerLine } from './automation-log.js';
import { noteText, runStatusText, statusIcon } from './automation-text.js';

function item(label, ...value) {
  return h('div', { class: 'rd-item' }, h('dt', null, label), h('dd', null, ...value));
}

export function createRunDetails({ api, name, playbookName, protocol, commentText }) {
  const body = h('div', { class: 'dialog-body rd-body' });
  const el = h(
    'div',
    { class: 'sheet host-dialog run-details', id: 'run-details', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'run-details-title', hidden: true },
    h('div', { class: 'sheet-backdrop', 'data-close': true }),
    h(
      'section',
      { class: 'sheet-panel dialog-panel' },
      h('header', { class: 'sheet-head' }, h('h2', { class: 'sheet-title', id: 'run-details-title' }, '运行详情'), h('button', { class: 'sheet-close', type: 'button', 'data-close': true, 'aria-label': '关闭' }, '×')),
      body
    )
  );
  document.body.appendChild(el);
  const sheet = createSheet(el);
  let shown = null;
  const others = new Map(); // id -> trace of the viewer's recent runs

  function recent(trace) {
    const box = h('ol', { class: 'rd-recent', 'aria-label': '这位观众最近的运行' }, h('li', { class: 'rd-loading' }, '加载中…'));
    if (!trace.user_id) return null;
    api.runs({ user: trace.user_id, limit: 20 }).then((res) => {
      if (shown !== trace) return;
      const runs = res.ok && res.data && Array.isArray(res.data.runs) ? res.data.runs : [];
      others.clear();
      for (const r of runs) others.set(r.id, r);
      if (!res.ok) {
        box.replaceChildren(h('li', { class: 'rd-loading' }, res.text));
        return;
      }
      box.replaceChildren(
        ...runs.map((r) =>
          h(
            'li',
            { class: 'rd-run' + (r.id === trace.id ? ' current' : ''), dataset: { id: r.id, status: r.status } },
            h('button', { type: 'button', class: 'rd-run-btn', disabled: r.id === trace.id },
              h('span', { class: 'tr-time' }, fmtTime(r.started_at)),
              h('span', { class: 'tr-status', dataset: { status: r.status } }, statusIcon(r.status)),
              h('span', { class: 'tr-pb' }, playbookName(r.playbook)),
              h('span', { class: 'tr-state', dataset: { status: r.status } }, runStatusText(r.status)))
          )
        )
      );
      if (!runs.length) box.replaceChildren(h('li', { class: 'rd-loading' }, '还没有存档的运行（每秒写入一批）'));
    });
    return h('section', { class: 'rd-section' }, h('h3', null, '这位观众最近的运行'), box);
  }

  function show(trace) {
    shown = trace;
    const trig = trace.trigger || {};
    const ev = trig.event;
    const ctx = trace.context || {};
    const note = noteText(trace.note, protocol);
    const took = trace.finished_at != null ? Math.max(0, trace.finished_at - trace.started_at) : null;
    const conds = Array.isArray(trace.conditions) ? trace.conditions : [];
    const acts = Array.isArray(trace.actions) ? trace.actions : [];
    body.replaceChildren();
    append(body, [
      h(
        'dl',
        { class: 'rd-grid', dataset: { id: trace.id, status: trace.status } },
        item('剧本', playbookName(trace.playbook), h('code', null, trace.playbook)),
        item('观众', trace.user_id ? name(trace.user_id) : '全场', trace.user_id ? h('code', null, trace.user_id) : null),
        item('状态', h('span', { class: 'tr-state', dataset: { status: trace.status } }, statusIcon(trace.status) + ' ' + runStatusText(trace.status))),
        item('触发', triggerLine(trace, commentText), ev ? h('code', null, ev.type + (ev.seq != null ? ' #' + ev.seq : '')) : h('code', null, '时钟')),
        item('时间', fmtTime(trace.started_at) + (took != null ? '，用时 ' + took + ' ms' : '，运行中')),
        trace.variant ? item('实验分组', trace.variant === 'holdout' ? '对照组（不执行动作）' : trace.variant) : null,
        item('运行编号', h('code', null, ctx.id || trace.id)),
        ctx.parent_id ? item('起因事件', h('code', null, ctx.parent_id)) : null
      ),
      h(
        'section',
        { class: 'rd-section' },
        h('h3', null, '条件'),
        conds.length ? h('div', { class: 'tr-conds' }, conds.map(conditionChip)) : h('p', { class: 'rd-none' }, trace.status === 'skipped' ? '未检查' : '无条件')
      ),
      h(
        'section',
        { class: 'rd-section' },
        h('h3', null, '动作'),
        acts.length ? h('ol', { class: 'tr-acts full' }, acts.map((a) => actionLine(a, protocol, true))) : h('p', { class: 'rd-none' }, '没有执行动作')
      ),
      note ? h('section', { class: 'rd-section' }, h('h3', null, '说明'), h('p', { class: 'tr-skip' }, note.text, note.code ? h('code', null, note.code) : null)) : null,
      recent(trace),
    ]);
    sheet.open();
  }

  body.addEventListener('click', (e) => {
    const li = e.target.closest && e.target.closest('li.rd-run');
    if (li && others.has(li.dataset.id)) show(others.get(li.dataset.id));
  });

  return {
    show,
    close: () => sheet.close(),
    get isOpen() {
      return sheet.isOpen;
    },
  };
}
