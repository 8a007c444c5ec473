/**
 * @module host/header
 * Room state in the console's header: title, host, who I am, the online count, this live session's
 * likes, comments and gift coins (from `state`: the server counts the session, also after a restart), the live
 * badge (开始直播 / 结束直播 enabled accordingly). Handles `welcome`, `state` and `live`; sets
 * ctx.setLive(on) and ctx.isLive().
 */

import { setCount } from '../ui/dom.js';
import { fmtCount, roleLabel, isStaff } from '../ui/format.js';
import { toast } from '../ui/toast.js';

/** @param {object} ctx the host console (see host.js) */
export function installHeader(ctx) {
  const { room, els } = ctx;
  let live = false;
  let sessionId; // undefined until the first state
  let likes = 0;

  function setLive(on) {
    live = !!on;
    els.live.dataset.live = live ? 'true' : 'false';
    els.live.textContent = live ? '直播中' : '未开播';
    els.start.disabled = live;
    els.end.disabled = !live;
    document.title = (live ? '🔴 ' : '') + (els.title.textContent || '') + ' · 主播控制台';
  }
  ctx.setLive = setLive;
  ctx.isLive = () => live;

  room.on('state', (st) => {
    if (!st) return;
    if (typeof st.online === 'number') setCount(els.online, st.online, fmtCount);
    if (st.title) els.title.textContent = st.title;
    if (typeof st.likes === 'number') {
      const session = st.session_id || null;
      if (sessionId === undefined || session !== sessionId) {
        sessionId = session;
        likes = st.likes;
      } else {
        likes = Math.max(likes, st.likes);
      }
      setCount(els.likes, likes, fmtCount);
    }
    if (typeof st.comments === 'number') setCount(els.commentTotal, st.comments, fmtCount);
    if (typeof st.gift_coins === 'number') setCount(els.giftCoins, st.gift_coins, fmtCount);
    setLive(!!st.live);
  });

  room.on('live', (m) => {
    setLive(!!m.live);
    if (m.live) {
      sessionId = m.session_id || null;
      likes = 0;
      for (const el of [els.likes, els.commentTotal, els.giftCoins]) setCount(el, 0, fmtCount);
    }
  });

  room.on('welcome', (msg, info) => {
    const me = msg.you || null;
    const r = msg.room || {};
    if (r.title) els.title.textContent = r.title;
    if (r.host) els.host.textContent = r.host;
    if (!els.liveTitle.value && r.title) els.liveTitle.placeholder = r.title;
    if (me) els.me.textContent = '我：' + (me.nick || me.id) + (roleLabel(me.role) ? '（' + roleLabel(me.role) + '）' : '');
    if (!info.reconnect) {
      ctx.stream.divider('已进入控制台' + (me ? '，身份：' + (roleLabel(me.role) || '观众') : ''));
      if (me && !isStaff(me)) toast('当前凭证不是主播/场控身份，回复和置顶不可用', 'error', 4000);
    }
    setLive(live);
  });

  room.on('pong', (_m, rtt) => {
    els.latency.textContent = rtt != null ? rtt + ' ms' : '';
  });
}
