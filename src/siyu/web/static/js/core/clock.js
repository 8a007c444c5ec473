/**
 * @module core/clock
 * The server's clock as this page estimates it. Deadlines (`until`, ms) are the server's, and a phone's
 * clock may be off by minutes: the welcome's `ts`, then each pong's (plus half the round trip), give
 * the offset. One clock per room client.
 *
 *   const clock = serverClock(room);
 *   const left = until - clock.now();
 */

const clocks = new WeakMap();

/** The server clock of `room` (a RoomClient), made on first use. */
export function serverClock(room) {
  let clock = clocks.get(room);
  if (clock) return clock;
  let offset = 0;
  room.on('welcome', (m) => {
    if (typeof m.ts === 'number') offset = m.ts - Date.now();
  });
  room.on('pong', (m, rtt) => {
    if (typeof m.ts === 'number' && typeof rtt === 'number') offset = m.ts + rtt / 2 - Date.now();
  });
  clock = { now: () => Date.now() + offset };
  clocks.set(room, clock);
  return clock;
}
