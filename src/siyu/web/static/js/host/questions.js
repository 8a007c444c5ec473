/**
 * @module host/questions
 * The 观众提问 panel: every viewer question (the `questions` snapshot on connect, then one
 * `question` each), in arrival order, with the assistant's reading of it and its state: pending (needs
 * a person), auto_answered, answered, dismissed (docs/protocol.md). `answered`, replies and `dismissed`
 * move a question on; the badge counts the pending ones only, and the tabs filter by state (待回复 first).
 */

import { buildQuestion, renderAnswered, renderAssist } from '../ui/question-item.js';

const MAX_QUESTIONS = 500;
const ASSIST_FIELDS = ['intent', 'product_id', 'key', 'priority', 'handoff', 'suggested', 'auto_answered', 'dismissed_by'];
const STATES = ['pending', 'auto_answered', 'answered', 'dismissed'];

/** @param {object} ctx the host console (see host.js); sets ctx.questions. */
export function installQuestions(ctx) {
  const { room, els } = ctx;
  const questions = new Map(); // seq -> entry (ui/question-item.js)
  const replies = new Map(); // reply seq -> {text, by}

  function updateCount() {
    const n = Object.fromEntries(STATES.map((s) => [s, 0]));
    for (const e of questions.values()) n[e.q.state] = (n[e.q.state] || 0) + 1;
    els.questionCount.textContent = String(n.pending);
    els.questionCount.dataset.count = String(n.pending);
    for (const b of els.questionFilter.querySelectorAll('b[data-n]')) b.textContent = String(n[b.dataset.n] || 0);
    const filter = els.questions.dataset.filter || 'pending';
    const shown = filter === 'all' ? questions.size : n[filter] || 0;
    els.questionsEmpty.hidden = shown > 0;
    els.questionsEmpty.textContent =
      questions.size === 0 ? '还没有观众提问，问题会自动出现在这里' : filter === 'pending' ? '暂时没有需要你回答的提问 👍' : '这里还没有提问';
  }

  const target = (q) => ({ seq: q.seq, user: q.user, text: q.text });
  const showAnswered = (e) => renderAnswered(e, e.q.reply_seq != null ? replies.get(e.q.reply_seq) : null);

  function add(q, fresh) {
    const entry = buildQuestion(q, {
      onReply: (e) => ctx.replyBox.open(e.li, target(e.q), 'q'),
      onDismiss: (e) => {
        room.dismiss(e.q.seq).then((ack) => {
          if (ack && ack.ok) dismissed(e.q.seq, room.me && room.me.nick);
        });
      },
      onUseSuggested: (e) => {
        // Open the reply box with the assistant's suggestion, ready to edit and send.
        ctx.replyBox.prefill('q', e.q.seq, e.q.suggested);
        ctx.replyBox.open(e.li, target(e.q), 'q');
      },
    });
    questions.set(q.seq, entry);
    // keep arrival (seq) order even when a snapshot and live items interleave
    let after = els.questions.lastElementChild;
    while (after && Number(after.dataset.seq) > q.seq) after = after.previousElementSibling;
    els.questions.insertBefore(entry.li, after ? after.nextElementSibling : els.questions.firstElementChild);
    if (fresh) {
      entry.li.classList.add('fresh');
      setTimeout(() => entry.li.classList.remove('fresh'), 1700);
    }
    while (questions.size > MAX_QUESTIONS) {
      const [oldSeq, old] = questions.entries().next().value;
      ctx.replyBox.closeIfIn(old.li);
      old.li.remove();
      questions.delete(oldSeq);
    }
    return entry;
  }

  function upsert(q, fresh, batch) {
    if (!q || typeof q.seq !== 'number') return;
    let entry = questions.get(q.seq);
    if (!entry) entry = add(q, fresh);
    else if (q.answered && !entry.q.answered) Object.assign(entry.q, q);
    for (const k of ASSIST_FIELDS) if (q[k] != null) entry.q[k] = q[k];
    if (q.key) ctx.groups.rememberSeq(q.seq, q.key);
    renderAssist(entry);
    if (ctx.hidden.has(q.seq)) entry.li.classList.add('mod-hidden');
    showAnswered(entry);
    if (q.answered) ctx.stream.markAnswered(q.seq);
    updateCount();
    if (ctx.groups && !batch) ctx.groups.refresh();
  }

  function answer(seq, by, replySeq) {
    const entry = questions.get(seq);
    if (!entry) return;
    const q = entry.q;
    if (!q.answered) {
      q.answered = true;
      q.answered_by = by || q.answered_by;
      q.reply_seq = replySeq != null ? replySeq : q.reply_seq;
    } else if (replySeq != null && q.reply_seq == null) {
      q.reply_seq = replySeq;
    }
    showAnswered(entry);
    updateCount();
  }

  function dismissed(seq, by) {
    const entry = questions.get(seq);
    if (!entry || entry.q.answered) return;
    entry.q.dismissed_by = entry.q.dismissed_by || by || '主播';
    ctx.replyBox.closeIfIn(entry.li);
    showAnswered(entry);
    updateCount();
    if (ctx.groups) ctx.groups.refresh();
  }

  ctx.questions = {
    /** The state of question `seq` (undefined when it is not on the panel). */
    stateOf: (seq) => (questions.get(seq) ? questions.get(seq).q.state : undefined),
    /** Question `seq` is known to be answered. */
    isAnswered: (seq) => !!(questions.get(seq) && questions.get(seq).q.answered),
    /** A moderator hid question `seq`'s comment. */
    markHidden: (seq) => {
      const e = questions.get(seq);
      if (e) e.li.classList.add('mod-hidden');
    },
  };

  room.on('questions', (m) => {
    for (const q of Array.isArray(m.items) ? m.items : []) upsert(q, false, true);
    updateCount();
    if (ctx.groups) ctx.groups.refresh();
  });
  room.on('question', (m) => upsert(m, true));
  room.on('answered', (m) => answer(m.seq, m.by, m.reply_seq));
  room.on('dismissed', (m) => dismissed(m.question_seq, m.by));
  room.on('reply', (m) => {
    const by = m.user || {};
    replies.set(m.seq, { text: m.text, by: by.nick });
    answer((m.reply_to || {}).seq, by.nick, m.seq);
  });
  els.questionFilter.addEventListener('click', (e) => {
    const tab = e.target.closest && e.target.closest('button[data-filter]');
    if (!tab) return;
    for (const b of els.questionFilter.querySelectorAll('button[data-filter]')) b.setAttribute('aria-selected', String(b === tab));
    els.questions.dataset.filter = tab.dataset.filter;
    els.groups.dataset.filter = tab.dataset.filter;
    updateCount();
    if (ctx.groups) ctx.groups.refresh();
  });
  updateCount();
}
