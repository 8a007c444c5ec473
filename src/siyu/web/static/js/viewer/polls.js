/**
 * @module viewer/polls
 * The room's poll on the viewer page, a card in the dock (viewer/acts.js): the question, a countdown to
 * `until`, and one button per option — for a 选款 poll (`kind: "pick"`) the product's link number, name
 * and live price. Tapping an option sends `vote`. The live tally (`poll_tally`) is a bar with its
 * percentage behind each option; my choice is highlighted. A vote is final (docs/protocol.md): once
 * voted the buttons are off, and a vote sent again (another tab, after a reload) is answered with the
 * first one, which is the one shown. `poll_result` shows the final counts and the winner; for a quiz
 * (`kind: "quiz"`) the right answer and whether mine was right, and the coupon a right answer wins
 * (`quiz_reward`, `state.quiz_rewards`), which `quiz_rewarded` puts in 我的券. The open poll on entry comes
 * from `state.poll`.
 */

import { h } from '../ui/dom.js';
import { fmtPrice } from '../ui/format.js';
import { toast } from '../ui/toast.js';
import { canAct } from '../ui/errors.js';
import { serverClock } from '../core/clock.js';
import { everySecond, fmtLeft } from '../ui/countdown.js';
import { percents, setBar } from '../ui/tally.js';
import { dockOf } from './acts.js';

const KIND_LABEL = { poll: '投票', quiz: '答题', pick: '选款' };
const KEY = 'poll';
const COLLAPSE_RESULT_MS = 10000;
const REMOVE_RESULT_MS = 60000; // the result's chip leaves the dock after a minute

/** "3号 高腰牛仔裤" → {no: "3", name: "高腰牛仔裤"} (a 选款 option's text). */
function splitLink(text) {
  const m = /^(\d+)号\s*(.*)$/.exec(String(text || ''));
  return m ? { no: m[1], name: m[2] } : { no: '', name: String(text || '') };
}

/** @param {object} ctx the viewer page (see viewer.js) */
export function installPolls(ctx) {
  const { room, protocol } = ctx;
  const dock = dockOf(ctx);
  const clock = serverClock(room);
  let poll = null; // the poll on the card
  let stopTicking = null;

  function product(o) {
    return o.product_id != null && ctx.products ? ctx.products.get(String(o.product_id)) : null;
  }

  function optionButton(o) {
    const pick = poll.kind === 'pick';
    const link = splitLink(o.text);
    const p = pick ? product(o) : null;
    const price = p ? (p.live_price != null ? p.live_price : p.price) : null;
    const els = { pct: h('span', { class: 'poll-pct' }), price: h('span', { class: 'poll-price' }, price != null ? '¥' + fmtPrice(price) : '') };
    const btn = h(
      'button',
      { class: 'poll-opt', type: 'button', dataset: { index: o.index, productId: o.product_id } },
      pick ? h('span', { class: 'poll-thumb', 'aria-hidden': 'true' }, (link.no || '?') + '号') : null,
      h('span', { class: 'poll-text' }, h('span', { class: 'poll-name' }, pick ? link.name : o.text), pick ? els.price : null),
      els.pct
    );
    btn.addEventListener('click', () => vote(o.index));
    return { btn, els };
  }

  function build() {
    const p = poll;
    p.els = {
      time: h('span', { class: 'poll-time' }),
      total: h('span', { class: 'poll-total' }),
      note: h('span', { class: 'poll-note' }),
      reward: h('div', { class: 'poll-reward' }),
      chipText: h('span', { class: 'chip-text' }),
    };
    p.options = p.options.map((o) => Object.assign({}, o, optionButton(o)));
    const full = h(
      'div',
      { class: 'act-full poll-full' },
      h(
        'div',
        { class: 'poll-head' },
        h('span', { class: 'poll-tag' }, KIND_LABEL[p.kind] || '投票'),
        h('span', { class: 'poll-q' }, p.question),
        p.els.time,
        h('button', { class: 'act-collapse', type: 'button', 'aria-label': '收起', title: '收起' }, h('span', { 'aria-hidden': 'true' }, '⌄'))
      ),
      h('div', { class: 'poll-options', dataset: { cols: p.kind === 'pick' || p.options.length > 3 ? '2' : '1' } }, p.options.map((o) => o.btn)),
      p.els.reward,
      h('div', { class: 'poll-foot' }, p.els.total, p.els.note)
    );
    const chip = h('button', { type: 'button', 'aria-label': KIND_LABEL[p.kind] || '投票' }, h('span', { class: 'chip-icon', 'aria-hidden': 'true' }, '票'), p.els.chipText);
    return { full, chip };
  }

  function note(p) {
    const mine = p.mine;
    if (p.result) {
      const r = p.result;
      if (p.kind === 'quiz' && typeof r.answer === 'number') {
        const right = p.options[r.answer] ? p.options[r.answer].text : '';
        if (mine == null) return '正确答案：' + right;
        if (mine !== r.answer) return '答错了，正确答案：' + right;
        if (p.rewarded) return '回答正确 🎉 券已放入我的券';
        return p.reward ? '回答正确 🎉 奖励发放中' : '回答正确 🎉';
      }
      if (typeof r.winner === 'number' && p.options[r.winner]) return '结果：' + p.options[r.winner].text + ' 胜出';
      return '投票已结束';
    }
    if (p.voting) return '投票中…';
    if (mine != null) return '已投票，投票后不可更改';
    if (p.msLeft() <= 0) return '投票已结束，结果统计中';
    return p.kind === 'quiz' ? '点选你的答案' : '点击选项投票';
  }

  function draw() {
    const p = poll;
    if (!p || !p.el) return;
    const closed = !!p.result || p.msLeft() <= 0;
    const counts = p.result ? p.result.counts : p.counts;
    const pct = percents(counts);
    p.el.dataset.pollId = p.pollId;
    p.el.dataset.pollKind = p.kind;
    p.el.dataset.state = p.result ? 'result' : p.mine != null ? 'voted' : closed ? 'closed' : 'open';
    p.el.dataset.mine = p.mine == null ? '' : String(p.mine);
    for (const o of p.options) {
      const i = o.index;
      const c = Number(counts[i]) || 0;
      o.btn.disabled = closed || p.mine != null || p.voting;
      o.btn.classList.toggle('mine', p.mine === i);
      o.btn.setAttribute('aria-pressed', p.mine === i ? 'true' : 'false');
      o.btn.classList.toggle('winner', !!p.result && p.result.winner === i);
      o.btn.classList.toggle('right', !!p.result && p.result.answer === i);
      o.btn.classList.toggle('wrong', !!p.result && typeof p.result.answer === 'number' && p.mine === i && p.result.answer !== i);
      o.btn.dataset.count = String(c);
      o.els.pct.textContent = pct[i] + '%';
      setBar(o.btn, pct[i]);
      if (p.kind === 'pick' && !o.els.price.textContent) {
        const prod = product(o);
        if (prod) o.els.price.textContent = '¥' + fmtPrice(prod.live_price != null ? prod.live_price : prod.price);
      }
    }
    const total = p.result ? p.result.total : p.total;
    p.els.total.textContent = (Number(total) || 0) + '人参与';
    p.els.time.textContent = closed ? '已结束' : fmtLeft(p.msLeft());
    p.els.note.textContent = note(p);
    p.els.reward.textContent = p.reward ? '答对送 ' + (p.reward.name || p.reward.id) : '';
    p.el.dataset.rewarded = p.rewarded ? 'true' : 'false';
    p.els.chipText.textContent = p.result ? (p.kind === 'quiz' ? '答题结果' : '投票结果') : p.mine != null ? '已投票 ' + fmtLeft(p.msLeft()) : (KIND_LABEL[p.kind] || '投票') + ' ' + fmtLeft(p.msLeft());
  }

  function show(m, { open = true } = {}) {
    if (!m || typeof m.poll_id !== 'string' || !Array.isArray(m.options)) return;
    if (poll && poll.pollId === m.poll_id) return;
    const until = Number(m.until) || 0;
    poll = {
      pollId: m.poll_id,
      question: String(m.question || ''),
      kind: KIND_LABEL[m.kind] ? m.kind : 'poll',
      options: m.options.map((o, i) => ({ index: typeof o.index === 'number' ? o.index : i, text: String(o.text || ''), product_id: o.product_id })),
      counts: m.options.map(() => 0),
      total: 0,
      mine: null,
      voting: false,
      result: null,
      reward: rewards.get(m.poll_id) || null,
      rewarded: false,
      msLeft: () => until - clock.now(),
    };
    const { full, chip } = build();
    poll.el = dock.add(KEY, { kind: 'poll', full, chip, open });
    draw();
    if (!stopTicking) stopTicking = everySecond(draw);
  }

  async function vote(index) {
    const p = poll;
    if (!p || p.mine != null || p.voting || p.result || p.msLeft() <= 0) return;
    if (!canAct(room)) return;
    p.voting = true;
    draw();
    const res = await room.request({ type: 'vote', poll_id: p.pollId, option: index });
    p.voting = false;
    if (res.ok) {
      const v = res.ack && res.ack.vote;
      p.mine = v && typeof v.option === 'number' ? v.option : index;
      if (p.mine !== index) toast('你已经投过票了，以第一次为准');
    } else {
      toast(protocol.errorText(res.error), 'error');
      if (res.error && res.error.code === 'poll.closed') p.msLeft = () => 0;
    }
    if (poll === p) draw();
  }

  const rewards = new Map(); // poll id -> the coupon its right answer wins
  function setReward(pollId, coupon) {
    if (typeof pollId !== 'string' || !coupon) return;
    rewards.set(pollId, coupon);
    if (poll && poll.pollId === pollId) {
      poll.reward = coupon;
      draw();
    }
  }

  room.on('quiz_reward', (m) => setReward(m.poll_id, m.coupon));
  room.on('quiz_rewarded', (m) => {
    if (m.grant && ctx.wallet) ctx.wallet.add(m.grant, m.coupon);
    if (poll && poll.pollId === m.poll_id) {
      poll.rewarded = true;
      draw();
    }
    toast('答对了！' + ((m.coupon && m.coupon.name) || '奖励券') + '已放入我的券', 'ok', 3500);
  });
  room.on('state', (st, info) => {
    if (st && st.quiz_rewards && typeof st.quiz_rewards === 'object') {
      for (const [pollId, coupon] of Object.entries(st.quiz_rewards)) setReward(pollId, coupon);
    }
    if (st && st.poll && typeof st.poll === 'object') show(st.poll);
    else if (st && info && info.from === 'resync' && poll && !poll.result) {
      dock.remove(KEY); // closed while we were away too long to be told its result
      poll = null;
    }
  });
  room.on('poll', (m) => show(m));
  room.on('poll_tally', (m) => {
    if (!poll || poll.pollId !== m.poll_id || poll.result || !Array.isArray(m.counts)) return;
    poll.counts = m.counts.slice(0, poll.options.length);
    poll.total = Number(m.total) || 0;
    draw();
  });
  room.on('poll_result', (m) => {
    if (!poll || poll.pollId !== m.poll_id) return;
    poll.result = { counts: Array.isArray(m.counts) ? m.counts : [], total: Number(m.total) || 0, winner: m.winner, answer: m.answer };
    if (stopTicking) {
      stopTicking();
      stopTicking = null;
    }
    draw();
    dock.open(KEY);
    const shown = poll;
    setTimeout(() => {
      if (poll === shown) dock.collapse(KEY);
    }, COLLAPSE_RESULT_MS);
    setTimeout(() => {
      if (poll !== shown || dock.isOpen(KEY)) return; // still read: it stays until folded or replaced
      dock.remove(KEY);
      poll = null;
    }, REMOVE_RESULT_MS);
  });
}
