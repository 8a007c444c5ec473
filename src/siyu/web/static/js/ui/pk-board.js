/**
 * @module ui/pk-board
 * The PK scoreboard the viewer page (a bar under the header) and the host console (the PK tab) share:
 * both sides with their titles and scores (this room first, red; the partner blue), a bar split by the
 * scores, the countdown (the last 30 s emphasised: data-final), each side's top supporters, and the result
 * (胜利 / 惜败 / 平局) with the punishment countdown. It follows `state.pk`, the sequenced `pk` messages
 * (phase changes) and the unsequenced `pk_score` updates (docs/protocol.md section 11).
 *
 *   const pk = followPk(room, () => board.update(pk.current));
 *   const board = createPkBoard(room, {id: 'pk-bar'});   // board.el into the page
 */

import { h } from './dom.js';
import { fmtCount } from './format.js';
import { fmtLeft } from './countdown.js';
import { serverClock } from '../core/clock.js';

/** Keep a closed battle's result on screen this long (ms) before the board goes away. */
const CLOSED_KEEP_MS = 8000;

/**
 * Follow the room's battle. `current` is the latest `pk` view ({pk_id, phase, sides, …}) with the scores
 * of `pk_score` folded in, or null; `onChange(current)` is called on every change.
 */
export function followPk(room, onChange) {
  const api = { current: null };
  let dropTimer = null;

  function set(pk) {
    clearTimeout(dropTimer);
    api.current = pk && pk.pk_id ? pk : null;
    if (api.current && api.current.phase === 'closed') {
      const closing = api.current;
      dropTimer = setTimeout(() => {
        if (api.current === closing) {
          api.current = null;
          onChange(null);
        }
      }, CLOSED_KEEP_MS);
    }
    onChange(api.current);
  }

  room.on('state', (st) => {
    if (!st || !('pk' in st)) return;
    const pk = st.pk;
    if (!pk) return set(null);
    if (pk.phase === 'closed' && !(api.current && api.current.pk_id === pk.pk_id)) return set(null);
    set(copy(pk));
  });
  room.on('pk', (m) => set(copy(m)));
  room.on('pk_score', (m) => {
    const pk = api.current;
    if (!pk || pk.pk_id !== m.pk_id || pk.phase !== 'live' || !Array.isArray(m.scores)) return;
    m.scores.forEach((score, i) => {
      if (pk.sides[i] && typeof score === 'number') pk.sides[i].score = score;
    });
    if (Array.isArray(m.top)) m.top.forEach((top, i) => {
      if (pk.sides[i] && Array.isArray(top)) pk.sides[i].top = top;
    });
    if (m.final) pk.final = true;
    onChange(pk);
  });
  return api;
}

function copy(m) {
  const sides = (Array.isArray(m.sides) ? m.sides : []).slice(0, 2).map((s) => Object.assign({ score: 0, top: [] }, s));
  while (sides.length < 2) sides.push({ room_id: '', title: '', score: 0, top: [] });
  return Object.assign({}, m, { sides });
}

/** The battle's outcome for this room: 'win' | 'lose' | 'draw' | null (still fighting). */
export function outcome(pk) {
  if (!pk || pk.winner == null) return null;
  if (pk.winner === 'draw') return 'draw';
  return pk.winner === pk.sides[0].room_id ? 'win' : 'lose';
}

const OUTCOME_TEXT = { win: '胜利', lose: '惜败', draw: '平局' };

function supporters(top, side) {
  return h('ol', { class: 'pk-top pk-top-' + side, 'aria-label': side === 'mine' ? '我方助攻' : '对方助攻' },
    (Array.isArray(top) ? top : []).slice(0, 3).map((t, i) => {
      const user = (t && t.user) || {};
      const nick = user.nick || user.id || '神秘人';
      return h('li', { class: 'pk-top-item', title: nick + ' ' + (t.coins || 0) + ' 币', dataset: { rank: i + 1 } },
        h('span', { class: 'pk-top-face' }, Array.from(nick)[0] || '?'),
        h('span', { class: 'pk-top-nick' }, nick));
    }));
}

/**
 * A scoreboard element: `update(pk)` redraws it (null hides it); it ticks its countdown itself.
 * @param {object} room the RoomClient (for the server clock)
 * @param {{id?: string, className?: string}} [opts]
 */
export function createPkBoard(room, opts = {}) {
  const clock = serverClock(room);
  const el = h('section', { id: opts.id || null, class: 'pk-board ' + (opts.className || ''), 'aria-label': 'PK', hidden: true });
  let pk = null;
  let ticker = null;

  function phaseOf(p) {
    if (p.phase === 'live' && (p.final || (typeof p.final_at === 'number' && clock.now() >= p.final_at))) return 'final';
    return p.phase;
  }

  function clockText(p) {
    if (p.phase === 'live') return fmtLeft(p.ends_at - clock.now());
    if (p.phase === 'punish') return typeof p.punish_until === 'number' ? fmtLeft(p.punish_until - clock.now()) : '';
    return '';
  }

  function draw() {
    if (!pk) {
      el.hidden = true;
      el.replaceChildren();
      clearInterval(ticker);
      ticker = null;
      return;
    }
    if (!ticker && pk.phase !== 'closed') ticker = setInterval(draw, 1000);
    if (ticker && pk.phase === 'closed') {
      clearInterval(ticker);
      ticker = null;
    }
    const [mine, theirs] = pk.sides;
    const a = Math.max(0, Number(mine.score) || 0);
    const b = Math.max(0, Number(theirs.score) || 0);
    const share = a + b > 0 ? a / (a + b) : 0.5;
    const phase = phaseOf(pk);
    const result = outcome(pk);
    el.hidden = false;
    el.dataset.phase = phase;
    el.dataset.pkId = pk.pk_id;
    el.dataset.final = phase === 'final' ? 'true' : 'false';
    if (result) el.dataset.outcome = result;
    else delete el.dataset.outcome;
    const fillA = h('div', { class: 'pk-fill pk-fill-mine' });
    const fillB = h('div', { class: 'pk-fill pk-fill-theirs' });
    fillA.style.flexGrow = String(share); // CSSOM: allowed by the pages' style-src policy
    fillB.style.flexGrow = String(1 - share);
    let center;
    if (phase === 'live' || phase === 'final') {
      center = h('span', { class: 'pk-clock' }, h('b', { class: 'pk-vs' }, phase === 'final' ? '最后冲刺' : 'PK'), h('span', { class: 'pk-left' }, clockText(pk)));
    } else {
      const text = result ? OUTCOME_TEXT[result] : 'PK结束';
      center = h('span', { class: 'pk-clock pk-result-chip' }, h('b', { class: 'pk-result' }, text),
        phase === 'punish' ? h('span', { class: 'pk-left' }, '惩罚 ' + clockText(pk)) : null);
    }
    const banner = result && phase !== 'live'
      ? h('div', { class: 'pk-banner', role: 'status' },
        result === 'draw' ? '本场PK平局' : result === 'win' ? '我方胜利！感谢助攻的宝宝们' : '惜败，下次一起赢回来',
        pk.reason === 'stopped' ? '（主播提前结束）' : '')
      : '';
    el.replaceChildren(
      h('div', { class: 'pk-sides' },
        h('div', { class: 'pk-side pk-side-mine' },
          h('span', { class: 'pk-title' }, mine.title || mine.room_id),
          h('b', { class: 'pk-score pk-score-mine', dataset: { value: a } }, fmtCount(a))),
        center,
        h('div', { class: 'pk-side pk-side-theirs' },
          h('b', { class: 'pk-score pk-score-theirs', dataset: { value: b } }, fmtCount(b)),
          h('span', { class: 'pk-title' }, theirs.title || theirs.room_id))),
      h('div', { class: 'pk-meter', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': String(a + b), 'aria-valuenow': String(a), 'aria-label': '我方比分占比' }, fillA, fillB),
      h('div', { class: 'pk-tops' }, supporters(mine.top, 'mine'), supporters(theirs.top, 'theirs')),
      banner);
  }

  return {
    el,
    update(next) {
      pk = next;
      draw();
    },
  };
}
