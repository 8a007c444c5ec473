/**
 * @module ui/status
 * The connection status chip (#conn-status): its data-state is the client's status, its text the
 * zh-CN word for it, its title the retry countdown or the round-trip time.
 */

export const STATUS_TEXT = {
  idle: '未连接',
  connecting: '连接中',
  open: '已连接',
  reconnecting: '重连中',
  closed: '已断开',
};

/** Draw one status on `el`; detail may carry {attempt, delay} of a scheduled retry. */
export function renderStatus(el, status, detail) {
  if (!el) return;
  el.dataset.state = status;
  el.textContent = STATUS_TEXT[status] || status;
  el.title =
    status === 'reconnecting' && detail && detail.delay
      ? '第 ' + detail.attempt + ' 次重连，' + (detail.delay / 1000).toFixed(1) + ' 秒后重试'
      : '';
}

/** Keep `el` in step with the room client's status (and show the latency as its title). */
export function bindStatus(room, el) {
  if (!el) return;
  renderStatus(el, room.status, {});
  room.on('status', (status, detail) => renderStatus(el, status, detail));
  room.on('pong', (_m, rtt) => {
    if (room.status === 'open' && rtt != null) el.title = '延迟 ' + rtt + ' ms';
  });
}
