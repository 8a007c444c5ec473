/**
 * @module ui/format
 * Formatting for the zh-CN pages: clock times, short counts (万 / 亿), prices, durations, role names.
 */

const pad2 = (n) => (n < 10 ? '0' + n : String(n));

/** "HH:MM:SS" of a server timestamp in ms (now when missing). */
export function fmtTime(ts) {
  const d = new Date(typeof ts === 'number' ? ts : Date.now());
  return pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + ':' + pad2(d.getSeconds());
}

/** 9999 → "9999", 12345 → "1.2万", 230000000 → "2.3亿". */
export function fmtCount(n) {
  n = Number(n) || 0;
  if (n >= 100000000) return (n / 100000000).toFixed(1).replace(/\.0$/, '') + '亿';
  if (n >= 10000) return (n / 10000).toFixed(1).replace(/\.0$/, '') + '万';
  return String(n);
}

/** 159 → "159", 159.5 → "159.50". */
export function fmtPrice(p) {
  const n = Number(p);
  if (!isFinite(n)) return String(p);
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

/** "10分钟" / "2小时" / "3天" for a duration in milliseconds ('' when unknown). */
export function durationText(ms) {
  const min = Math.round(Number(ms) / 60000);
  if (!isFinite(min) || min <= 0) return '';
  if (min < 60) return min + '分钟';
  if (min < 24 * 60) return min % 60 === 0 ? min / 60 + '小时' : Math.floor(min / 60) + '小时' + (min % 60) + '分钟';
  return Math.round(min / (24 * 60)) + '天';
}

/** The label of a staff role ('' for viewers). */
export function roleLabel(role) {
  if (role === 'host') return '主播';
  if (role === 'assistant') return '场控';
  if (role === 'operator') return '运营';
  return '';
}

export const STAFF_ROLES = new Set(['host', 'assistant', 'operator']);

/** A user ref of the host, an assistant or an operator. */
export function isStaff(user) {
  return !!(user && STAFF_ROLES.has(user.role));
}

/** The fan level pill's colour tier. */
export function levelTier(lvl) {
  return lvl >= 15 ? 'lv-high' : lvl >= 8 ? 'lv-mid' : 'lv-low';
}
