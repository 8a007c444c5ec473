/**
 * @module host/dialog
 * A modal form of the host console (发券, 发起投票): a `.sheet` dialog centred on the page, with a title,
 * the fields, and a footer of 取消 + the action button. Escape, the backdrop and 取消 close it
 * (ui/sheet.js); the form's submit calls `onSubmit`.
 *
 *   const d = createDialog({id: 'coupon-dialog', title: '发券', action: '发券', onSubmit, onOpen});
 *   d.body.append(...fields); d.open(); d.close(); d.busy(true);
 */

import { h } from '../ui/dom.js';
import { createSheet } from '../ui/sheet.js';

export function createDialog({ id, title, action, onSubmit, onOpen }) {
  const titleId = id + '-title';
  const submit = h('button', { class: 'btn btn-primary', type: 'submit', id: id + '-submit' }, action);
  const body = h('div', { class: 'dialog-body' });
  const form = h(
    'form',
    { class: 'sheet-panel dialog-panel', autocomplete: 'off', novalidate: true },
    h('header', { class: 'sheet-head' }, h('h2', { class: 'sheet-title', id: titleId }, title), h('button', { class: 'sheet-close', type: 'button', 'data-close': true, 'aria-label': '关闭' }, '×')),
    body,
    h('footer', { class: 'dialog-foot' }, h('button', { class: 'btn', type: 'button', 'data-close': true }, '取消'), submit)
  );
  const el = h('div', { class: 'sheet host-dialog', id, role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId, hidden: true }, h('div', { class: 'sheet-backdrop', 'data-close': true }), form);
  document.body.appendChild(el);
  const sheet = createSheet(el, { onOpen });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!submit.disabled) onSubmit();
  });
  return {
    el,
    body,
    submit,
    open: () => sheet.open(),
    close: () => sheet.close(),
    get isOpen() {
      return sheet.isOpen;
    },
    /** While the action is on its way: the button is off (one request at a time). */
    busy(on) {
      submit.disabled = !!on;
      submit.setAttribute('aria-busy', on ? 'true' : 'false');
    },
  };
}

/** A labelled row of the form: <label>text</label> then the control(s). */
export function field(label, ...controls) {
  return h('div', { class: 'dialog-field' }, h('div', { class: 'dialog-label' }, label), h('div', { class: 'dialog-control' }, ...controls));
}

/** A <select> of [value, text] pairs. */
export function select(id, pairs, value) {
  const el = h('select', { id, class: 'text-input dialog-select' }, pairs.map(([v, t]) => h('option', { value: String(v) }, t)));
  if (value != null) el.value = String(value);
  return el;
}

/** Durations a drop or a poll may last: [seconds, text]. */
export const DURATIONS = [
  [30, '30秒'],
  [60, '1分钟'],
  [120, '2分钟'],
  [300, '5分钟'],
  [600, '10分钟'],
];
