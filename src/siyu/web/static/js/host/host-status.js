/**
 * @module host/host-status
 * 状态: 在播 / 忙碌 / 离开 (AI陪播). While the host is busy or away the AI assistant answers viewers
 * and keeps the room company. Only the host (or an operator) may switch; the current status comes
 * from the room state, the `questions` snapshot and `host_status` messages (also a stream line).
 */

import { toast } from '../ui/toast.js';
import { canAct } from '../ui/errors.js';
import { HOST_STATUS_TEXT } from '../ui/moderation-text.js';

/** @param {object} ctx the host console (see host.js) */
export function installHostStatus(ctx) {
  const { room, protocol, els } = ctx;
  const buttons = Array.from(els.statusCtl.querySelectorAll('.host-status-btn'));
  let current = 'live';

  function setStatus(status) {
    if (!HOST_STATUS_TEXT[status]) return;
    current = status;
    els.statusCtl.dataset.status = status;
    for (const b of buttons) {
      const on = b.dataset.status === status;
      b.classList.toggle('active', on);
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
    }
  }

  els.statusCtl.addEventListener('click', async (e) => {
    const b = e.target.closest('.host-status-btn');
    if (!b || b.disabled) return;
    const status = b.dataset.status;
    if (status === current || !canAct(room)) return;
    for (const x of buttons) x.disabled = true;
    const res = await room.hostStatus(status);
    for (const x of buttons) x.disabled = false;
    if (res.ok) {
      setStatus(status);
      toast(status === 'live' ? '已切回在播，AI助理停止陪播' : '已切换为「' + HOST_STATUS_TEXT[status] + '」，AI助理接待观众', 'ok');
    } else {
      toast(protocol.errorText(res.error), 'error');
    }
  });

  room.on('welcome', (msg) => {
    // Only the host (or an operator) says whether the host is on camera.
    const me = msg.you || null;
    const mayToggle = !!me && (me.role === 'host' || me.role === 'operator');
    for (const b of buttons) b.disabled = !mayToggle;
    els.statusCtl.title = mayToggle ? '忙碌或离开时，AI助理会替你回答观众并陪播' : '只有主播可以切换状态';
  });
  room.on('state', (st) => {
    if (st && typeof st.host_status === 'string') setStatus(st.host_status);
  });
  room.on('questions', (m) => {
    if (typeof m.host_status === 'string') setStatus(m.host_status);
  });
  room.on('host_status', (m) => {
    setStatus(m.status);
    const text = HOST_STATUS_TEXT[m.status];
    if (!text) return;
    const line = '主播状态：' + text + (m.status === 'live' ? '' : '，AI助理接待观众');
    ctx.stream.add(ctx.stream.line('system', { seq: m.seq, type: 'host_status', status: m.status }, m.ts, line), false);
  });
}
