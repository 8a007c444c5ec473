/**
 * @module ui/toast
 * A short message in #toast (created on demand), then it fades. kind: 'error' | 'ok' | 'info'.
 */

import { h } from './dom.js';

let timer = null;

/** Show `text` for `ms` (default 2.2 s); the element's data-kind says what kind it is. */
export function toast(text, kind, ms) {
  let el = document.getElementById('toast');
  if (!el) {
    el = h('div', { id: 'toast', class: 'toast', role: 'status', 'aria-live': 'polite' });
    document.body.appendChild(el);
  }
  el.textContent = String(text);
  el.dataset.kind = kind || 'info';
  el.hidden = false;
  el.classList.remove('show');
  void el.offsetWidth; // restart the transition
  el.classList.add('show');
  clearTimeout(timer);
  timer = setTimeout(() => {
    el.classList.remove('show');
    timer = setTimeout(() => {
      el.hidden = true;
    }, 300);
  }, ms || 2200);
}
