/**
 * @module host/automation
 * 自动化日志 on the host console: what the room's playbooks do, live. A 自动化 button in the header (with
 * the number of runs since the panel was last looked at, red when one failed) opens a panel docked on the
 * right under the header, with two tabs:
 *
 * - 日志: the run traces, newest first (host/automation-log.js); a click opens the run's details
 *   (host/run-details.js); 只看异常 keeps failed, partial, refused and skipped runs.
 * - 剧本: the running playbooks with their counts, last run, pause switch and experiment split
 *   (host/automation-playbooks.js).
 *
 * 编辑剧本 opens the YAML editor (host/playbook-editor.js). Fed by the `automation` staff message (on entry
 * and at most once a second when runs happened), the staff snapshot's `automation`, the `playbooks` room
 * message (a new version or a pause, from any console: the panel reads GET …/playbooks again) and that GET
 * when the panel opens. Viewers are named with the nicknames the console has seen (ctx.users).
 */

import { h } from '../ui/dom.js';
import { toast } from '../ui/toast.js';
import { playbooksApi } from './playbooks-api.js';
import { createPlaybookList } from './automation-playbooks.js';
import { createTraceLog } from './automation-log.js';
import { createRunDetails } from './run-details.js';
import { createPlaybookEditor } from './playbook-editor.js';

const UNUSUAL = new Set(['failed', 'refused', 'partial', 'skipped', 'cancelled']);
const unusual = (t) => UNUSUAL.has(t.status) || (t.actions || []).some((a) => a.status !== 'ok');

/** @param {object} ctx the host console (see host.js) */
export function installAutomation(ctx) {
  const { room, protocol } = ctx;
  const api = playbooksApi(room);
  const known = new Map(); // user id -> nickname, from presence / enter / comments
  const said = new Map(); // comment seq -> text (what a comment trigger fired on)
  const commentText = (seq) => said.get(seq) || null;
  let version = null;
  let problem = null;
  let unseen = 0;
  let unseenFailed = false;
  let onlyUnusual = false;

  const name = (id) => {
    const nick = known.get(id) || (ctx.users ? ctx.users.resolve({ id }).nick : null);
    return nick && nick !== id ? nick : id;
  };
  const titles = new Map(); // playbook id -> name, kept when a new version drops the playbook (its runs stay)
  const playbookName = (id) => titles.get(id) || id;

  // --- markup -----------------------------------------------------------------------------------
  const badge = h('span', { id: 'automation-badge', class: 'count-badge auto-badge', dataset: { count: '0' }, hidden: true }, '0');
  const openBtn = h('button', { id: 'automation-btn', class: 'btn auto-open-btn', type: 'button', 'aria-expanded': 'false', 'aria-controls': 'automation', title: '自动化日志：剧本的每次运行与原因' }, '自动化', badge);
  const versionChip = h('small', { id: 'automation-version', class: 'auto-version' }, '');
  const editBtn = h('button', { id: 'pb-edit-btn', class: 'btn btn-sm', type: 'button', 'aria-haspopup': 'dialog' }, '编辑剧本');
  const closeBtn = h('button', { class: 'sheet-close auto-close', type: 'button', 'aria-label': '收起自动化日志' }, '×');
  const problemBox = h('div', { id: 'automation-problem', class: 'auto-problem', role: 'alert', hidden: true });
  const logCount = h('b', { 'data-n': 'log' }, '0');
  const pbCount = h('b', { 'data-n': 'playbooks' }, '0');
  const tabLog = h('button', { type: 'button', role: 'tab', id: 'auto-tab-log', 'aria-selected': 'true', 'aria-controls': 'automation-log', dataset: { tab: 'log' } }, '日志 ', logCount);
  const tabPb = h('button', { type: 'button', role: 'tab', id: 'auto-tab-playbooks', 'aria-selected': 'false', 'aria-controls': 'automation-playbooks', dataset: { tab: 'playbooks' } }, '剧本 ', pbCount);
  const unusualBox = h('input', { type: 'checkbox', id: 'auto-unusual' });
  const logEl = h('ol', { id: 'automation-log', class: 'auto-log scroll', role: 'tabpanel', 'aria-labelledby': 'auto-tab-log' });
  const logEmpty = h('p', { class: 'empty auto-empty' }, '还没有运行记录：剧本被触发后，每次运行和原因会出现在这里');
  const pbEl = h('ol', { id: 'automation-playbooks', class: 'auto-playbooks scroll', role: 'tabpanel', 'aria-labelledby': 'auto-tab-playbooks', hidden: true });
  const panel = h(
    'section',
    { id: 'automation', class: 'panel auto-panel', 'aria-label': '自动化日志', hidden: true },
    h('div', { class: 'panel-head' }, h('h2', null, '自动化日志 ', versionChip), h('div', { class: 'auto-head-actions' }, editBtn, closeBtn)),
    problemBox,
    h(
      'div',
      { class: 'auto-bar' },
      h('div', { class: 'q-filter auto-tabs', role: 'tablist', 'aria-label': '日志或剧本' }, tabLog, tabPb),
      h('label', { class: 'auto-unusual' }, unusualBox, ' 只看异常')
    ),
    logEl,
    logEmpty,
    pbEl
  );
  const acts = document.querySelector('.acts-ctl') || document.querySelector('.console-head');
  acts.appendChild(openBtn);
  document.body.appendChild(panel);

  // --- parts ------------------------------------------------------------------------------------
  const details = createRunDetails({ api, name, playbookName, protocol, commentText });
  const log = createTraceLog(logEl, {
    name,
    playbookName,
    protocol,
    commentText,
    onOpen: (t) => details.show(t),
    filter: (t) => !onlyUnusual || unusual(t),
  });
  const list = createPlaybookList(pbEl, { name, onPause: pause });
  const editor = createPlaybookEditor({ api, onSaved: (v) => refresh(v) });

  function drawLog() {
    log.draw();
    logCount.textContent = String(log.size);
    logEmpty.hidden = logEl.children.length > 0;
  }

  function drawPlaybooks(playbooks) {
    for (const p of Array.isArray(playbooks) ? playbooks : []) if (p && p.id) titles.set(p.id, p.name || p.id);
    list.draw(playbooks);
    pbCount.textContent = String(list.playbooks.length);
    panel.dataset.playbooks = String(list.playbooks.length);
  }

  function drawHead() {
    versionChip.textContent = version == null ? '' : version ? 'v' + version : '默认剧本';
    problemBox.hidden = !problem;
    problemBox.textContent = problem ? '最新保存的剧本校验失败，仍在运行上一版：' + problem.message : '';
  }

  function drawBadge() {
    badge.hidden = unseen === 0;
    badge.textContent = unseen > 99 ? '99+' : String(unseen);
    badge.dataset.count = String(unseen);
    badge.dataset.failed = unseenFailed ? 'true' : 'false';
  }

  function select(tab) {
    const isLog = tab === 'log';
    tabLog.setAttribute('aria-selected', String(isLog));
    tabPb.setAttribute('aria-selected', String(!isLog));
    logEl.hidden = !isLog;
    logEmpty.hidden = !isLog || logEl.children.length > 0;
    pbEl.hidden = isLog;
    panel.dataset.tab = tab;
  }

  // The panel sits under the header (which wraps differently on a tablet).
  function place() {
    const head = document.querySelector('.console-head');
    const top = head ? Math.max(0, Math.round(head.getBoundingClientRect().bottom)) : 0;
    panel.style.top = Math.max(8, top + 8) + 'px';
  }

  function setOpen(on) {
    panel.hidden = !on;
    openBtn.setAttribute('aria-expanded', String(on));
    openBtn.classList.toggle('active', on);
    if (on) {
      place();
      unseen = 0;
      unseenFailed = false;
      drawBadge();
      refresh();
    }
  }

  // --- data -------------------------------------------------------------------------------------
  let refreshing = null;
  let target = 0; // the newest version known to exist (a save's, a pause's, a `playbooks` message's)
  /** Read GET …/playbooks again, until the node runs `target` (it reloads just after answering a change). */
  function refresh(atLeast) {
    if (atLeast != null) target = Math.max(target, Number(atLeast) || 0);
    if (refreshing) return refreshing;
    refreshing = (async () => {
      for (let attempt = 0; attempt < 6; attempt += 1) {
        const res = await api.overview();
        if (!res.ok) {
          if (!panel.hidden) toast('读取剧本失败：' + res.text, 'error');
          return;
        }
        const d = res.data;
        version = Number(d.version) || 0;
        problem = d.problem || null;
        log.add(d.traces);
        drawPlaybooks(d.playbooks);
        drawLog();
        drawHead();
        if (version >= target || problem) return;
        await new Promise((r) => setTimeout(r, 150 * 2 ** attempt));
      }
    })().finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  async function pause(id, paused) {
    const res = await api.pause(id, paused);
    if (!res.ok) {
      toast((paused ? '暂停' : '恢复') + '失败：' + res.text, 'error');
      return null;
    }
    target = Math.max(target, Number(res.data.version) || 0);
    toast((res.data.paused ? '已暂停：' : '已恢复：') + playbookName(id), 'ok');
    return !!res.data.paused;
  }

  /** Remember nicknames; redraw the log when a run it shows was waiting for one. */
  function learn(users) {
    let redraw = false;
    for (const u of Array.isArray(users) ? users : []) {
      if (u && u.id && u.nick && known.get(u.id) !== u.nick) {
        known.set(u.id, u.nick);
        redraw = redraw || log.hasUser(u.id);
      }
    }
    while (known.size > 5000) known.delete(known.keys().next().value);
    if (redraw) drawLog();
  }

  room.on('automation', (m) => {
    const runs = Array.isArray(m.runs) ? m.runs : [];
    const added = log.add(runs);
    if (Array.isArray(m.playbooks)) drawPlaybooks(m.playbooks);
    drawLog();
    if (panel.hidden && added) {
      unseen += added;
      unseenFailed = unseenFailed || runs.some(unusual);
      drawBadge();
    }
  });
  room.on('questions', (snap) => {
    const a = snap && snap.automation;
    if (!a) return;
    version = Number(a.version) || 0;
    drawPlaybooks(a.playbooks);
    drawHead();
  });
  room.on('playbooks', (m) => {
    if (m.version !== version) refresh(m.version);
  });
  room.on('presence', (m) => learn(m.entered));
  room.on('enter', (m) => learn(m.users));
  room.on('comment', (m) => {
    learn([m.user]);
    if (typeof m.seq === 'number' && m.text) said.set(m.seq, String(m.text));
    while (said.size > 2000) said.delete(said.keys().next().value);
  });

  openBtn.addEventListener('click', () => setOpen(panel.hidden));
  closeBtn.addEventListener('click', () => {
    setOpen(false);
    openBtn.focus();
  });
  editBtn.addEventListener('click', () => editor.open());
  tabLog.addEventListener('click', () => select('log'));
  tabPb.addEventListener('click', () => select('playbooks'));
  unusualBox.addEventListener('change', () => {
    onlyUnusual = unusualBox.checked;
    drawLog();
  });
  for (const ev of ['resize', 'scroll']) {
    window.addEventListener(ev, () => {
      if (!panel.hidden) place();
    }, { passive: true });
  }
  select('log');
  drawLog();
}
