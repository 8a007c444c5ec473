/**
 * @module host/groups
 * 同类问题: viewers asking the same thing, as one row with a one-click reply. Groups come in
 * `question_group` messages (one group each time it changes), in the `questions` snapshot's
 * `groups` and in the welcome. A reply to any question of a group answers the whole group (as the
 * server counts it). Rows are sorted: unanswered first, then high priority, then most askers. A group
 * has the state of what it needs: pending when the assistant was unsure, handed off, or one of its
 * questions is pending; auto_answered when the assistant answered every asker; answered after a reply.
 * It shows under the same state tab as the questions, and the count is of pending groups.
 */

import { toast } from '../ui/toast.js';
import { canAct } from '../ui/errors.js';
import { buildGroup, renderGroup } from '../ui/question-group.js';

const MAX_GROUPS = 100;
const MIN_GROUP = 2; // a "group" of one asker is just the question itself

/** @param {object} ctx the host console (see host.js); sets ctx.groups.rememberSeq(seq, key). */
export function installGroups(ctx) {
  const { room, protocol, els } = ctx;
  const groups = new Map(); // group key -> entry (ui/question-group.js)
  const groupOfSeq = new Map(); // question seq -> group key

  const seqsOf = (e) => (e.g && Array.isArray(e.g.seqs) ? e.g.seqs.filter((x) => typeof x === 'number') : []);
  const countOf = (e) => Math.max(Number(e.g.count) || 0, 0) || seqsOf(e).length;
  const lastOf = (e) => {
    const seqs = seqsOf(e);
    return seqs.length ? Math.max(...seqs) : 0;
  };
  /** Answered when the server says so, or when a reply answered it and nobody asked again since. */
  const isAnswered = (e) => !!e.g.answered || (e.answeredUpTo > 0 && lastOf(e) <= e.answeredUpTo);
  const isHigh = (e) => e.g.priority === 'high' || !!e.g.handoff;
  function stateOf(e) {
    if (isAnswered(e)) return 'answered';
    const states = seqsOf(e).map((s) => ctx.questions.stateOf(s)).filter(Boolean);
    if (isHigh(e) || states.includes('pending')) return 'pending';
    if (states.length && states.every((s) => s === 'dismissed')) return 'dismissed';
    return 'auto_answered';
  }

  function render(e) {
    const count = countOf(e);
    const toSeq = seqsOf(e).slice(-1)[0];
    renderGroup(e, { count, answered: isAnswered(e), high: isHigh(e), toSeq, shown: count >= MIN_GROUP });
    e.li.dataset.state = stateOf(e);
  }

  function rememberSeq(seq, key) {
    groupOfSeq.set(seq, key);
    if (groupOfSeq.size > 5000) groupOfSeq.delete(groupOfSeq.keys().next().value);
  }

  function sortGroups() {
    const order = Array.from(groups.values()).sort(
      (a, b) =>
        Number(isAnswered(a)) - Number(isAnswered(b)) ||
        Number(isHigh(b)) - Number(isHigh(a)) ||
        countOf(b) - countOf(a) ||
        lastOf(b) - lastOf(a)
    );
    // Moving rows must not steal the focus (or the caret) from a textarea the host is typing in.
    const active = document.activeElement;
    const keep = active && els.groups.contains(active) ? { el: active, start: active.selectionStart, end: active.selectionEnd } : null;
    let ref = els.groups.firstElementChild;
    for (const e of order) {
      if (e.li === ref) ref = ref.nextElementSibling;
      else els.groups.insertBefore(e.li, ref);
    }
    if (keep && document.activeElement !== keep.el) {
      keep.el.focus();
      try {
        keep.el.setSelectionRange(keep.start, keep.end);
      } catch (_e) {
        /* not a text field */
      }
    }
    let open = 0;
    let shown = 0;
    const filter = els.groups.dataset.filter || 'pending';
    for (const e of groups.values()) {
      if (e.li.hidden) continue;
      if (filter === 'all' || e.li.dataset.state === filter) shown += 1;
      if (e.li.dataset.state === 'pending') open += 1;
    }
    els.groupCount.textContent = String(open);
    els.groupCount.dataset.count = String(open);
    els.groupsSection.hidden = shown === 0;
  }

  function upsert(list) {
    if (!Array.isArray(list)) return;
    for (const g of list) {
      if (!g || typeof g.key !== 'string' || !g.key) continue;
      let e = groups.get(g.key);
      if (!e) {
        e = buildGroup(g.key, { onSend: sendReply });
        groups.set(g.key, e);
        els.groups.appendChild(e.li);
      }
      const wasAnswered = e.g ? isAnswered(e) : false;
      e.g = Object.assign({}, g);
      for (const s of seqsOf(e)) rememberSeq(s, g.key);
      // A fresh round of the same question (asked again after the answer): start from the new suggestion.
      if (wasAnswered && !isAnswered(e)) e.dirty = false;
      if (!e.dirty) e.input.value = g.suggested || '';
      render(e);
    }
    while (groups.size > MAX_GROUPS) {
      const victim = Array.from(groups.values()).find((x) => isAnswered(x)) || groups.values().next().value;
      victim.li.remove();
      groups.delete(victim.key);
    }
    sortGroups();
  }

  function markAnswered(e) {
    e.answeredUpTo = Math.max(e.answeredUpTo, lastOf(e));
    e.dirty = false;
    render(e);
    sortGroups();
  }

  /** Question `seq` was answered: so is its group. */
  function answerGroupOf(seq) {
    const key = groupOfSeq.get(seq);
    const e = key != null ? groups.get(key) : null;
    if (e && seqsOf(e).includes(seq)) markAnswered(e);
  }

  async function sendReply(e) {
    const text = e.input.value.trim();
    if (!text) {
      toast('先写点回复内容吧');
      e.input.focus();
      return;
    }
    if (!canAct(room)) return;
    // Answer the latest asker (the reply quotes that comment); fall back to earlier ones if it is gone.
    const seqs = seqsOf(e).slice().reverse();
    if (!seqs.length) return;
    const n = countOf(e);
    e.btn.disabled = true;
    let res = null;
    for (const toSeq of seqs.slice(0, 3)) {
      res = await room.reply(toSeq, text);
      if (res.ok || !res.error || res.error.code !== 'unknown_comment') break;
    }
    e.btn.disabled = false;
    if (res.ok) {
      markAnswered(e);
      toast('已回复 ' + n + ' 位观众的同类问题', 'ok', 1600);
    } else {
      toast(protocol.errorText(res.error), 'error');
    }
  }

  /** Question states changed (a dismissal, a tab switch): re-derive the groups' states. */
  function refresh() {
    for (const e of groups.values()) render(e);
    sortGroups();
  }

  ctx.groups = { rememberSeq, refresh };
  room.on('welcome', (msg) => upsert(msg.groups));
  room.on('questions', (m) => upsert(m.groups));
  room.on('question_group', (m) => upsert([m]));
  room.on('answered', (m) => answerGroupOf(m.seq));
  room.on('reply', (m) => answerGroupOf((m.reply_to || {}).seq));
}
