/**
 * @module core/backoff
 * Capped exponential back-off with ±20 % jitter, shared by the catalogue fetch and reconnects.
 */

/**
 * Delay before retry number `attempt` (0-based): min·2^attempt, capped at max, jittered.
 * @param {number} attempt
 * @param {number} [minMs=500]
 * @param {number} [maxMs=10000]
 */
export function backoffDelay(attempt, minMs = 500, maxMs = 10000) {
  const base = Math.min(maxMs, minMs * Math.pow(2, attempt));
  return Math.round(Math.max(minMs, Math.min(maxMs, base * (0.8 + Math.random() * 0.4))));
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
