/**
 * @module viewer/invite
 * A private-domain invite from a playbook (`invite`, only to this viewer): a card floating over the video,
 * clear of the comment input, titled by its channel (加企业微信 / 加入专属社群 / 打开小程序 / 关注开播提醒),
 * with the text, the incentive, the QR image (`qr`, a data URI) and 长按识别二维码 when there is one, a link
 * when there is only a `url`, and for 关注开播提醒 a button that follows the host (the page's 关注). × or
 * Escape closes it; a newer invite replaces it.
 */

import { $, h } from '../ui/dom.js';

const CHANNELS = {
  wecom_contact: { title: '加企业微信', icon: '企', open: '去添加' },
  community_group: { title: '加入专属社群', icon: '群', open: '去加入' },
  mini_program: { title: '打开小程序', icon: '程', open: '打开小程序' },
  follow_notify: { title: '关注开播提醒', icon: '铃', open: '去看看' },
};
const DATA_IMAGE = /^data:image\/(svg\+xml|png|jpeg|gif|webp)[;,]/;
const WEB_URL = /^https?:\/\//;

/** @param {object} ctx the viewer page (see viewer.js) */
export function installInvite(ctx) {
  const { room, els } = ctx;
  const app = $('app');
  let current = null;

  function close() {
    if (!current) return;
    current.remove();
    current = null;
  }

  function followButton() {
    const followed = els.follow.dataset.followed === 'true';
    const btn = h('button', { class: 'btn btn-primary invite-act', type: 'button', dataset: { act: 'follow' } }, followed ? '已关注，开播会提醒你' : '关注主播，开播提醒我');
    btn.disabled = followed;
    return btn;
  }

  function show(m) {
    close();
    const ch = CHANNELS[m.channel] || { title: '加入我们', icon: '邀', open: '去看看' };
    const qr = typeof m.qr === 'string' && DATA_IMAGE.test(m.qr) ? m.qr : null;
    const url = typeof m.url === 'string' && WEB_URL.test(m.url) ? m.url : null;
    let action = null;
    if (m.channel === 'follow_notify' && !qr && !url) action = followButton();
    else if (url && !qr) action = h('a', { class: 'btn btn-primary invite-act', href: url, target: '_blank', rel: 'noopener' }, ch.open);
    current = h(
      'div',
      { id: 'invite-card', class: 'invite-card', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'invite-title', dataset: { channel: m.channel, state: m.state || null } },
      h(
        'header',
        { class: 'invite-head' },
        h('span', { class: 'invite-icon', 'aria-hidden': 'true' }, ch.icon),
        h('div', { class: 'invite-titles' }, h('h2', { id: 'invite-title', class: 'invite-title' }, ch.title), h('div', { class: 'invite-from' }, '直播助理邀请你')),
        h('button', { class: 'invite-close', type: 'button', 'aria-label': '关闭' }, '×')
      ),
      m.text ? h('p', { class: 'invite-text' }, m.text) : null,
      m.incentive ? h('div', { class: 'invite-incentive' }, h('span', { class: 'invite-gift' }, '福利'), h('span', null, m.incentive)) : null,
      qr
        ? h(
            'figure',
            { class: 'invite-qr' },
            h('img', { src: qr, alt: ch.title + '二维码', width: '148', height: '148', draggable: 'false' }),
            h('figcaption', null, '长按识别二维码')
          )
        : null,
      action
    );
    app.appendChild(current);
  }

  room.on('invite', (m) => show(m));

  app.addEventListener('click', (e) => {
    if (!current || !e.target.closest || !current.contains(e.target)) return;
    if (e.target.closest('.invite-close')) close();
    else if (e.target.closest('[data-act="follow"]')) {
      if (els.follow.dataset.followed !== 'true') els.follow.click(); // the page's 关注 (viewer/composer.js)
      close();
    }
  });
  app.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && current && current.contains(e.target)) close();
  });
}
