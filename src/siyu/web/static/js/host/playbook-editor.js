/**
 * @module host/playbook-editor
 * 编辑剧本: a dialog with the room's playbook document (YAML, from GET …/playbooks) in a textarea; 保存 (or
 * Ctrl/⌘+S) PUTs it. A document that does not validate (422 `playbook.invalid`) lists its errors next to
 * the textarea, each with its path in the document, the line it points at and the message; a click on one
 * selects that line. On success the dialog says the new version that now runs (the running one is never
 * replaced by a document that does not validate).
 *
 *   const editor = createPlaybookEditor({api, onSaved: (version) => …});
 *   editor.open();
 */

import { h } from '../ui/dom.js';
import { toast } from '../ui/toast.js';
import { locateLine } from '../ui/yaml-locate.js';
import { createDialog } from './dialog.js';
import { validationText } from './automation-text.js';

const SCHEMA_URL = '/api/playbooks/schema';

export function createPlaybookEditor({ api, onSaved }) {
  const source = h('textarea', {
    id: 'pb-source',
    class: 'pb-source',
    spellcheck: 'false',
    autocomplete: 'off',
    wrap: 'off',
    'aria-label': '剧本 YAML',
    'aria-describedby': 'pb-editor-status',
  });
  const status = h('p', { id: 'pb-editor-status', class: 'pb-editor-status', role: 'status', 'aria-live': 'polite' });
  const errors = h('ol', { id: 'pb-errors', class: 'pb-errors', 'aria-label': '校验错误' });
  const side = h(
    'aside',
    { class: 'pb-editor-side' },
    h('h3', null, '校验结果'),
    errors,
    h('p', { class: 'pb-editor-help' }, '保存前服务器会校验整份剧本：不通过时，正在运行的版本保持不变。字段说明见 ', h('a', { href: SCHEMA_URL, target: '_blank', rel: 'noopener' }, 'JSON Schema'), '。')
  );
  let running = null; // the version the room runs, as last read or saved
  let errorList = [];

  const dialog = createDialog({
    id: 'pb-editor',
    title: '编辑剧本',
    action: '保存',
    onSubmit: save,
    onOpen: load,
  });
  dialog.el.classList.add('pb-editor');
  dialog.body.append(status, h('div', { class: 'pb-editor-main' }, source, side));

  function setStatus(text, kind) {
    status.textContent = text;
    status.dataset.kind = kind || 'info';
  }

  function showErrors(list) {
    errorList = Array.isArray(list) ? list : [];
    errors.dataset.count = String(errorList.length);
    if (!errorList.length) {
      errors.replaceChildren(h('li', { class: 'pb-error-none' }, '暂无错误'));
      return;
    }
    errors.replaceChildren(
      ...errorList.map((e, i) => {
        const line = locateLine(source.value, e.path);
        return h(
          'li',
          { class: 'pb-error', dataset: { path: e.path, type: e.type, line: line >= 0 ? line + 1 : null, i } },
          h(
            'button',
            { type: 'button', class: 'pb-error-btn', title: line >= 0 ? '定位到第 ' + (line + 1) + ' 行' : '' },
            h('code', { class: 'pb-error-path' }, e.path || '(document)'),
            line >= 0 ? h('span', { class: 'pb-error-line' }, '第 ' + (line + 1) + ' 行') : null
          ),
          validationText(e) ? h('span', { class: 'pb-error-zh' }, validationText(e)) : null,
          h('span', { class: 'pb-error-msg' }, e.message || ''),
          e.type ? h('span', { class: 'pb-error-type' }, e.type) : null
        );
      })
    );
  }

  /** Select line `n` (0-based) of the textarea and scroll it into view. */
  function goToLine(n) {
    const lines = source.value.split('\n');
    if (n < 0 || n >= lines.length) return;
    let at = 0;
    for (let i = 0; i < n; i += 1) at += lines[i].length + 1;
    source.focus();
    source.setSelectionRange(at, at + lines[n].length);
    const lh = parseFloat(getComputedStyle(source).lineHeight) || 18;
    source.scrollTop = Math.max(0, n * lh - source.clientHeight / 3);
  }

  errors.addEventListener('click', (e) => {
    const li = e.target.closest && e.target.closest('li.pb-error');
    if (li && li.dataset.line) goToLine(Number(li.dataset.line) - 1);
  });

  async function load() {
    source.disabled = true;
    dialog.busy(true);
    setStatus('加载中…');
    showErrors([]);
    const res = await api.overview();
    source.disabled = false;
    if (!res.ok) {
      setStatus('读取剧本失败：' + res.text, 'error');
      return;
    }
    dialog.busy(false);
    const d = res.data;
    source.value = d.source || '';
    const v = (running = Number(d.version) || 0);
    const n = Array.isArray(d.playbooks) ? d.playbooks.length : 0;
    setStatus((v ? '当前运行 v' + v : '当前运行默认剧本（v0）') + ' · ' + n + ' 个剧本');
    if (d.problem) {
      setStatus('已保存的最新版本校验失败，仍在运行 v' + v + '：' + d.problem.message, 'error');
      showErrors(d.problem.errors);
    }
    source.focus();
  }

  async function save() {
    dialog.busy(true);
    setStatus('校验并保存中…');
    const res = await api.save(source.value);
    dialog.busy(false);
    if (res.ok) {
      const d = res.data || {};
      const ids = Array.isArray(d.playbooks) ? d.playbooks : [];
      running = d.version;
      showErrors([]);
      setStatus('已保存并生效：v' + d.version + '（' + ids.length + ' 个剧本）', 'ok');
      dialog.el.dataset.version = String(d.version);
      toast('剧本已保存：v' + d.version, 'ok');
      if (onSaved) onSaved(d.version);
      return;
    }
    const err = res.data && res.data.error;
    if (res.status === 422 && err && Array.isArray(err.errors)) {
      showErrors(err.errors);
      setStatus('校验未通过（' + err.errors.length + ' 处），' + (running ? '仍在运行 v' + running : '正在运行的版本不变'), 'error');
      return;
    }
    setStatus('保存失败：' + res.text, 'error');
  }

  source.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
      e.preventDefault();
      if (!dialog.submit.disabled) save();
    }
  });

  return {
    open: () => dialog.open(),
    close: () => dialog.close(),
    get errors() {
      return errorList;
    },
  };
}
