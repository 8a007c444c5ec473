/**
 * @module host/luckybag
 * The lucky bag (福袋) on the host console: a 福袋 button in the header opens the form (prize from the
 * shop's coupons and the room's products, how many win, the countdown, the condition: 口令 / 观看时长 /
 * 关注 / 粉丝团) that sends `luckybag_start`; a panel at the top of the side column follows the open bag
 * (countdown, entries, 立即开奖 = `luckybag_draw`) and shows the result with its winners and the audit
 * link. The prizes come with the staff snapshot (`questions.luckybag_prizes`).
 */

import { h } from '../ui/dom.js';
import { toast } from '../ui/toast.js';
import { canAct } from '../ui/errors.js';
import { bagIcon, countdownText, followBag, prizeView, serverClock, winnersList } from '../ui/luckybag.js';

const DURATIONS = [
  [30, '30秒'],
  [60, '1分钟'],
  [180, '3分钟'],
  [300, '5分钟'],
  [600, '10分钟'],
];
const ENTRIES = [
  ['phrase', '发送口令'],
  ['watch', '观看时长'],
  ['follow', '关注主播'],
  ['fanclub', '加入粉丝团'],
];

function field(label, control, extra) {
  return h('label', { class: 'lb-field' + (extra ? ' ' + extra : '') }, h('span', { class: 'lb-field-label' }, label), control);
}

function options(pairs, selected) {
  return pairs.map(([value, text]) => h('option', { value: String(value), selected: String(value) === String(selected) }, text));
}

/** @param {object} ctx the console (see host.js) */
export function installLuckyBag(ctx) {
  const { room } = ctx;
  const now = serverClock(room);
  let prizes = { coupons: [], products: [] };
  let last = null; // the latest result shown in the panel
  let ticker = null;
  let busy = false;

  // --- the form ---------------------------------------------------------------------------------
  const prize = h('select', { id: 'lb-prize', class: 'text-input', 'aria-label': '奖品' });
  const winners = h('input', { id: 'lb-winners', class: 'text-input', type: 'number', min: '1', max: '1000', value: '1', 'aria-label': '中奖人数' });
  const seconds = h('select', { id: 'lb-seconds', class: 'text-input', 'aria-label': '倒计时' }, options(DURATIONS, 180));
  const entry = h('select', { id: 'lb-entry', class: 'text-input', 'aria-label': '参与方式' }, options(ENTRIES, 'phrase'));
  const phrase = h('input', { id: 'lb-phrase', class: 'text-input', type: 'text', maxlength: '20', value: '福袋来了', 'aria-label': '口令' });
  const minutes = h('input', { id: 'lb-minutes', class: 'text-input', type: 'number', min: '1', max: '180', value: '5', 'aria-label': '观看分钟数' });
  const phraseField = field('口令', phrase);
  const minutesField = field('观看满（分钟）', minutes);
  const error = h('p', { id: 'lb-error', class: 'lb-error', role: 'alert', hidden: true });
  const submit = h('button', { id: 'lb-start', class: 'btn btn-primary', type: 'submit' }, '发起福袋');
  const form = h('form', { class: 'lb-form', autocomplete: 'off' },
    h('header', { class: 'lb-form-head' }, bagIcon('lb-bag-sm'), h('h2', { id: 'lb-form-title' }, '发福袋'),
      h('button', { class: 'sheet-close', type: 'button', 'data-close': true, 'aria-label': '关闭' }, '×')),
    field('奖品', prize, 'wide'), field('中奖人数', winners), field('倒计时', seconds), field('参与方式', entry),
    phraseField, minutesField, error,
    h('footer', { class: 'lb-form-foot' }, h('button', { class: 'btn', type: 'button', 'data-close': true }, '取消'), submit));
  const dialog = h('div', { id: 'lb-dialog', class: 'lb-dialog', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'lb-form-title', hidden: true },
    h('div', { class: 'lb-dialog-backdrop', 'data-close': true }), form);
  const openBtn = h('button', { id: 'lb-open-btn', class: 'btn lb-open-btn', type: 'button', title: '发起福袋：观众参与，倒计时结束后公开抽奖' }, bagIcon('lb-bag-xs'), '福袋');
  const head = document.querySelector('.console-head');
  head.insertBefore(openBtn, document.getElementById('host-status'));
  document.body.appendChild(dialog);

  function fillPrizes() {
    const groups = [
      ['优惠券', prizes.coupons.map((c) => ['coupon:' + c.id, c.name + '（' + c.text + '）'])],
      ['商品', prizes.products.map((p) => ['product:' + p.id, p.name + '（' + p.text + '）'])],
    ];
    const keep = prize.value;
    prize.replaceChildren(...groups.filter(([, items]) => items.length).map(([label, items]) => h('optgroup', { label }, options(items, keep))));
  }

  function showEntryFields() {
    phraseField.hidden = entry.value !== 'phrase';
    minutesField.hidden = entry.value !== 'watch';
  }

  function openForm() {
    if (follower.bag) {
      toast('已有进行中的福袋', 'error');
      return;
    }
    error.hidden = true;
    dialog.hidden = false;
    prize.focus();
  }

  function closeForm() {
    dialog.hidden = true;
    openBtn.focus();
  }

  entry.addEventListener('change', showEntryFields);
  openBtn.addEventListener('click', openForm);
  dialog.addEventListener('click', (e) => {
    if (e.target && e.target.closest && e.target.closest('[data-close]')) closeForm();
  });
  dialog.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') closeForm();
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (busy || !canAct(room)) return;
    const [kind, id] = prize.value.split(/:(.*)/s);
    const cond = { kind: entry.value };
    if (cond.kind === 'phrase') cond.phrase = phrase.value.trim();
    if (cond.kind === 'watch') cond.minutes = Math.max(1, Math.min(180, Math.floor(Number(minutes.value) || 1)));
    const frame = {
      type: 'luckybag_start',
      prize: kind === 'product' ? { kind, product_id: id } : { kind: 'coupon', coupon_id: id },
      winners: Math.max(1, Math.min(1000, Math.floor(Number(winners.value) || 1))),
      seconds: Number(seconds.value),
      entry: cond,
    };
    if (!id || (cond.kind === 'phrase' && !cond.phrase)) {
      error.textContent = !id ? '请选择奖品' : '请填写口令';
      error.hidden = false;
      return;
    }
    busy = true;
    submit.disabled = true;
    const ack = await room.request(frame);
    busy = false;
    submit.disabled = false;
    if (!ack.ok) {
      error.textContent = room.protocol.errorText(ack.error);
      error.hidden = false;
      return;
    }
    closeForm();
    toast('福袋已发出', 'ok');
  });
  showEntryFields();

  // --- the panel --------------------------------------------------------------------------------
  const panelBody = h('div', { class: 'panel-body lb-panel-body' });
  const badge = h('span', { class: 'lb-badge' }, '');
  const hide = h('button', { class: 'btn btn-sm btn-ghost', type: 'button', 'aria-label': '收起' }, '收起');
  const go = h('button', { id: 'lb-draw-btn', class: 'btn btn-primary btn-sm', type: 'button', title: '立即截止参与并开奖' }, '立即开奖');
  const panel = h('section', { id: 'lb-panel', class: 'panel lb-panel', 'aria-label': '福袋', hidden: true },
    h('div', { class: 'panel-head' }, h('h2', null, '福袋 ', badge), h('div', { class: 'lb-head-actions' }, go, hide)), panelBody);
  const side = document.querySelector('.side');
  side.insertBefore(panel, side.firstChild);
  hide.addEventListener('click', () => {
    last = null;
    draw();
  });

  go.addEventListener('click', async () => {
    const bag = follower.bag;
    if (!bag || !canAct(room)) return;
    const ack = await room.request({ type: 'luckybag_draw', bag_id: bag.bag_id });
    if (!ack.ok) toast(room.protocol.errorText(ack.error), 'error');
  });

  function draw() {
    const bag = follower.bag;
    panel.hidden = !bag && !last;
    hide.hidden = !!bag;
    go.hidden = !bag;
    if (bag && !ticker) ticker = setInterval(draw, 1000);
    if (!bag && ticker) {
      clearInterval(ticker);
      ticker = null;
    }
    if (bag) {
      const closed = follower.closed();
      panel.dataset.state = closed ? 'drawing' : 'open';
      badge.textContent = closed ? '开奖中' : '进行中';
      go.disabled = closed;
      panelBody.replaceChildren(
        prizeView(bag.prize),
        h('div', { class: 'lb-live' },
          h('div', { class: 'lb-stat' }, h('b', { id: 'lb-count' }, String(bag.entries ?? 0)), h('span', null, '人参与')),
          h('div', { class: 'lb-stat' }, h('b', null, String(bag.winners)), h('span', null, '份奖品')),
          h('div', { class: 'lb-stat' }, h('b', { class: 'lb-countdown' }, closed ? '--:--' : countdownText(bag.until - now())), h('span', null, '开奖倒计时'))),
        h('div', { class: 'lb-cond' }, h('span', { class: 'lb-cond-label' }, '条件'), h('span', null, bag.entry.text)));
      return;
    }
    if (last) {
      panel.dataset.state = 'drawn';
      badge.textContent = '已开奖';
      const audit = '/api/rooms/' + encodeURIComponent(room.roomId) + '/luckybags/' + encodeURIComponent(last.bag_id);
      panelBody.replaceChildren(
        prizeView(last.prize),
        h('div', { class: 'lb-result-line' }, '共 ' + last.entries + ' 人参与，' + last.winners.length + ' 人中奖'),
        last.winners.length ? winnersList(last.winners, 40) : h('p', { class: 'lb-none' }, '本次无人参与'),
        h('p', { class: 'lb-audit' }, 'seed ' + String(last.seed).slice(0, 12) + '… · ',
          h('a', { href: audit, target: '_blank', rel: 'noopener' }, '公开复核')));
    }
  }

  const follower = followBag(room, now, {
    onChange: () => draw(),
    onResult: (m) => {
      last = m;
      draw();
    },
  });

  room.on('questions', (snap) => {
    if (snap.luckybag_prizes) {
      prizes = { coupons: snap.luckybag_prizes.coupons || [], products: snap.luckybag_prizes.products || [] };
      fillPrizes();
    }
    const open = snap.luckybag;
    if (open && follower.bag && follower.bag.bag_id === open.view.bag_id && follower.bag.entries == null) {
      follower.bag.entries = open.entries;
      draw();
    }
  });
}
