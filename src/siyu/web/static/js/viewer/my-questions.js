/**
 * @module viewer/my-questions
 * 我的提问: my own questions and the answers to them stay re-readable however fast the stream runs.
 * Keeps my recent comments; one the server took for a question (`comment.question`), or that got an
 * answer, is listed in the 我的提问 drawer with the assistant's personal answers (`assistant` with
 * `to: "user"` and `reply_to` naming it) and the host's replies (`reply` whose `reply_to` is it).
 * A fresh answer is also pinned above the stream for 20 s (tap it to open the drawer).
 */

import { createSheet } from '../ui/sheet.js';
import { roleLabel } from '../ui/format.js';
import { renderEntry, renderPin } from './my-questions-view.js';

const KEEP_COMMENTS = 60; // my recent comments remembered (an answer may come for any of them)
const KEEP_ENTRIES = 30; // questions listed in the drawer
const PIN_MS = 20000;

/** @param {object} ctx the viewer page (see viewer.js) */
export function installMyQuestions(ctx) {
  const { room, els } = ctx;
  const comments = new Map(); // my comments by 's' + seq and 'c' + cid → entry
  const order = []; // entries, oldest first
  let unread = 0;
  let pinTimer = null;
  let pinned = null;

  const sheet = createSheet(els.myQSheet, {
    onOpen: () => {
      unread = 0;
      draw();
    },
  });
  els.myQBtn.addEventListener('click', () => sheet.open());

  function remember(entry) {
    if (entry.seq != null) comments.set('s' + entry.seq, entry);
    if (entry.cid) comments.set('c' + entry.cid, entry);
    if (!order.includes(entry)) order.push(entry);
    while (order.length > KEEP_COMMENTS) {
      const old = order.shift();
      comments.delete('s' + old.seq);
      comments.delete('c' + old.cid);
    }
  }

  function find(to) {
    return (to.seq != null && comments.get('s' + to.seq)) || (to.cid && comments.get('c' + to.cid)) || null;
  }

  /** The entry an answer is for; made from what the answer quotes when I no longer have it. */
  function entryFor(to, quoted) {
    let entry = find(to);
    if (!entry) {
      entry = { seq: to.seq, cid: to.cid, text: quoted || (ctx.myText && ctx.myText(to)) || '我的提问', ts: null, question: true, answers: [] };
      remember(entry);
    } else if (entry.seq == null && to.seq != null) {
      entry.seq = to.seq;
      comments.set('s' + to.seq, entry);
    }
    return entry;
  }

  const listed = () => order.filter((e) => e.question || e.answers.length).slice(-KEEP_ENTRIES).reverse();

  function draw() {
    const items = listed();
    els.myQList.replaceChildren(...items.map(renderEntry));
    els.myQEmpty.hidden = items.length > 0;
    els.myQCount.hidden = items.length === 0;
    els.myQCount.textContent = unread > 0 ? String(unread) : String(items.length);
    els.myQCount.dataset.unread = unread > 0 ? 'true' : 'false';
    els.myQBtn.dataset.count = String(items.length);
    els.myQBtn.setAttribute('aria-label', '我的提问' + (items.length ? '，' + items.length + '条' : '') + (unread ? '，' + unread + '条新回答' : ''));
  }

  function showPin(entry) {
    pinned = entry;
    els.myQaPin.replaceChildren(renderPin(entry));
    els.myQaPin.dataset.seq = entry.seq != null ? String(entry.seq) : '';
    els.myQaPin.hidden = false;
    clearTimeout(pinTimer);
    pinTimer = setTimeout(hidePin, PIN_MS);
  }
  function hidePin() {
    clearTimeout(pinTimer);
    pinned = null;
    els.myQaPin.hidden = true;
  }
  els.myQaPin.addEventListener('click', (e) => {
    if (e.target.closest('.my-qa-close')) hidePin();
    else sheet.open();
  });

  function answered(entry, answer) {
    entry.answers.push(answer);
    if (!sheet.isOpen) unread += 1;
    draw();
    showPin(entry);
  }

  room.on('comment', (m) => {
    if (!ctx.isMe(m.user)) return;
    const entry = find({ seq: m.seq, cid: m.cid });
    if (entry) {
      entry.question = entry.question || !!m.question;
      if (entry.seq == null && m.seq != null) remember(Object.assign(entry, { seq: m.seq }));
    } else {
      remember({ seq: m.seq, cid: m.cid, text: m.text, ts: m.ts, question: !!m.question, answers: [] });
    }
    if (m.question) draw();
  });

  room.on('assistant', (m) => {
    if (m.to !== 'user' || !m.reply_to) return;
    const entry = entryFor(m.reply_to, '');
    answered(entry, { kind: 'ai', label: 'AI助理', text: m.text || '', ts: m.ts || Date.now(), handoff: !!m.handoff });
  });

  room.on('reply', (m) => {
    const to = m.reply_to || {};
    if (!ctx.isMe(to.user)) return;
    const by = m.user || {};
    const label = !by.role || by.role === 'host' ? '主播回复' : (roleLabel(by.role) || '') + ' ' + (by.nick || '') + ' 回复';
    answered(entryFor(to, to.text), { kind: 'host', label, text: m.text || '', ts: m.ts || Date.now() });
  });

  /** A moderator hid one of my comments: it stays in my list, marked. */
  room.on('moderation', (m) => {
    if (m.action !== 'hide' || m.comment_seq == null) return;
    const entry = comments.get('s' + m.comment_seq);
    if (entry) {
      entry.hidden = true;
      draw();
      if (pinned === entry) showPin(entry);
    }
  });

  draw();
}
