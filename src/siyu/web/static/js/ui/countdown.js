/**
 * @module ui/countdown
 * Countdowns: "00:42" text for milliseconds left, and one shared one-second ticker that every card
 * with a countdown subscribes to (no timer per card).
 *
 *   const stop = everySecond(() => draw());   // stop() unsubscribes
 */

const pad2 = (n) => (n < 10 ? '0' + n : String(n));

/** 42000 → "00:42", 3725000 → "1:02:05"; 0 or less → "00:00". */
export function fmtLeft(ms) {
  const s = Math.max(0, Math.ceil(Number(ms) / 1000) || 0);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return (h ? h + ':' + pad2(m) : pad2(m)) + ':' + pad2(s % 60);
}

const subscribers = new Set();
let timer = null;

/** Call `fn` once a second until the returned function is called. */
export function everySecond(fn) {
  subscribers.add(fn);
  if (!timer) {
    timer = setInterval(() => {
      for (const f of Array.from(subscribers)) {
        try {
          f();
        } catch (e) {
          console.error('[siyu] countdown failed', e);
        }
      }
    }, 1000);
  }
  return () => {
    subscribers.delete(fn);
    if (!subscribers.size && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
}
