/**
 * @module ui/tally
 * A poll's counts as percentages (whole numbers that add up to 100) and the bar behind each option:
 * its width is the CSS variable --p, set through the CSSOM (the pages allow no inline style).
 */

/** [412, 655] → [39, 61]: rounded by the largest remainder, so that they add up to 100 (all 0 when nobody voted). */
export function percents(counts) {
  const n = (Array.isArray(counts) ? counts : []).map((x) => Math.max(0, Number(x) || 0));
  const total = n.reduce((a, b) => a + b, 0);
  if (!total) return n.map(() => 0);
  const exact = n.map((x) => (x * 100) / total);
  const out = exact.map(Math.floor);
  let rest = 100 - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i]).sort((a, b) => b[0] - a[0]);
  for (const [, i] of order) {
    if (rest <= 0) break;
    out[i] += 1;
    rest -= 1;
  }
  return out;
}

/** Set the bar of `el` to `pct` percent (0..100). */
export function setBar(el, pct) {
  el.style.setProperty('--p', Math.max(0, Math.min(100, Number(pct) || 0)) + '%');
}
