/**
 * @module host/automation-playbooks
 * The 剧本 list of the 自动化日志 panel: one row per playbook of the room's running document (from the
 * `automation` message and GET …/playbooks): its name and stage (入局 / 沉浸 / 转化), triggers, run counts
 * by status, the last run (time, viewer, status), a 运行中 / 已暂停 switch, and, when it runs an experiment,
 * the live split: viewers exposed per variant (and the holdout) against the weights.
 *
 *   const list = createPlaybookList(el, {name: (userId) => nick, onPause: async (id, paused) => ok});
 *   list.draw(playbooks);   // draw() again redraws the last list
 */

import { h } from '../ui/dom.js';
import { fmtTime } from '../ui/format.js';
import { COUNT_ORDER, runStatusText, stageText, statusIcon, triggerText } from './automation-text.js';

const pct = (x) => (Math.round(x * 1000) / 10).toFixed(x > 0 && x < 0.1 ? 1 : 0) + '%';

/** The arms of an experiment with their target share (weights after the holdout). */
export function targets(exp) {
  const holdout = Math.max(0, Math.min(1, Number(exp.holdout) || 0));
  const variants = Array.isArray(exp.variants) && exp.variants.length ? exp.variants : [{ name: 'treatment', weight: 1 }];
  const total = variants.reduce((s, v) => s + (Number(v.weight) || 0), 0) || 1;
  const arms = variants.map((v) => ({ name: String(v.name), target: ((1 - holdout) * (Number(v.weight) || 0)) / total }));
  if (holdout > 0) arms.push({ name: 'holdout', target: holdout });
  return arms;
}

function bar(arms, key, cls) {
  return h(
    'div',
    { class: 'ab-bar ' + cls, 'aria-hidden': 'true' },
    arms.map((a, i) => {
      const seg = h('span', { class: 'ab-seg', dataset: { arm: i, holdout: a.name === 'holdout' ? 'true' : null } });
      seg.style.width = (a[key] * 100).toFixed(2) + '%';
      return seg;
    })
  );
}

/** The live split of one experiment: a bar of the targets, a bar of the exposures, one line per arm. */
export function splitView(exp) {
  const exposed = (exp.exposed && exp.exposed[exp.id]) || {};
  const arms = targets(exp);
  const total = arms.reduce((s, a) => s + (Number(exposed[a.name]) || 0), 0);
  for (const a of arms) {
    a.n = Number(exposed[a.name]) || 0;
    a.actual = total ? a.n / total : 0;
  }
  return h(
    'div',
    { class: 'ab-split', dataset: { experiment: exp.id, exposed: total } },
    h('div', { class: 'ab-head' }, h('span', { class: 'ab-tag' }, 'A/B'), h('span', { class: 'ab-id' }, '实验 ' + exp.id), h('span', { class: 'ab-total' }, '已分组 ' + total + ' 人')),
    h('div', { class: 'ab-bars' }, h('span', { class: 'ab-bar-label' }, '目标'), bar(arms, 'target', 'ab-target'), h('span', { class: 'ab-bar-label' }, '实际'), bar(arms, 'actual', 'ab-actual')),
    h(
      'ol',
      { class: 'ab-arms' },
      arms.map((a, i) =>
        h(
          'li',
          { class: 'ab-arm', dataset: { arm: i, variant: a.name, n: a.n } },
          h('span', { class: 'ab-dot', dataset: { arm: i, holdout: a.name === 'holdout' ? 'true' : null }, 'aria-hidden': 'true' }),
          h('span', { class: 'ab-name' }, a.name === 'holdout' ? '对照组' : a.name),
          h('span', { class: 'ab-n' }, a.n + ' 人'),
          h('span', { class: 'ab-pct' }, total ? pct(a.actual) : '—', h('small', null, ' / 目标 ' + pct(a.target)))
        )
      )
    )
  );
}

function countsView(counts) {
  const keys = COUNT_ORDER.filter((k) => counts[k]).concat(Object.keys(counts).filter((k) => !COUNT_ORDER.includes(k) && counts[k]));
  if (!keys.length) return h('span', { class: 'pb-counts none' }, '还没有运行');
  return h(
    'span',
    { class: 'pb-counts' },
    keys.map((k) => h('span', { class: 'pb-count', dataset: { status: k } }, runStatusText(k) + ' ', h('b', null, String(counts[k]))))
  );
}

/** Exposures of the experiments the playbook's random_split actions name (counts only: no weights here). */
function otherSplits(exp) {
  const others = Object.entries(exp.exposed || {}).filter(([id]) => id !== exp.id);
  return others.map(([id, counts]) =>
    h('div', { class: 'ab-other', dataset: { experiment: id } }, '分流 ' + id + '：' + Object.entries(counts).map(([v, n]) => (v === 'holdout' ? '对照组' : v) + ' ' + n + ' 人').join(' · '))
  );
}

export function createPlaybookList(el, { name, onPause }) {
  let rows = [];
  const pending = new Set(); // playbook ids whose pause is on its way

  function row(pb) {
    const paused = !!pb.paused;
    const off = pb.enabled === false;
    const sw = h(
      'button',
      {
        class: 'pb-switch',
        type: 'button',
        role: 'switch',
        'aria-checked': paused || off ? 'false' : 'true',
        'aria-label': (paused ? '恢复 ' : '暂停 ') + (pb.name || pb.id),
        title: paused ? '点击恢复运行' : '点击暂停：不再触发，进行中的运行会做完',
        disabled: off || pending.has(pb.id),
        'aria-busy': pending.has(pb.id) ? 'true' : null,
        dataset: { id: pb.id },
      },
      h('span', { class: 'pb-switch-knob', 'aria-hidden': 'true' }),
      h('span', { class: 'pb-switch-text' }, off ? '已停用' : paused ? '已暂停' : '运行中')
    );
    const last = pb.last_run;
    return h(
      'li',
      { class: 'pb-row', dataset: { id: pb.id, paused: paused ? 'true' : 'false', stage: pb.stage } },
      h(
        'div',
        { class: 'pb-top' },
        h('span', { class: 'pb-stage', dataset: { stage: pb.stage } }, stageText(pb.stage)),
        h('span', { class: 'pb-name', title: pb.id }, pb.name || pb.id),
        sw
      ),
      h(
        'div',
        { class: 'pb-meta' },
        h('span', { class: 'pb-triggers' }, '触发：' + (pb.triggers || []).map(triggerText).join(' / ')),
        pb.mode && pb.mode !== 'single' ? h('span', { class: 'pb-mode' }, pb.mode) : null
      ),
      h(
        'div',
        { class: 'pb-stats' },
        countsView(pb.counts || {}),
        last
          ? h(
              'span',
              { class: 'pb-last', dataset: { status: last.status } },
              '最近 ' + fmtTime(last.at) + ' ' + (last.user_id ? name(last.user_id) : '全场') + ' ',
              h('b', { class: 'pb-last-icon', title: runStatusText(last.status) }, statusIcon(last.status))
            )
          : null
      ),
      pb.experiment ? splitView(pb.experiment) : null,
      pb.experiment ? otherSplits(pb.experiment) : null
    );
  }

  function draw(playbooks) {
    rows = Array.isArray(playbooks) ? playbooks : rows;
    el.replaceChildren(...rows.map(row));
  }

  el.addEventListener('click', async (e) => {
    const sw = e.target.closest && e.target.closest('.pb-switch');
    if (!sw || sw.disabled) return;
    const pb = rows.find((p) => p.id === sw.dataset.id);
    if (!pb) return;
    pending.add(pb.id);
    draw();
    const paused = await onPause(pb.id, !pb.paused);
    pending.delete(pb.id);
    const now = rows.find((p) => p.id === pb.id); // the list may have been redrawn meanwhile
    if (now && paused != null) now.paused = paused; // the server's answer, not the click
    draw();
  });

  return {
    draw,
    get playbooks() {
      return rows;
    },
  };
}
