/**
 * @module ui/errors
 * Errors and notes the user sees: `error` frames as toasts (except the connect-time refusals, whose
 * close code follows), `notice` messages (a playbook's or the system's note) as toasts, the full-page
 * #fatal notice when the connection is closed for good, and the guard every action uses before sending.
 */

import { toast } from './toast.js';

/**
 * @param {import('../core/client.js').RoomClient} room
 * @param {{fatal: HTMLElement, fatalText: HTMLElement}} els
 * @param {(fatal: {message: string}) => void} [onFatal] more to do on the page (disable controls…)
 */
export function bindAlerts(room, els, onFatal) {
  room.on('error', (m) => {
    if (room.protocol.isConnectRefusal(m.code)) return; // the close code that follows says it
    toast(room.protocol.errorText(m), 'error');
  });
  room.on('notice', (m) => {
    if (!m.text) return;
    const warn = m.level === 'warn';
    toast(m.text, warn ? 'error' : 'info', warn ? 4000 : 3000);
  });
  room.on('fatal', (f) => {
    els.fatalText.textContent = f.message;
    els.fatal.hidden = false;
    if (onFatal) onFatal(f);
  });
}

/** False (with a toast saying why) when the connection is closed for good. */
export function canAct(room) {
  if (room.status !== 'closed') return true;
  toast(room.fatal ? room.fatal.message : '已断开连接', 'error');
  return false;
}
