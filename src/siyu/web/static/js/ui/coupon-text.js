/**
 * @module ui/coupon-text
 * How a coupon reads in zh-CN, from the `coupon` object of a `coupon_card` (or of
 * GET /api/rooms/{id}/coupons): {type: 满减 | 立减 | 折扣, threshold, amount, rate, cap, applies_to,
 * condition}. Used by the viewer's card and wallet and by the host's 发券 control.
 */

import { fmtPrice } from './format.js';

const num = (x) => (typeof x === 'number' && isFinite(x) ? x : null);

/** The big figure of the card: {value: "20", unit: "元"} or {value: "9", unit: "折"}. */
export function couponFace(c) {
  c = c || {};
  if (c.type === '折扣' && num(c.rate) != null) {
    return { value: fmtPrice(Math.round(c.rate * 100) / 10), unit: '折' };
  }
  return { value: fmtPrice(num(c.amount) || 0), unit: '元' };
}

/** The deal in a few characters: "满199减20", "立减10元", "9折". */
export function couponDeal(c) {
  c = c || {};
  const face = couponFace(c);
  const threshold = num(c.threshold) || 0;
  if (c.type === '折扣') return face.value + '折';
  if (c.type === '满减' && threshold > 0) return '满' + fmtPrice(threshold) + '减' + face.value;
  return '立减' + face.value + '元';
}

/** What it needs: "满199可用", "无门槛", "无门槛 · 最多减100元". */
export function couponRule(c) {
  c = c || {};
  const threshold = num(c.threshold) || 0;
  let text = threshold > 0 ? '满' + fmtPrice(threshold) + '可用' : '无门槛';
  if (c.type === '折扣' && num(c.cap) != null) text += ' · 最多减' + fmtPrice(c.cap) + '元';
  return text;
}

/** Which products: "全场通用", "指定3款可用", or '' when not known. */
export function couponScope(c) {
  const a = c && c.applies_to;
  if (Array.isArray(a)) return '指定' + a.length + '款可用';
  return a === 'all' || a === null ? '全场通用' : '';
}

/** The condition a viewer must meet ("需加入粉丝团"), or ''. */
export function couponCondition(c) {
  const cond = c && typeof c.condition === 'string' ? c.condition.trim() : '';
  if (!cond) return '';
  return /^[需限]/.test(cond) ? cond : (cond.startsWith('加入') ? '需' : '限') + cond;
}
