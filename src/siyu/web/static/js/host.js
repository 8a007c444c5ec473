/**
 * @module host
 * Entry of the host console (/host/{id}#token=…): load the protocol catalogue from the server, make
 * the room client, install one module per concern, connect. The page's markup is host.html.
 *
 * The modules share one context object (ctx): the client, the catalogue, the page's elements, the
 * stream list, and the small APIs some modules publish for others (ctx.stream, ctx.replyBox,
 * ctx.questions, ctx.groups, ctx.moderation, ctx.users, ctx.setLive), used only when events come.
 */

import { parseLocation } from './core/location.js';
import { loadProtocol } from './core/protocol.js';
import { RoomClient } from './core/client.js';
import { $ } from './ui/dom.js';
import { bindStatus, renderStatus } from './ui/status.js';
import { bindAlerts } from './ui/errors.js';
import { createCommentList } from './ui/comment-list.js';
import { createReplyBox } from './ui/reply-box.js';
import { installHeader } from './host/header.js';
import { installStream } from './host/stream.js';
import { installGifts } from './host/gifts.js';
import { installProducts } from './host/products.js';
import { installQuestions } from './host/questions.js';
import { installGroups } from './host/groups.js';
import { installPresence } from './host/presence.js';
import { installHostStatus } from './host/host-status.js';
import { installAssistant } from './host/assistant.js';
import { installModeration } from './host/moderation.js';
import { installLive } from './host/live.js';
import { installComposer } from './host/composer.js';
import { installFlash } from './host/flash.js';
import { installLuckyBag } from './host/luckybag.js';
import { installFanClub } from './host/fanclub.js';
import { installCouponDrop } from './host/coupon-drop.js';
import { installPollCtl } from './host/poll-ctl.js';
import { installLeaderboard } from './host/leaderboard.js';
import { installTopics } from './host/topics.js';
import { installAutomation } from './host/automation.js';
import { installPk } from './host/pk.js';
import { installMic } from './host/mic.js';
import { installCalls } from './host/calls.js';

const MAX_STREAM = 500;

function pageElements() {
  const ids = {
    title: 'room-title', host: 'host-name', roomId: 'room-id', me: 'me', status: 'conn-status', latency: 'latency',
    online: 'online', likes: 'likes', commentTotal: 'comment-total', giftCoins: 'gift-coins', live: 'live-status',
    liveTitle: 'live-title', start: 'start-live-btn', end: 'end-live-btn', comments: 'comments', newTip: 'new-msg-tip',
    onlyQuestions: 'only-questions', composer: 'composer', input: 'comment-input', send: 'send-btn',
    questions: 'questions', questionsEmpty: 'questions-empty', questionCount: 'question-count',
    questionFilter: 'question-filter', groupsSection: 'groups-section', groups: 'question-groups',
    groupCount: 'group-count', statusCtl: 'host-status', modList: 'moderation', modEmpty: 'moderation-empty',
    modCount: 'mod-count', pinned: 'pinned', pinnedNone: 'pinned-none', pinCurrent: 'pin-current-id',
    pinForm: 'pin-form', pinInput: 'pin-input', pinBtn: 'pin-btn', unpinBtn: 'unpin-btn', catalog: 'catalog',
    presence: 'presence', presenceSummary: 'presence-summary', fatal: 'fatal',
    fatalText: 'fatal-text',
  };
  return Object.fromEntries(Object.entries(ids).map(([k, id]) => [k, $(id)]));
}

async function main() {
  const els = pageElements();
  const location = parseLocation();
  els.roomId.textContent = location.roomId;
  const protocol = await loadProtocol({ onRetry: (info) => renderStatus(els.status, 'reconnecting', info) });
  const room = new RoomClient(Object.assign(location, { protocol }));
  window.siyuRoom = room; // handy for debugging and tests

  const replyBox = createReplyBox(room);
  /** What the console modules share. */
  const ctx = {
    room,
    protocol,
    els,
    replyBox,
    list: createCommentList(els.comments, els.newTip, { max: MAX_STREAM, onEvict: (li) => replyBox.closeIfIn(li) }),
    hidden: new Set(), // comment seqs hidden by moderation
    isMe: (user) => !!(room.me && user && user.id === room.me.id),
    isStaff: true,
  };

  bindStatus(room, els.status);
  installHeader(ctx);
  installStream(ctx);
  installGifts(ctx);
  installProducts(ctx);
  installFlash(ctx);
  installQuestions(ctx);
  installGroups(ctx);
  installPresence(ctx);
  installHostStatus(ctx);
  installAssistant(ctx);
  installModeration(ctx);
  installLive(ctx);
  installComposer(ctx);
  installLuckyBag(ctx);
  installFanClub(ctx);
  installCouponDrop(ctx);
  installPollCtl(ctx);
  installLeaderboard(ctx);
  installTopics(ctx);
  installAutomation(ctx);
  installPk(ctx); // the 连线 panel: PK, 连麦, 1v1 tabs
  installMic(ctx);
  installCalls(ctx);
  bindAlerts(room, els);

  room.connect();
}

main();
