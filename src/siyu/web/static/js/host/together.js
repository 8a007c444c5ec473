/**
 * @module host/together
 * The 连线 panel at the top of the console's side column: one tab each for PK (host/pk.js), 连麦
 * (host/mic.js) and 1v1 视频 (host/calls.js). Each module asks for its pane; a tab shows a count badge
 * (pending invites, the mic queue, a ringing call) and can bring itself forward.
 *
 *   const tab = togetherTab(ctx, 'pk', 'PK');   // {pane, badge(n), select()}
 */

import { h } from '../ui/dom.js';

function panel(ctx) {
  if (ctx.togetherPanel) return ctx.togetherPanel;
  const tabs = h('div', { class: 'together-tabs', role: 'tablist', 'aria-label': '连线' });
  const body = h('div', { class: 'together-panes' });
  const el = h('section', { id: 'together-panel', class: 'panel together-panel', 'aria-label': '连线' },
    h('div', { class: 'panel-head' }, h('h2', null, '连线'), tabs), body);
  const side = document.querySelector('.side');
  side.insertBefore(el, side.firstChild);
  ctx.togetherPanel = { el, tabs, body, all: [] };
  return ctx.togetherPanel;
}

/** The pane of tab `key` (made on first use). */
export function togetherTab(ctx, key, label) {
  const p = panel(ctx);
  const count = h('span', { class: 'count-badge', dataset: { count: 0 } }, '0');
  const tab = h('button', { id: 'tab-' + key, class: 'together-tab', type: 'button', role: 'tab', 'aria-selected': 'false', 'aria-controls': 'pane-' + key },
    label, count);
  const pane = h('div', { id: 'pane-' + key, class: 'together-pane', role: 'tabpanel', 'aria-labelledby': 'tab-' + key, hidden: true });
  p.tabs.appendChild(tab);
  p.body.appendChild(pane);
  const entry = {
    pane,
    badge(n) {
      n = Number(n) || 0;
      count.dataset.count = String(n);
      count.textContent = String(n);
    },
    select() {
      for (const t of p.all) {
        t.tab.setAttribute('aria-selected', t === item ? 'true' : 'false');
        t.pane.hidden = t !== item;
      }
      p.el.dataset.tab = key;
    },
  };
  const item = Object.assign({ tab }, entry);
  p.all.push(item);
  tab.addEventListener('click', () => entry.select());
  if (p.all.length === 1) entry.select();
  return entry;
}
