/**
 * @module viewer/pk
 * The PK scoreboard on the viewer page: a bar under the header while this room battles another (both
 * sides, scores, the bar, the countdown, the last 30 s emphasised, top supporters, the result banner and
 * the punishment countdown). See ui/pk-board.js; handles `state.pk`, `pk` and `pk_score`.
 */

import { createPkBoard, followPk } from '../ui/pk-board.js';

/** @param {object} ctx the viewer page (see viewer.js) */
export function installPk(ctx) {
  const board = createPkBoard(ctx.room, { id: 'pk-bar', className: 'pk-bar' });
  const head = document.querySelector('.room-head');
  head.after(board.el);
  const follower = followPk(ctx.room, (pk) => {
    board.update(pk);
    document.body.classList.toggle('in-pk', !!pk);
  });
  ctx.pk = follower;
}
