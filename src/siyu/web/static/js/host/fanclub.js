/**
 * @module host/fanclub
 * The fan club (粉丝团) on the host console: the member count in the header's stats, the 粉丝团 panel with
 * the top members by 亲密度 (from the `questions` snapshot's `fanclub`, then `fanclub_top`), and a line
 * in the stream when a viewer joins (`fanclub_joined`). docs/protocol.md, "Fan club and levels".
 */

import { $, h, setCount } from '../ui/dom.js';
import { fanBadge } from '../ui/fan-badge.js';
import { userBadge } from '../ui/badges.js';
import { fmtCount } from '../ui/format.js';

/** @param {object} ctx the host console (see host.js) */
export function installFanClub(ctx) {
  const { room } = ctx;
  const count = $('fan-members');
  const title = $('fan-club-name');
  const top = $('fan-top');
  const empty = $('fan-top-empty');

  function setMembers(n) {
    if (typeof n === 'number') setCount(count, n, fmtCount);
  }

  function render(club) {
    if (!club) return;
    if (club.name) title.textContent = club.name;
    setMembers(club.members);
    const rows = (Array.isArray(club.top) ? club.top : []).map((m, i) =>
      h(
        'li',
        { class: 'fan-top-item', dataset: { userId: m.id, rank: i + 1 } },
        h('span', { class: 'fan-rank' }, String(i + 1)),
        fanBadge({ name: club.name, level: m.level, active: m.active }),
        h('span', { class: 'nick' }, m.nick || m.id),
        h('span', { class: 'fan-top-xp' }, fmtCount(m.xp) + ' 亲密度')
      )
    );
    top.replaceChildren(...rows);
    empty.hidden = rows.length > 0;
  }

  room.on('questions', (m) => render(m.fanclub));
  room.on('fanclub_top', (m) => render(m));
  room.on('state', (st) => {
    if (st && st.fanclub) {
      if (st.fanclub.name) title.textContent = st.fanclub.name;
      setMembers(st.fanclub.members);
    }
  });
  room.on('fanclub_joined', (m) => {
    if (ctx.stream) ctx.stream.add(ctx.stream.line('fanclub-join', { seq: m.seq, type: 'fanclub_joined' }, m.ts, userBadge(m.user), ' 加入了粉丝团'), false);
  });
}
