/**
 * @module ui/sheet
 * A bottom sheet (a `.sheet` dialog: backdrop + panel). Elements marked `data-close` close it, so
 * does Escape; focus goes into the sheet when it opens and back where it was when it closes.
 *
 *   const sheet = createSheet($('cart-sheet'), {onOpen, onClose});
 *   sheet.open(); sheet.close(); sheet.isOpen;
 */

/** @param {HTMLElement} el the `.sheet` element (hidden until opened) */
export function createSheet(el, { onOpen, onClose } = {}) {
  let returnFocus = null;

  function close() {
    if (el.hidden) return;
    el.hidden = true;
    el.classList.remove('open');
    if (onClose) onClose();
    if (returnFocus && returnFocus.focus) returnFocus.focus();
    returnFocus = null;
  }

  function open() {
    if (el.hidden) returnFocus = document.activeElement;
    el.hidden = false;
    el.classList.add('open');
    if (onOpen) onOpen();
    const first = el.querySelector('.sheet-close');
    if (first) first.focus({ preventScroll: true });
  }

  el.addEventListener('click', (e) => {
    if (e.target && e.target.closest && e.target.closest('[data-close]')) close();
  });
  el.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      close();
    }
  });

  return {
    el,
    open,
    close,
    get isOpen() {
      return !el.hidden;
    },
  };
}
