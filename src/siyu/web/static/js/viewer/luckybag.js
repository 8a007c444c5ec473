/**
 * @module viewer/luckybag
 * The lucky bag (福袋) on the viewer page: a floating bag with its countdown while one is open; tapping
 * it opens a sheet with the prize, the condition and 参与 (for a 口令 bag: 发送口令「…」参与, which sends
 * the 口令 as a comment and joins); after joining 已参与，等待开奖; at the draw an overlay says 中奖 or
 * 未中奖 with the winners (a viewer who did not enter gets a toast). Builds its own elements in #app; handles `luckybag`, `luckybag_count`,
 * `luckybag_closed`, `luckybag_result`, `luckybag_mine`, `luckybag_won` and `state.luckybag`.
 */

import { $, h } from '../ui/dom.js';
import { createSheet } from '../ui/sheet.js';
import { canAct } from '../ui/errors.js';
import { toast } from '../ui/toast.js';
import { bagIcon, countdownText, followBag, prizeView, serverClock, winnersList } from '../ui/luckybag.js';

/** @param {object} ctx the viewer page (see viewer.js) */
export function installLuckyBag(ctx) {
  const { room } = ctx;
  const app = $('app');
  const now = serverClock(room);
  const mine = new Map(); // bag_id -> {joined, won, grant}
  let busy = false;
  let note = ''; // why the last 参与 failed
  let ticker = null;

  // --- elements ---------------------------------------------------------------------------------
  const time = h('span', { class: 'lb-time' }, '');
  const bubble = h('button', { id: 'lb-bubble', class: 'lb-bubble', type: 'button', hidden: true, 'aria-haspopup': 'dialog', 'aria-controls': 'lb-sheet', 'aria-label': '福袋' },
    bagIcon(), time);
  const sheetPrize = h('div', { class: 'lb-sheet-prize' });
  const sheetFacts = h('div', { class: 'lb-facts' });
  const sheetCond = h('div', { class: 'lb-cond' });
  const sheetNote = h('p', { class: 'lb-note', role: 'status' });
  const action = h('button', { id: 'lb-join', class: 'btn btn-primary lb-join', type: 'button' }, '参与');
  const sheetEl = h('div', { id: 'lb-sheet', class: 'sheet lb-sheet', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'lb-title', hidden: true },
    h('div', { class: 'sheet-backdrop', 'data-close': true }),
    h('section', { class: 'sheet-panel' },
      h('header', { class: 'sheet-head' },
        h('h2', { id: 'lb-title', class: 'sheet-title' }, '超级福袋'),
        h('button', { class: 'sheet-close', type: 'button', 'data-close': true, 'aria-label': '关闭' }, '×')),
      h('div', { class: 'lb-sheet-body' }, bagIcon('lb-bag-lg'), sheetPrize, sheetFacts, sheetCond, sheetNote, action)));
  const result = h('div', { id: 'lb-result', class: 'lb-result', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'lb-result-title', hidden: true });
  app.append(bubble, sheetEl, result);
  const sheet = createSheet(sheetEl, { onOpen: () => draw() });

  const follower = followBag(room, now, {
    onChange: (bag) => {
      if (!bag) sheet.close();
      draw();
    },
    onResult: (m) => showResult(m),
  });

  // --- what the viewer sees ---------------------------------------------------------------------
  function state() {
    const bag = follower.bag;
    return bag ? mine.get(bag.bag_id) || { joined: false } : null;
  }

  function draw() {
    const bag = follower.bag;
    bubble.hidden = !bag;
    if (!bag) {
      clearInterval(ticker);
      ticker = null;
      return;
    }
    if (!ticker) ticker = setInterval(draw, 1000);
    const closed = follower.closed();
    const left = bag.until - now();
    time.textContent = closed ? '开奖中' : countdownText(left);
    bubble.dataset.state = closed ? 'drawing' : state().joined ? 'joined' : 'open';
    if (!sheet.isOpen) return;
    sheetPrize.replaceChildren(prizeView(bag.prize));
    sheetFacts.replaceChildren(
      h('span', null, '共 ', h('b', null, String(bag.winners)), ' 份'),
      bag.entries != null ? h('span', null, '已有 ', h('b', null, String(bag.entries)), ' 人参与') : null,
      h('span', { class: 'lb-clock' }, closed ? '开奖中…' : countdownText(left) + ' 后开奖'));
    sheetCond.replaceChildren(h('span', { class: 'lb-cond-label' }, '参与条件'), h('span', null, bag.entry.text));
    sheetNote.textContent = note;
    sheetNote.hidden = !note;
    const joined = state().joined;
    action.disabled = joined || closed || busy;
    action.dataset.state = joined ? 'joined' : closed ? 'closed' : 'open';
    if (joined) action.textContent = '已参与，等待开奖';
    else if (closed) action.textContent = '参与已截止，等待开奖';
    else if (busy) action.textContent = '参与中…';
    else if (bag.entry.kind === 'phrase') action.textContent = '发送口令「' + bag.entry.phrase + '」参与';
    else if (bag.entry.kind === 'follow') action.textContent = '关注主播并参与';
    else action.textContent = '参与';
  }

  function setMine(bagId, part) {
    mine.set(bagId, Object.assign({}, mine.get(bagId) || { joined: false }, part));
    if (mine.size > 20) mine.delete(mine.keys().next().value);
  }

  async function participate() {
    const bag = follower.bag;
    if (!bag || busy || state().joined || follower.closed() || !canAct(room)) return;
    busy = true;
    note = '';
    draw();
    let ack = { ok: true };
    if (bag.entry.kind === 'phrase') ack = await room.comment(bag.entry.phrase); // in the chat, as on Douyin
    else if (bag.entry.kind === 'follow') ack = await room.follow();
    if (ack.ok) ack = await room.request({ type: 'luckybag_join', bag_id: bag.bag_id });
    busy = false;
    if (ack.ok) setMine(bag.bag_id, { joined: true });
    else note = ack.error.code === 'luckybag.condition' && ack.error.message ? ack.error.message : room.protocol.errorText(ack.error);
    draw();
  }

  bubble.addEventListener('click', () => sheet.open());
  action.addEventListener('click', participate);

  room.on('luckybag_mine', (m) => {
    setMine(m.bag_id, m.won == null ? { joined: !!m.joined } : { joined: !!m.joined, won: !!m.won });
    draw();
  });
  room.on('luckybag_won', (m) => {
    setMine(m.bag_id, { joined: true, won: true, grant: m.grant || null });
    const shown = result.dataset.bag === m.bag_id;
    if (shown) result.querySelector('.lb-result-note').textContent = wonNote(m.prize, m.grant);
  });

  // --- the draw ---------------------------------------------------------------------------------
  function wonNote(prize, grant) {
    if (prize && prize.kind === 'coupon') return grant ? '优惠券已放入你的卡券包，下单时自动抵扣' : '优惠券稍后放入你的卡券包';
    return '商家会尽快联系你发放奖品';
  }

  function showResult(m) {
    const me = room.me ? room.me.id : null;
    const won = (m.winners || []).some((w) => w.id === me);
    const my = mine.get(m.bag_id) || {};
    if (won) setMine(m.bag_id, { joined: true, won: true });
    if (!won && !my.joined) {
      toast('福袋已开奖：' + (m.winners || []).length + ' 人中奖', 'info', 3000); // not mine: no overlay
      return;
    }
    const outcome = won ? 'won' : 'lost';
    const title = won ? '恭喜中奖！' : '很遗憾，未中奖';
    const audit = '/api/rooms/' + encodeURIComponent(room.roomId) + '/luckybags/' + encodeURIComponent(m.bag_id);
    const close = h('button', { class: 'btn btn-primary lb-result-ok', type: 'button' }, won ? '开心收下' : '知道了');
    close.addEventListener('click', () => {
      result.hidden = true;
    });
    result.dataset.bag = m.bag_id;
    result.dataset.outcome = outcome;
    result.replaceChildren(
      h('div', { class: 'lb-result-card' },
        bagIcon('lb-bag-lg'),
        h('h2', { id: 'lb-result-title', class: 'lb-result-title' }, title),
        prizeView(m.prize),
        h('p', { class: 'lb-result-note' }, won ? wonNote(m.prize, my.grant) : '下次福袋再来试试手气'),
        h('div', { class: 'lb-result-head' }, '中奖名单（' + (m.winners || []).length + ' 人）'),
        (m.winners || []).length ? winnersList(m.winners, 60, me) : h('p', { class: 'lb-none' }, '本次无人参与'),
        h('p', { class: 'lb-audit' }, '共 ' + m.entries + ' 人参与 · ',
          h('a', { href: audit, target: '_blank', rel: 'noopener' }, '开奖可复核')),
        close));
    result.hidden = false;
  }
}
