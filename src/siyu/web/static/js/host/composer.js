/**
 * @module host/composer
 * The host speaking in the room (a comment as 主播): Enter sends, the text comes back when refused.
 */

import { toast } from '../ui/toast.js';
import { canAct } from '../ui/errors.js';

/** @param {object} ctx the host console (see host.js) */
export function installComposer(ctx) {
  const { room, protocol, els } = ctx;

  els.composer.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = els.input.value.trim();
    if (!text || !canAct(room)) return;
    els.input.value = '';
    const res = await room.comment(text);
    if (!res.ok) {
      toast(protocol.errorText(res.error), 'error');
      if (!els.input.value) els.input.value = text;
    }
  });
  els.input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.isComposing || e.keyCode === 229)) e.preventDefault();
  });
}
