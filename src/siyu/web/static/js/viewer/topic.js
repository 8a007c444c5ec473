/**
 * @module viewer/topic
 * The host's pinned topic (话题) above the comments: `state.topic`, then `topic` messages (null: gone).
 * Tapping it puts the cursor in the comment box: a comment sent while it is pinned joins the topic.
 */

import { $, h } from '../ui/dom.js';

/** @param {object} ctx the viewer page (see viewer.js) */
export function installTopic(ctx) {
  const { room, els } = ctx;
  const el = $('topic-pin');
  let current = null;

  function show(topic) {
    const id = topic && topic.id ? String(topic.id) : null;
    if (id === (current && current.id)) return;
    current = id ? topic : null;
    el.hidden = !current;
    if (!current) {
      el.replaceChildren();
      delete el.dataset.topicId;
      return;
    }
    el.dataset.topicId = id;
    el.setAttribute('aria-label', '话题：' + current.text + '（点击参与讨论）');
    el.replaceChildren(h('span', { class: 'topic-tag' }, '# 话题'), h('span', { class: 'topic-text' }, current.text), h('span', { class: 'topic-go' }, '参与'));
  }

  el.addEventListener('click', () => {
    if (!els.input.disabled) els.input.focus();
  });
  room.on('state', (st) => {
    if (st && 'topic' in st) show(st.topic);
  });
  room.on('topic', (m) => show(m.topic));
}
