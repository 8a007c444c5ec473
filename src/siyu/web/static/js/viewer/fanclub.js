/**
 * @module viewer/fanclub
 * The fan club (粉丝团) on the viewer page: the pill under the host chip (加入粉丝团, or my badge), its
 * sheet (the club's name and members, my level with the XP progress, today's tasks against their daily
 * caps, the perks, the join button), "xx 加入了粉丝团" lines and a toast on a level up.
 * Handles welcome `me.fanclub`, `state.fanclub`, `fanclub_me`, `fanclub_level`, `fanclub_joined` and
 * the `fanclub` of a join's ack (docs/protocol.md, "Fan club and levels").
 */

import { $, h } from '../ui/dom.js';
import { createSheet } from '../ui/sheet.js';
import { fanBadge } from '../ui/fan-badge.js';
import { userBadge } from '../ui/badges.js';
import { fmtCount } from '../ui/format.js';
import { toast } from '../ui/toast.js';

/** Today's tasks as the sheet lists them: source -> [what, how much]. */
const TASKS = {
  watch: ['观看直播', '每分钟 +1'],
  comment: ['发评论', '每条 +2'],
  like: ['点赞', '每10个 +1'],
  gift: ['送礼物', '每1币 +1'],
  purchase: ['下单购物', '每1元 +1'],
};

const PERKS = [
  ['🏮', '专属灯牌', '评论时显示粉丝团徽章和等级'],
  ['🎫', '粉丝专属券', '可领“加入粉丝团”的优惠券'],
  ['⭐', '1-20级成长', '亲密度越高，灯牌越醒目'],
  ['🚀', '排队优先', '即将上线'],
];

/** @param {object} ctx the viewer page (see viewer.js) */
export function installFanClub(ctx) {
  const { room, protocol, list } = ctx;
  const btn = $('fan-btn');
  const body = $('fan-body');
  const title = $('fan-title');
  let club = null; // state.fanclub: {name, members, free_join, gift}
  let mine = null; // my membership: {member, level, xp, level_xp, next_xp, active, badge, tasks, …}
  let joining = false;
  const sheet = createSheet($('fan-sheet'), { onOpen: render });

  const name = () => (mine && mine.name) || (club && club.name) || '粉丝团';
  const member = () => !!(mine && mine.member);

  function renderChip() {
    const badge = member() ? fanBadge(mine.badge) : null;
    btn.dataset.member = member() ? 'true' : 'false';
    btn.dataset.active = member() && mine.active === false ? 'false' : 'true';
    btn.setAttribute('aria-label', member() ? '我的粉丝团 ' + name() : '加入粉丝团 ' + name());
    btn.replaceChildren(
      badge || h('span', { class: 'fan-chip-join' }, h('span', { class: 'fan-chip-icon', 'aria-hidden': 'true' }, '🏮'), '粉丝团')
    );
  }

  function progress() {
    const next = mine.next_xp;
    const from = Number(mine.level_xp) || 0;
    const xp = Number(mine.xp) || 0;
    const pct = next == null ? 100 : Math.max(0, Math.min(100, ((xp - from) / Math.max(1, next - from)) * 100));
    const bar = h('div', { class: 'fan-bar-fill' });
    bar.style.width = pct.toFixed(1) + '%';
    return h(
      'div',
      { class: 'fan-progress' },
      h('div', { class: 'fan-progress-text' },
        h('span', null, '亲密度 ', h('b', { class: 'fan-xp' }, String(xp)), next == null ? '' : ' / ' + next),
        h('span', { class: 'fan-next' }, next == null ? '已满级' : '再得 ' + (next - xp) + ' 升到 Lv' + (mine.level + 1))),
      h('div', { class: 'fan-bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': Math.round(pct) }, bar)
    );
  }

  function tasks() {
    const rows = (Array.isArray(mine.tasks) ? mine.tasks : []).map((t) => {
      const [what, how] = TASKS[t.source] || [t.source, ''];
      const done = t.cap != null && t.xp >= t.cap;
      return h(
        'li',
        { class: 'fan-task', dataset: { source: t.source, done: done ? 'true' : 'false' } },
        h('span', { class: 'fan-task-what' }, what, h('small', null, how)),
        h('span', { class: 'fan-task-xp' }, t.cap == null ? '+' + t.xp : t.xp + '/' + t.cap)
      );
    });
    return [h('h3', { class: 'fan-sub' }, '今日亲密度任务'), h('ol', { class: 'fan-tasks' }, rows)];
  }

  function render() {
    title.textContent = '粉丝团 · ' + name();
    const members = club && typeof club.members === 'number' ? fmtCount(club.members) + ' 人已加入' : '';
    const hero = h(
      'div',
      { class: 'fan-hero' },
      member() ? fanBadge(mine.badge) : h('span', { class: 'fan-badge fan-low fan-preview' }, h('span', { class: 'fan-lv' }, 'Lv1'), h('span', { class: 'fan-name' }, name())),
      h('span', { class: 'fan-members' }, members)
    );
    const parts = [hero];
    if (member()) {
      if (mine.active === false) {
        parts.push(h('p', { class: 'fan-paused' }, '灯牌已熄灭（超过7天没有互动）。发评论、点赞、送礼或下单即可重新点亮。'));
      }
      parts.push(progress(), ...tasks());
    } else {
      parts.push(h('p', { class: 'fan-intro' }, '加入「' + name() + '」，评论时带上专属灯牌，还能领粉丝专属券。'));
    }
    parts.push(
      h('h3', { class: 'fan-sub' }, '粉丝权益'),
      h('ul', { class: 'fan-perks' }, PERKS.map(([icon, what, note]) =>
        h('li', null, h('span', { class: 'fan-perk-icon', 'aria-hidden': 'true' }, icon), h('b', null, what), h('small', null, note))))
    );
    if (!member()) {
      const free = !club || club.free_join !== false;
      const gift = club && protocol.gift(club.gift);
      const label = free ? '加入粉丝团（免费）' : '送' + ((gift && gift.name) || '粉丝团灯牌') + '加入（' + ((gift && gift.coins) || 1) + '币）';
      const join = h('button', { id: 'fan-join', class: 'btn btn-primary fan-join', type: 'button' }, label);
      join.disabled = joining;
      join.addEventListener('click', () => doJoin(free));
      parts.push(join);
    }
    body.replaceChildren(...parts);
  }

  async function doJoin(free) {
    if (joining) return;
    joining = true;
    render();
    const res = free ? await room.request({ type: 'fanclub_join' }) : await room.gift(club.gift, 1);
    joining = false;
    if (!res.ok) toast(protocol.errorText(res.error), 'error');
    else if (free) toast('已加入粉丝团「' + name() + '」', 'ok');
    if (sheet.isOpen) render();
  }

  function apply(fanclub) {
    if (!fanclub || typeof fanclub !== 'object') return;
    mine = fanclub;
    renderChip();
    if (sheet.isOpen) render();
  }

  btn.addEventListener('click', () => sheet.open());
  room.on('welcome', (msg) => apply(msg.me && msg.me.fanclub));
  room.on('state', (st) => {
    if (!st || !st.fanclub) return;
    club = st.fanclub;
    if (!mine) renderChip();
    if (sheet.isOpen) render();
  });
  room.on('fanclub_me', (msg) => apply(msg.fanclub));
  room.on('ack', (msg) => {
    if (msg.fanclub && !msg.error) apply(msg.fanclub);
  });
  room.on('fanclub_level', (msg) => toast('粉丝团等级升到 Lv' + msg.level + ' 🎉', 'ok'));
  room.on('fanclub_joined', (m) => {
    list.add(
      h('li', { class: 'msg fanclub-join', dataset: { seq: m.seq, type: 'fanclub_joined' } }, userBadge(m.user), ' 加入了粉丝团 🏮'),
      ctx.isMe(m.user)
    );
  });
  renderChip();
}
