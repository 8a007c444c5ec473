/**
 * @module viewer/composer
 * What the viewer does: send a comment (its text comes back into the input when refused), tap 点赞
 * (batched by the client, counted and shown at once), and follow the host.
 */

import { restartAnimation } from '../ui/dom.js';
import { toast } from '../ui/toast.js';
import { canAct } from '../ui/errors.js';

/** @param {object} ctx the viewer page (see viewer.js) */
export function installComposer(ctx) {
  const { room, protocol, els } = ctx;

  async function sendComment() {
    const text = els.input.value.trim();
    if (!text) {
      toast('说点什么吧～');
      return;
    }
    if (!canAct(room)) return;
    if (!room.connected) toast('网络重连中，恢复后自动发送');
    els.input.value = '';
    const res = await room.comment(text);
    if (res.ok) return;
    const err = res.error || {};
    toast(protocol.errorText(err), 'error', protocol.showsServerText(err.code) ? 4000 : undefined);
    if (err.code === 'muted') {
      const until = typeof err.until_ms === 'number' ? err.until_ms : err.until;
      if (typeof until === 'number') ctx.setMuted(until);
    }
    if (!els.input.value) els.input.value = text; // give the text back
  }

  els.composer.addEventListener('submit', (e) => {
    e.preventDefault();
    sendComment();
  });
  els.input.addEventListener('keydown', (e) => {
    // Enter while an IME is composing picks a candidate; it must not send.
    if (e.key === 'Enter' && (e.isComposing || e.keyCode === 229)) e.preventDefault();
  });

  els.like.addEventListener('click', () => {
    if (room.status === 'closed') return;
    room.like(1);
    ctx.addLikes(1);
    ctx.spawnHeart();
    restartAnimation(els.like, 'bump');
  });

  let followed = false;
  els.follow.addEventListener('click', async () => {
    if (followed) return;
    els.follow.disabled = true;
    const res = await room.follow();
    if (res.ok) {
      followed = true;
      els.follow.textContent = '已关注';
      els.follow.classList.add('followed');
      els.follow.dataset.followed = 'true';
      toast('关注成功，开播会提醒你～', 'ok');
    } else {
      els.follow.disabled = false;
      toast(protocol.errorText(res.error), 'error');
    }
  });
}
