/**
 * @module host/leaderboard
 * 贡献榜 in the console: this live session's top 10 givers by coins (`state.leaderboard`, then the
 * `leaderboard` messages, at most once a second), and how many gave. A new live session empties it.
 */

import { $, h } from '../ui/dom.js';
import { userBadge } from '../ui/badges.js';
import { fmtCount } from '../ui/format.js';

/** @param {object} ctx the host console (see host.js) */
export function installLeaderboard(ctx) {
  const { room } = ctx;
  const list = $('host-board');
  const total = $('host-board-total');
  let contributors = null;

  function draw(items) {
    items = Array.isArray(items) ? items.filter((x) => x && x.user) : [];
    list.replaceChildren(
      ...items.map((x) =>
        h(
          'li',
          { class: 'host-board-item' + (x.rank <= 3 ? ' top rank-' + x.rank : ''), dataset: { rank: x.rank, userId: x.user.id } },
          h('span', { class: 'hb-rank' }, String(x.rank)),
          h('span', { class: 'hb-who' }, userBadge(x.user)),
          h('span', { class: 'hb-coins' }, fmtCount(x.coins) + ' 币')
        )
      )
    );
    const n = contributors != null ? contributors : items.length;
    total.textContent = n ? n + ' 人送礼' : '还没有人送礼';
  }

  room.on('state', (st) => {
    if (st && Array.isArray(st.leaderboard)) draw(st.leaderboard);
  });
  room.on('leaderboard', (m) => {
    contributors = Number(m.contributors) || 0;
    draw(m.items);
  });
  room.on('live', (m) => {
    if (m.live) {
      contributors = 0;
      draw([]);
    }
  });
}
