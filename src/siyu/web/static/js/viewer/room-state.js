/**
 * @module viewer/room-state
 * Presence and room state on the viewer page: title and host in the header, online count, the
 * session's likes (with hearts for other viewers' likes), live / offline, the host status banner
 * (busy: "主播在忙，AI助理先帮你解答", away: "主播暂时离开，AI助理在线答疑"), the welcome card and the entry banner ("糖糖 等 14 人进入直播间").
 * Handles `welcome`, `state`, `live`, `host_status` and `enter`.
 */

import { h, setCount } from '../ui/dom.js';
import { levelPill } from '../ui/badges.js';
import { fmtCount } from '../ui/format.js';

/** The host status banner's text; `live` (or anything else) hides it. */
const HOST_STATUS_BANNER = {
  busy: '主播在忙，AI助理先帮你解答',
  away: '主播暂时离开，AI助理在线答疑',
};

/** @param {object} ctx the viewer page (see viewer.js); sets ctx.addLikes(n). */
export function installRoomState(ctx) {
  const { room, els } = ctx;
  let likesShown = 0;
  let sessionId; // undefined until the first state: the first likes count is taken as is
  let welcomeTimer = null;
  let enterTimer = null;

  function setTitle(title) {
    els.title.textContent = title;
    document.title = title + ' · 直播间';
  }

  function applyRoom(info) {
    if (!info) return;
    if (info.title) setTitle(info.title);
    if (info.host) {
      els.host.textContent = info.host;
      els.avatar.textContent = Array.from(info.host)[0] || '播';
    }
  }

  function setLive(live) {
    els.live.dataset.live = live ? 'true' : 'false';
    els.live.textContent = live ? '直播中' : '未开播';
    els.offline.hidden = !!live;
  }

  function setLikes(n) {
    likesShown = Math.max(0, Number(n) || 0);
    setCount(els.likes, likesShown, fmtCount);
  }
  ctx.addLikes = (n) => setLikes(likesShown + n);

  // While the host is busy or away the assistant answers: say so in a small banner.
  function setHostStatus(status) {
    const text = HOST_STATUS_BANNER[status];
    els.hostStatus.dataset.status = String(status || 'live');
    if (text) els.hostStatusText.textContent = text;
    els.hostStatus.hidden = !text;
  }

  function applyState(st, fromWelcome) {
    if (!st) return;
    if (typeof st.online === 'number') setCount(els.online, st.online, fmtCount);
    if (st.title) setTitle(st.title);
    setLive(!!st.live);
    if (typeof st.likes === 'number') {
      const session = st.session_id || null;
      if (sessionId === undefined || session !== sessionId) {
        sessionId = session;
        setLikes(st.likes);
      } else if (st.likes > likesShown) {
        // Other viewers' likes: float a few hearts for them.
        if (!fromWelcome) for (let i = 0; i < Math.min(4, st.likes - likesShown); i++) setTimeout(ctx.spawnHeart, i * 140);
        setLikes(st.likes);
      }
    }
    if (typeof st.host_status === 'string') setHostStatus(st.host_status);
  }

  function showWelcome(text, badge) {
    els.welcomeText.textContent = text || '欢迎来到直播间！';
    els.welcomeBadge.textContent = badge || '';
    els.welcomeBadge.hidden = !badge;
    els.welcome.classList.remove('gone');
    els.welcome.hidden = false;
    clearTimeout(welcomeTimer);
    welcomeTimer = setTimeout(() => els.welcome.classList.add('gone'), 8000);
  }
  els.welcome.addEventListener('click', () => els.welcome.classList.add('gone'));

  function showEnter(msg) {
    const users = Array.isArray(msg.users) ? msg.users : [];
    const count = Number(msg.count) || users.length;
    if (!count) return;
    const first = users[0] || {};
    const pill = h(
      'div',
      { class: 'enter-pill' },
      levelPill(first.lvl),
      h('span', { class: 'nick' }, first.nick || '新朋友'),
      count > 1 ? ' 等 ' + count + ' 人进入直播间' : ' 进入直播间'
    );
    els.enter.replaceChildren(pill);
    clearTimeout(enterTimer);
    enterTimer = setTimeout(() => els.enter.replaceChildren(), 4200);
  }

  room.on('welcome', (msg, info) => {
    applyRoom(msg.room);
    if (!info.reconnect) showWelcome(msg.text, msg.badge);
  });
  room.on('state', (st, info) => applyState(st, info && info.from === 'welcome'));
  room.on('enter', showEnter);
  room.on('host_status', (m) => setHostStatus(m.status));
  room.on('live', (m) => {
    setLive(!!m.live);
    if (m.live) {
      sessionId = m.session_id || null;
      setLikes(0);
    }
    ctx.list.add(
      h(
        'li',
        { class: 'msg system', dataset: { seq: m.seq, type: 'live' } },
        m.live ? '📣 直播开始啦' + (m.title ? '：' + m.title : '') : '直播已结束，感谢陪伴～'
      ),
      false
    );
  });
}
