/**
 * @module host/poll-ctl
 * 发起投票 from the console: a dialog for the question, the kind — 投票 (2–6 options), 答题 (the same,
 * with the right answer marked), 选款 (2–6 of the room's products, GET /api/rooms/{id}/products) — and
 * how long it runs; it sends `poll_start`. The open poll then shows in the strip above the composer
 * (#acts-live): a bar per option with its votes and percentage (`poll_tally`), the countdown, and
 * 结束投票 (`poll_close`); `poll_result` shows the final counts, the winner and a quiz's answer. The
 * open poll on entry comes from `state.poll` (its counts with the `poll_tally` after the welcome).
 * A quiz may reward the right answer with one of the shop's coupons: after the start, `quiz_reward`
 * (the server gives it to every right voter at the close); the card says 答对送….
 */

import { $, h } from '../ui/dom.js';
import { fmtPrice } from '../ui/format.js';
import { toast } from '../ui/toast.js';
import { canAct } from '../ui/errors.js';
import { serverClock } from '../core/clock.js';
import { everySecond, fmtLeft } from '../ui/countdown.js';
import { percents, setBar } from '../ui/tally.js';
import { createDialog, field, select, DURATIONS } from './dialog.js';
import { shopCoupons } from './shop-coupons.js';
import { couponDeal } from '../ui/coupon-text.js';

const KIND_LABEL = { poll: '投票', quiz: '答题', pick: '选款' };
const MIN_OPTIONS = 2;
const MAX_OPTIONS = 6;

/** @param {object} ctx the host console (see host.js) */
export function installPollCtl(ctx) {
  const { room, protocol } = ctx;
  const strip = $('acts-live');
  const clock = serverClock(room);
  let products = null; // the room's products (for 选款), loaded when the dialog opens
  let poll = null; // the poll in the strip

  // --- the dialog -------------------------------------------------------------------------------

  const kinds = h('div', { class: 'dialog-seg', role: 'radiogroup', 'aria-label': '类型' });
  for (const [kind, label] of Object.entries(KIND_LABEL)) {
    kinds.append(h('label', { class: 'dialog-radio' }, h('input', { type: 'radio', name: 'poll-kind', value: kind, checked: kind === 'poll' }), label));
  }
  const question = h('input', { id: 'poll-question', class: 'text-input', type: 'text', maxlength: 60, placeholder: '例如：下一款想看哪个？' });
  const optionList = h('ol', { class: 'poll-edit', id: 'poll-options' });
  const addBtn = h('button', { class: 'btn btn-sm', type: 'button', id: 'poll-add' }, '+ 添加选项');
  const productList = h('ol', { class: 'poll-products', id: 'poll-products' });
  const pickedCount = h('div', { class: 'dialog-hint' });
  const seconds = select('poll-secs', DURATIONS, 60);
  const reward = select('poll-reward', [['', '不送券']]);
  const rewardRow = field('答对送', reward);
  const optionsRow = field('选项', optionList, addBtn);
  const productsRow = field('商品', productList, pickedCount);
  const dialog = createDialog({ id: 'poll-dialog', title: '发起投票', action: '发起', onSubmit: start, onOpen: prepare });
  dialog.body.append(field('类型', kinds), field('问题', question), optionsRow, productsRow, rewardRow, field('时长', seconds));

  const kind = () => (kinds.querySelector('input:checked') || {}).value || 'poll';

  function optionRow(text) {
    const input = h('input', { class: 'text-input poll-opt-input', type: 'text', maxlength: 20, placeholder: '选项内容' });
    input.value = text || '';
    return h(
      'li',
      { class: 'poll-edit-row' },
      h('label', { class: 'poll-right', title: '正确答案' }, h('input', { type: 'radio', name: 'poll-answer' }), '正确'),
      input,
      h('button', { class: 'btn btn-sm btn-ghost poll-del', type: 'button', 'aria-label': '删除选项' }, '×')
    );
  }

  function drawForm() {
    const k = kind();
    optionsRow.hidden = k === 'pick';
    productsRow.hidden = k !== 'pick';
    rewardRow.hidden = k !== 'quiz';
    dialog.el.dataset.kind = k;
    const rows = optionList.children.length;
    addBtn.disabled = rows >= MAX_OPTIONS;
    for (const b of optionList.querySelectorAll('.poll-del')) b.disabled = rows <= MIN_OPTIONS;
    const n = productList.querySelectorAll('input:checked').length;
    pickedCount.textContent = '已选 ' + n + ' 款（2–6 款）';
  }

  async function loadProducts() {
    try {
      const resp = await fetch('/api/rooms/' + encodeURIComponent(room.roomId) + '/products', { cache: 'no-store' });
      if (!resp.ok) throw new Error('HTTP ' + resp.status);
      products = ((await resp.json()).items || []).slice().sort((a, b) => (a.link_no || 0) - (b.link_no || 0));
    } catch (_e) {
      pickedCount.textContent = '商品加载失败，请关闭后重试';
      return;
    }
    productList.replaceChildren(
      ...products.map((p) =>
        h(
          'li',
          null,
          h(
            'label',
            { class: 'poll-product', dataset: { productId: p.id, linkNo: p.link_no } },
            h('input', { type: 'checkbox', value: p.id }),
            h('span', { class: 'link-no' }, p.link_no + '号'),
            h('span', { class: 'pp-name' }, p.short_name || p.name),
            h('span', { class: 'pp-price' }, '¥' + fmtPrice(p.live_price != null ? p.live_price : p.price))
          )
        )
      )
    );
    drawForm();
  }

  async function loadRewards() {
    if (reward.options.length > 1) return;
    const list = (await shopCoupons(room)) || [];
    reward.append(...list.map((c) => h('option', { value: c.id }, c.name + ' · ' + couponDeal(c))));
  }

  function prepare() {
    if (!optionList.children.length) optionList.append(optionRow(), optionRow());
    if (!products) loadProducts();
    loadRewards();
    drawForm();
  }

  kinds.addEventListener('change', drawForm);
  productList.addEventListener('change', drawForm);
  addBtn.addEventListener('click', () => {
    if (optionList.children.length < MAX_OPTIONS) optionList.append(optionRow());
    drawForm();
    optionList.lastElementChild.querySelector('.poll-opt-input').focus();
  });
  optionList.addEventListener('click', (e) => {
    const del = e.target.closest('.poll-del');
    if (del && optionList.children.length > MIN_OPTIONS) del.closest('li').remove();
    drawForm();
  });

  async function start() {
    const k = kind();
    const q = question.value.trim();
    if (!q) return toast('请填写问题', 'error');
    const frame = { type: 'poll_start', question: q, seconds: Number(seconds.value) || 60 };
    if (k === 'pick') {
      const ids = Array.from(productList.querySelectorAll('input:checked')).map((i) => i.value);
      if (ids.length < MIN_OPTIONS || ids.length > MAX_OPTIONS) return toast('选款需要选 2–6 款商品', 'error');
      frame.product_ids = ids;
    } else {
      const rows = Array.from(optionList.children);
      const texts = rows.map((li) => li.querySelector('.poll-opt-input').value.trim());
      if (texts.some((t) => !t)) return toast('选项不能为空', 'error');
      frame.options = texts;
      if (k === 'quiz') {
        const answer = rows.findIndex((li) => li.querySelector('input[name="poll-answer"]').checked);
        if (answer < 0) return toast('答题需要标出正确答案', 'error');
        frame.answer = answer;
      }
    }
    if (!canAct(room)) return;
    dialog.busy(true);
    const res = await room.request(frame);
    dialog.busy(false);
    if (!res.ok) return toast(protocol.errorText(res.error), 'error');
    dialog.close();
    const started = res.ack && res.ack.msg;
    if (k === 'quiz' && reward.value && started && started.poll_id) {
      const r = await room.request({ type: 'quiz_reward', poll_id: started.poll_id, coupon_id: reward.value });
      if (!r.ok) toast('答题已发起，奖励券没有设置成功：' + protocol.errorText(r.error), 'error', 4000);
      else toast('答题已发起，答对送券', 'ok');
    } else {
      toast(k === 'quiz' ? '答题已发起' : '投票已发起', 'ok');
    }
    reward.value = '';
    question.value = '';
    optionList.replaceChildren();
    for (const box of productList.querySelectorAll('input:checked')) box.checked = false;
  }

  $('poll-open-btn').addEventListener('click', () => dialog.open());

  // --- the live poll ----------------------------------------------------------------------------

  function draw() {
    const p = poll;
    if (!p) return;
    const counts = p.result ? p.result.counts : p.counts;
    const pct = percents(counts);
    const ended = !!p.result || clock.now() >= p.until;
    p.el.dataset.state = p.result ? 'result' : ended ? 'closing' : 'open';
    p.closeBtn.hidden = !!p.result;
    p.dismiss.hidden = !p.result; // an open poll stays until its result
    p.closeBtn.disabled = p.closing;
    p.closeBtn.textContent = p.closing ? '结束中…' : '结束投票';
    p.time.textContent = p.result ? '已结束' : ended ? '统计中' : fmtLeft(p.until - clock.now());
    p.rows.forEach((row, i) => {
      const c = Number(counts[i]) || 0;
      row.dataset.count = String(c);
      row.classList.toggle('winner', !!p.result && p.result.winner === i);
      row.classList.toggle('right', p.answer === i);
      row.querySelector('.lp-count').textContent = c + '票';
      row.querySelector('.lp-pct').textContent = pct[i] + '%';
      setBar(row, pct[i]);
    });
    const total = p.result ? p.result.total : p.total;
    let foot = '共 ' + (Number(total) || 0) + ' 人参与';
    if (p.result && typeof p.result.winner === 'number') foot += ' · ' + p.options[p.result.winner].text + ' 胜出';
    if (p.result && typeof p.result.answer === 'number') foot += ' · 正确答案：' + p.options[p.result.answer].text;
    p.foot.textContent = foot;
    p.reward.textContent = p.rewardCoupon ? '答对送：' + (p.rewardCoupon.name || p.rewardCoupon.id) : '';
  }

  function show(m) {
    if (!m || typeof m.poll_id !== 'string' || !Array.isArray(m.options)) return;
    if (poll && poll.pollId === m.poll_id) return;
    if (poll) poll.el.remove();
    const kindOf = KIND_LABEL[m.kind] ? m.kind : 'poll';
    const p = { pollId: m.poll_id, options: m.options, until: Number(m.until) || 0, counts: m.options.map(() => 0), total: 0, result: null, closing: false, answer: null };
    p.time = h('span', { class: 'lp-time' });
    p.closeBtn = h('button', { class: 'btn btn-sm btn-danger lp-close', type: 'button' }, '结束投票');
    p.foot = h('div', { class: 'lp-foot' });
    p.reward = h('div', { class: 'lp-reward' });
    p.rewardCoupon = rewards.get(m.poll_id) || null;
    p.rows = m.options.map((o, i) =>
      h('li', { class: 'lp-row', dataset: { index: i } }, h('span', { class: 'lp-text' }, o.text), h('span', { class: 'lp-count' }), h('span', { class: 'lp-pct' }))
    );
    const dismiss = h('button', { class: 'la-close', type: 'button', 'aria-label': '移除', title: '移除结果' }, '×');
    p.el = h(
      'div',
      { class: 'live-act live-poll', dataset: { pollId: p.pollId, kind: kindOf } },
      h('span', { class: 'la-icon', 'aria-hidden': 'true' }, '票'),
      h(
        'div',
        { class: 'la-main' },
        h('div', { class: 'la-title' }, h('span', { class: 'lp-tag' }, KIND_LABEL[kindOf]), h('span', { class: 'lp-q' }, m.question), p.time, p.closeBtn),
        h('ol', { class: 'lp-bars', dataset: { cols: p.rows.length > 3 ? '2' : '1' } }, p.rows),
        p.reward,
        p.foot
      ),
      dismiss
    );
    p.closeBtn.addEventListener('click', () => close(p));
    p.dismiss = dismiss;
    dismiss.addEventListener('click', () => {
      p.el.remove();
      if (poll === p) poll = null;
      strip.hidden = !strip.children.length;
    });
    poll = p;
    strip.append(p.el);
    strip.hidden = false;
    draw();
  }

  async function close(p) {
    if (p.closing || p.result || !canAct(room)) return;
    p.closing = true;
    draw();
    const res = await room.request({ type: 'poll_close', poll_id: p.pollId });
    p.closing = false;
    if (!res.ok && !(res.error && res.error.code === 'poll.closed')) toast(protocol.errorText(res.error), 'error');
    draw();
  }

  const rewards = new Map(); // poll id -> the coupon its right answer wins
  function setReward(pollId, coupon) {
    if (typeof pollId !== 'string' || !coupon) return;
    rewards.set(pollId, coupon);
    if (poll && poll.pollId === pollId) {
      poll.rewardCoupon = coupon;
      draw();
    }
  }

  everySecond(draw);
  room.on('state', (st) => {
    if (st && st.quiz_rewards && typeof st.quiz_rewards === 'object') {
      for (const [pollId, coupon] of Object.entries(st.quiz_rewards)) setReward(pollId, coupon);
    }
    if (st && st.poll && typeof st.poll === 'object') show(st.poll);
  });
  room.on('quiz_reward', (m) => setReward(m.poll_id, m.coupon));
  room.on('poll', (m) => show(m));
  room.on('poll_tally', (m) => {
    if (!poll || poll.pollId !== m.poll_id || poll.result || !Array.isArray(m.counts)) return;
    poll.counts = m.counts;
    poll.total = Number(m.total) || 0;
    draw();
  });
  room.on('poll_result', (m) => {
    if (!poll || poll.pollId !== m.poll_id) return;
    poll.result = { counts: Array.isArray(m.counts) ? m.counts : [], total: Number(m.total) || 0, winner: m.winner, answer: m.answer };
    poll.answer = typeof m.answer === 'number' ? m.answer : null;
    draw();
  });
}
