/**
 * @module host/audience
 * The viewers the console knows to be in the room: who entered (`presence`, staff only) and has not
 * left, and who commented. Used to send a personal coupon to one viewer by name.
 *
 *   const audience = audienceOf(ctx);
 *   audience.list()   // [{id, nick, lvl, role}], the most recently seen first (viewers only)
 */

const MAX = 300;

/** The console's audience, made on first use. */
export function audienceOf(ctx) {
  if (ctx.audience) return ctx.audience;
  const { room } = ctx;
  const seen = new Map(); // user id -> user ref, the latest last

  function remember(u) {
    if (!u || !u.id || (u.role && u.role !== 'viewer')) return;
    seen.delete(u.id);
    seen.set(u.id, u);
    if (seen.size > MAX) seen.delete(seen.keys().next().value);
  }

  room.on('presence', (m) => {
    for (const u of Array.isArray(m.entered) ? m.entered : []) remember(u);
    for (const u of Array.isArray(m.left) ? m.left : []) seen.delete(u.id);
  });
  room.on('comment', (m) => remember(m.user));
  room.on('enter', (m) => {
    for (const u of Array.isArray(m.users) ? m.users : []) remember(u);
  });

  ctx.audience = {
    list: () => Array.from(seen.values()).reverse(),
  };
  return ctx.audience;
}
