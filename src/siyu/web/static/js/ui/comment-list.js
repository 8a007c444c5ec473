/**
 * @module ui/comment-list
 * A scrolling message list (#comments on both pages): new lines are appended at the bottom, the
 * oldest dropped past a cap, and the list follows the newest line unless the reader scrolled up,
 * in which case the "有新消息 ↓" tip appears.
 */

import { capChildren } from './dom.js';

/** Keep a scrolling list pinned to the bottom unless the reader scrolled up. */
export function stickyScroller(list, tip) {
  let stuck = true;
  const atBottom = () => list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.addEventListener('scroll', () => {
    stuck = atBottom();
    if (stuck && tip) tip.hidden = true;
  });
  if (tip) {
    tip.addEventListener('click', () => {
      list.scrollTop = list.scrollHeight;
      stuck = true;
      tip.hidden = true;
    });
  }
  return {
    /** Call after adding; scrolls if the reader was at the bottom (or when forced). */
    update(force) {
      if (stuck || force) {
        list.scrollTop = list.scrollHeight;
        stuck = true;
      } else if (tip) {
        tip.hidden = false;
      }
    },
    get stuck() {
      return stuck;
    },
  };
}

/**
 * @param {HTMLElement} list the <ol>
 * @param {HTMLElement} tip the "new messages" button
 * @param {{max: number, onEvict?: (li: Element) => void}} opts
 */
export function createCommentList(list, tip, { max, onEvict }) {
  const scroller = stickyScroller(list, tip);

  function trim() {
    if (!onEvict) {
      capChildren(list, max);
      return;
    }
    while (list.children.length > max) {
      const old = list.firstElementChild;
      onEvict(old);
      old.remove();
    }
  }

  return {
    el: list,
    scroller,
    /** Append a line; `force` scrolls to it even when the reader scrolled up (their own lines). */
    add(li, force) {
      list.appendChild(li);
      trim();
      scroller.update(force);
    },
    /** Insert a line right after `ref` (an answer under its question) and show it. */
    insertAfter(ref, li) {
      ref.after(li);
      trim();
      scroller.update(true);
    },
  };
}
