/**
 * @module viewer/leaderboard
 * 贡献榜 on the viewer page: the header button (the top three givers' faces), and the sheet with this live
 * session's top 10 by coins (`state.leaderboard`, then `leaderboard` messages), my own line highlighted,
 * and my place when I gave (`my_rank`). A new live session empties it.
 */

import { $, h } from '../ui/dom.js';
import { levelPill } from '../ui/badges.js';
import { fmtCount } from '../ui/format.js';
import { createSheet } from '../ui/sheet.js';

function initial(user) {
  return Array.from((user && (user.nick || user.id)) || '?')[0];
}

/** @param {object} ctx the viewer page (see viewer.js) */
export function installLeaderboard(ctx) {
  const { room } = ctx;
  const btn = $('board-btn');
  const faces = $('board-faces');
  const list = $('board-list');
  const empty = $('board-empty');
  const total = $('board-total');
  const mineEl = $('board-mine');
  let items = [];
  let contributors = null;
  let mine = null;

  const sheet = createSheet($('board-sheet'), { onOpen: draw });
  btn.addEventListener('click', () => sheet.open());

  function face(user, i) {
    return h('span', { class: 'board-face face-' + (i + 1), title: (user && user.nick) || '' }, initial(user));
  }

  function row(x) {
    const me = ctx.isMe(x.user);
    const rank = Number(x.rank) || 0;
    return h(
      'li',
      { class: 'board-item' + (me ? ' me' : '') + (rank <= 3 ? ' top' : ''), dataset: { rank, userId: x.user && x.user.id } },
      h('span', { class: 'board-rank' + (rank <= 3 ? ' medal face-' + rank : '') }, String(rank)),
      h('span', { class: 'board-avatar face-' + Math.min(rank, 4) }, initial(x.user)),
      h('span', { class: 'board-who' }, levelPill(x.user && x.user.lvl), h('span', { class: 'nick' }, (x.user && x.user.nick) || '神秘人'), me ? h('span', { class: 'board-me' }, '我') : null),
      h('span', { class: 'board-coins' }, h('b', null, fmtCount(x.coins)), ' 币')
    );
  }

  function draw() {
    faces.replaceChildren(...items.slice(0, 3).map((x, i) => face(x.user, i)));
    btn.dataset.count = String(items.length);
    total.textContent = contributors != null && contributors > 0 ? '本场 ' + contributors + ' 人送礼' : '本场';
    if (!sheet.isOpen) return;
    list.replaceChildren(...items.map(row));
    empty.hidden = items.length > 0;
    const inTop = items.some((x) => ctx.isMe(x.user));
    mineEl.hidden = false;
    mineEl.replaceChildren(
      mine && !inTop
        ? h('span', null, '我的排名：第 ', h('b', null, String(mine.rank)), ' 名 · ', h('b', null, fmtCount(mine.coins)), ' 币')
        : h('span', null, inTop ? '你在榜上，继续加油～' : '送出礼物即可上榜')
    );
  }

  function setItems(next) {
    items = Array.isArray(next) ? next.filter((x) => x && x.user) : [];
    draw();
  }

  room.on('state', (st) => {
    if (st && Array.isArray(st.leaderboard)) setItems(st.leaderboard);
  });
  room.on('leaderboard', (m) => {
    contributors = Number(m.contributors) || 0;
    setItems(m.items);
  });
  room.on('my_rank', (m) => {
    mine = { rank: Number(m.rank) || 0, coins: Number(m.coins) || 0 };
    draw();
  });
  room.on('live', (m) => {
    if (m.live) {
      mine = null;
      contributors = 0;
      setItems([]);
    }
  });
  draw();
}
