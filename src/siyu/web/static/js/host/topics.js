/**
 * @module host/topics
 * 话题 in the console: pin a discussion topic (`topic_pin`) or take it down (`topic_unpin`), and the live
 * summary of the viewers' comments on it (`topic_summary`, staff only, at most every 2 s; also in the
 * `questions` snapshot): how many comments and commenters, the keywords as chips, and the opinions
 * grouped by similarity (a representative comment, how many said it, a few other ways they said it).
 */

import { $, h, setCount } from '../ui/dom.js';
import { fmtCount } from '../ui/format.js';
import { toast } from '../ui/toast.js';

/** @param {object} ctx the host console (see host.js) */
export function installTopics(ctx) {
  const { room, protocol } = ctx;
  const el = {
    form: $('topic-form'), input: $('topic-input'), pin: $('topic-pin-btn'), unpin: $('topic-unpin-btn'),
    status: $('topic-status'), count: $('topic-count'), summary: $('topic-summary'), current: $('topic-current'),
    keywords: $('topic-keywords'), opinions: $('topic-opinions'),
  };
  let topic = null; // {id, text, by, since}
  let summary = null;

  function drawTopic() {
    el.unpin.disabled = !topic;
    el.pin.textContent = topic ? '换个话题' : '置顶话题';
    el.status.textContent = topic ? '置顶中 · ' + (topic.by || '主播') : '未置顶话题';
    el.summary.hidden = !topic;
    if (!topic) {
      setCount(el.count, 0);
      el.count.dataset.count = '0';
      return;
    }
    el.current.replaceChildren(h('span', { class: 'topic-tag' }, '# 话题'), h('span', { class: 'topic-text' }, topic.text));
    drawSummary();
  }

  function drawSummary() {
    const s = summary && topic && summary.topic_id === topic.id ? summary : null;
    const count = s ? Number(s.count) || 0 : 0;
    setCount(el.count, count, fmtCount);
    el.count.dataset.count = String(count);
    el.current.appendChild(
      h('span', { class: 'topic-figures' }, s ? fmtCount(count) + ' 条评论 · ' + fmtCount(s.commenters) + ' 人参与' : '等待观众评论…')
    );
    const words = s && Array.isArray(s.keywords) ? s.keywords : [];
    el.keywords.replaceChildren(
      ...words.map((k) => h('span', { class: 'kw-chip', dataset: { word: k.word } }, k.word, h('b', null, String(k.count))))
    );
    const groups = s && Array.isArray(s.opinions) ? s.opinions : [];
    el.opinions.replaceChildren(
      ...groups.map((g) =>
        h(
          'li',
          { class: 'opinion', dataset: { size: g.size } },
          h('div', { class: 'opinion-head' }, h('span', { class: 'opinion-text' }, g.text), h('span', { class: 'opinion-size' }, g.size + ' 条 · ' + g.users + ' 人')),
          Array.isArray(g.examples) && g.examples.length ? h('div', { class: 'opinion-examples' }, g.examples.join(' / ')) : null
        )
      )
    );
  }

  function setTopic(next) {
    const id = next && next.id ? next.id : null;
    if (id !== (topic && topic.id)) summary = summary && summary.topic_id === id ? summary : null;
    topic = id ? next : null;
    drawTopic();
  }

  room.on('state', (st) => {
    if (st && 'topic' in st) setTopic(st.topic);
  });
  room.on('topic', (m) => setTopic(m.topic));
  room.on('questions', (m) => {
    if (m && m.topic_summary) {
      summary = m.topic_summary;
      drawTopic();
    }
  });
  room.on('topic_summary', (m) => {
    summary = m;
    drawTopic();
  });

  el.form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = el.input.value.trim();
    if (!text) {
      toast('先写下要讨论的话题', 'error');
      el.input.focus();
      return;
    }
    el.pin.disabled = true;
    const res = await room.request({ type: 'topic_pin', text: text.slice(0, 100) });
    el.pin.disabled = false;
    if (res.ok) {
      el.input.value = '';
      toast('话题已置顶', 'ok');
    } else toast(protocol.errorText(res.error), 'error');
  });

  el.unpin.addEventListener('click', async () => {
    el.unpin.disabled = true;
    const res = await room.request({ type: 'topic_unpin' });
    if (!res.ok) {
      el.unpin.disabled = !topic;
      toast(protocol.errorText(res.error), 'error');
    }
  });
  drawTopic();
}
