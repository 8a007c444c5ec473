/**
 * @module ui/reply-box
 * The host's inline reply box, opened under a stream line or a question: "回复 @小鹿：…", an input
 * (Enter sends, Esc closes), 发送 / 取消 and quick-reply chips. One box at a time; drafts are kept
 * per question seq while the box is closed.
 */

import { h } from './dom.js';
import { toast } from './toast.js';
import { canAct } from './errors.js';

const QUICK_REPLIES = ['有的宝宝', '稍等，马上讲解', '看置顶链接哦', '可以的', '按身高体重拍就行', '今天下单48小时内发货'];

/**
 * @param {import('../core/client.js').RoomClient} room
 * @returns {{open: Function, close: Function, closeIfIn: Function, prefill: Function}}
 */
export function createReplyBox(room) {
  const drafts = new Map(); // target seq -> draft text
  let openBox = null; // {key, host, box, input}

  function close() {
    if (!openBox) return;
    openBox.box.remove();
    openBox.host.classList.remove('selected');
    openBox = null;
  }

  /** Close the box if it sits inside `el` (a line about to be removed). */
  function closeIfIn(el) {
    if (openBox && el.contains(openBox.box)) close();
  }

  async function submit(target, input, send) {
    const text = input.value.trim();
    if (!text) {
      toast('先写点回复内容吧');
      input.focus();
      return;
    }
    if (!canAct(room)) return;
    send.disabled = true;
    const res = await room.reply(target.seq, text);
    send.disabled = false;
    if (res.ok) {
      drafts.delete(target.seq);
      if (openBox && openBox.input === input) close();
      toast('已回复 @' + ((target.user && target.user.nick) || '观众'), 'ok', 1400);
    } else {
      toast(room.protocol.errorText(res.error), 'error');
    }
  }

  /**
   * Open the box in `hostEl` for `target` {seq, user, text}; `where` is 's' (stream) or 'q' (questions
   * panel): the same question may have a box in either place.
   */
  function open(hostEl, target, where) {
    const key = where + target.seq;
    if (openBox && openBox.key === key) {
      openBox.input.focus();
      return;
    }
    close();
    const nick = (target.user && target.user.nick) || '观众';
    const input = h('input', { class: 'text-input reply-input', type: 'text', placeholder: '回复 @' + nick, 'aria-label': '回复内容' });
    input.value = drafts.get(target.seq) || '';
    const send = h('button', { class: 'btn btn-sm btn-primary reply-send', type: 'button' }, '发送');
    const cancel = h('button', { class: 'btn btn-sm btn-ghost reply-cancel', type: 'button' }, '取消');
    const quick = h('div', { class: 'quick-replies' }, QUICK_REPLIES.map((t) => h('button', { class: 'quick-reply', type: 'button' }, t)));
    const box = h(
      'div',
      { class: 'reply-box', dataset: { toSeq: target.seq } },
      h('div', { class: 'reply-target' }, '回复 @' + nick + '：' + (target.text || '')),
      input,
      send,
      cancel,
      quick
    );
    box.addEventListener('click', (e) => e.stopPropagation());
    input.addEventListener('input', () => drafts.set(target.seq, input.value));
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        submit(target, input, send);
      } else if (e.key === 'Escape') {
        close();
      }
    });
    send.addEventListener('click', () => submit(target, input, send));
    cancel.addEventListener('click', () => close());
    quick.addEventListener('click', (e) => {
      const chip = e.target.closest('.quick-reply');
      if (!chip) return;
      input.value = chip.textContent;
      drafts.set(target.seq, input.value);
      input.focus();
    });
    hostEl.appendChild(box);
    hostEl.classList.add('selected');
    openBox = { key, host: hostEl, box, input };
    input.focus();
    if (where === 's') box.scrollIntoView({ block: 'nearest' });
  }

  /** Put `text` in the draft for question `seq` (and in its box if that is open in `where`). */
  function prefill(where, seq, text) {
    drafts.set(seq, text);
    if (openBox && openBox.key === where + seq) openBox.input.value = text;
  }

  return { open, close, closeIfIn, prefill };
}
