/**
 * @module viewer
 * Entry of the viewer page (/room/{id}#token=…): load the protocol catalogue from the server, make
 * the room client, install one module per concern, connect. The page's markup is viewer.html.
 */

import { parseLocation } from './core/location.js';
import { loadProtocol } from './core/protocol.js';
import { RoomClient } from './core/client.js';
import { $ } from './ui/dom.js';
import { bindStatus, renderStatus } from './ui/status.js';
import { bindAlerts } from './ui/errors.js';
import { createCommentList } from './ui/comment-list.js';
import { createHearts } from './ui/hearts.js';
import { installRoomState } from './viewer/room-state.js';
import { installComments } from './viewer/comments.js';
import { installGifts } from './viewer/gifts.js';
import { installProducts } from './viewer/products.js';
import { installAssistant } from './viewer/assistant.js';
import { installModeration } from './viewer/moderation.js';
import { installComposer } from './viewer/composer.js';
import { installMyQuestions } from './viewer/my-questions.js';
import { installCart } from './viewer/cart.js';
import { installFlash } from './viewer/flash.js';
import { installPurchases } from './viewer/purchases.js';
import { installLuckyBag } from './viewer/luckybag.js';
import { installFanClub } from './viewer/fanclub.js';
import { installWallet } from './viewer/wallet.js';
import { installCoupons } from './viewer/coupons.js';
import { installPolls } from './viewer/polls.js';
import { installLeaderboard } from './viewer/leaderboard.js';
import { installTopic } from './viewer/topic.js';
import { installOffers } from './viewer/offers.js';
import { installInvite } from './viewer/invite.js';
import { installPk } from './viewer/pk.js';
import { installCall } from './viewer/call.js';
import { installMic } from './viewer/mic.js';

const MAX_LINES = 200;

function pageElements() {
  const ids = {
    title: 'room-title', host: 'host-name', avatar: 'host-avatar', online: 'online', likes: 'likes',
    live: 'live-badge', offline: 'offline-overlay', status: 'conn-status', welcome: 'welcome',
    welcomeText: 'welcome-text', welcomeBadge: 'welcome-badge', hostStatus: 'host-status-banner', hostStatusText: 'host-status-text',
    giftBanner: 'gift-banner', enter: 'enter-banner', comments: 'comments', newTip: 'new-msg-tip',
    pinned: 'pinned', giftRow: 'gift-row', composer: 'composer', input: 'comment-input', send: 'send-btn',
    like: 'like-btn', follow: 'follow-btn', hearts: 'hearts', fatal: 'fatal', fatalText: 'fatal-text',
    myQBtn: 'my-q-btn', myQCount: 'my-q-count', myQSheet: 'my-q-sheet', myQList: 'my-q-list', myQEmpty: 'my-q-empty',
    myQaPin: 'my-qa-pin', cartBtn: 'cart-btn', cartCount: 'cart-count', cartSheet: 'cart-sheet', cartList: 'cart-list',
    cartEmpty: 'cart-empty', cartTotal: 'cart-total', skuSheet: 'sku-sheet', skuThumb: 'sku-thumb', skuName: 'sku-name',
    skuPrices: 'sku-prices', skuPicked: 'sku-picked', skuColors: 'sku-colors', skuSizes: 'sku-sizes', skuBuy: 'sku-buy',
    skuQty: 'sku-qty', skuMinus: 'sku-minus', skuPlus: 'sku-plus', skuQuote: 'sku-quote', flashCard: 'flash-card',
  };
  return Object.fromEntries(Object.entries(ids).map(([k, id]) => [k, $(id)]));
}

async function main() {
  const els = pageElements();
  const protocol = await loadProtocol({ onRetry: (info) => renderStatus(els.status, 'reconnecting', info) });
  const room = new RoomClient(Object.assign(parseLocation(), { protocol }));
  window.siyuRoom = room; // handy for debugging and tests

  /** What the viewer modules share. */
  const ctx = {
    room,
    protocol,
    els,
    list: createCommentList(els.comments, els.newTip, { max: MAX_LINES }),
    spawnHeart: createHearts(els.hearts),
    isMe: (user) => !!(room.me && user && user.id === room.me.id),
  };

  bindStatus(room, els.status);
  installRoomState(ctx);
  installComments(ctx);
  installGifts(ctx);
  installCart(ctx);
  installFlash(ctx);
  installPurchases(ctx);
  installFanClub(ctx);
  installLeaderboard(ctx);
  installTopic(ctx);
  installProducts(ctx);
  installAssistant(ctx);
  installMyQuestions(ctx);
  installModeration(ctx);
  installComposer(ctx);
  installLuckyBag(ctx);
  installWallet(ctx);
  installCoupons(ctx);
  installPolls(ctx);
  installOffers(ctx);
  installInvite(ctx);
  installPk(ctx);
  installCall(ctx); // the 连线 entry and the call screen (before the mic, which adds its section)
  installMic(ctx);
  bindAlerts(room, els, () => {
    for (const b of [els.send, els.like, els.follow, els.input]) b.disabled = true;
    for (const b of els.giftRow.querySelectorAll('button')) b.disabled = true;
  });

  room.connect();
}

main();
