/**
 * @module viewer/acts
 * The dock of interaction cards (a coupon drop, a poll) in the bottom overlay, above the gift row: at
 * most one card is open; the others are chips (40 px high) in a row above it, and tapping a chip opens
 * its card (its 收起 button folds it back). The dock is in the overlay's flow, so a card never covers
 * the comment input; while one is open the comment list is shorter (interact.css).
 *
 *   const dock = dockOf(ctx);                        // one per page, made on first use
 *   const el = dock.add(key, {kind, full, chip, open});   // full: the card's body, chip: a <button>
 *   dock.open(key); dock.collapse(key); dock.remove(key); dock.has(key)
 */

import { $, h } from '../ui/dom.js';

/** The page's dock (`#acts`), shared by the modules that put cards in it. */
export function dockOf(ctx) {
  if (!ctx.dock) ctx.dock = createDock($('acts'));
  return ctx.dock;
}

/** @param {HTMLElement} root the `#acts` element */
export function createDock(root) {
  /** @type {Map<string, HTMLElement>} */
  const cards = new Map();

  function sync() {
    const open = Array.from(cards.values()).some((el) => el.dataset.open === 'true');
    root.dataset.open = open ? 'true' : 'false';
    root.hidden = cards.size === 0;
  }

  function setOpen(key, on) {
    const el = cards.get(key);
    if (!el) return;
    if (on) for (const [k, other] of cards) if (k !== key) other.dataset.open = 'false';
    el.dataset.open = on ? 'true' : 'false';
    sync();
  }

  root.addEventListener('click', (e) => {
    const card = e.target.closest('.act-card');
    if (!card || !cards.has(card.dataset.key)) return;
    if (e.target.closest('.act-chip')) setOpen(card.dataset.key, true);
    else if (e.target.closest('.act-collapse')) setOpen(card.dataset.key, false);
  });

  return {
    /** Add (or replace) the card `key`; returns its element. */
    add(key, { kind, full, chip, open = true }) {
      const old = cards.get(key);
      const el = h('section', { class: 'act-card ' + kind + '-card', dataset: { key, kind, open: 'false' } }, full, chip);
      chip.classList.add('act-chip');
      if (old) old.replaceWith(el);
      else root.appendChild(el);
      cards.set(key, el);
      setOpen(key, !!open);
      return el;
    },
    open: (key) => setOpen(key, true),
    collapse: (key) => setOpen(key, false),
    isOpen: (key) => !!cards.get(key) && cards.get(key).dataset.open === 'true',
    has: (key) => cards.has(key),
    remove(key) {
      const el = cards.get(key);
      if (!el) return;
      cards.delete(key);
      el.remove();
      sync();
    },
  };
}
