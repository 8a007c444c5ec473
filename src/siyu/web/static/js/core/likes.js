/**
 * @module core/likes
 * Like taps, batched: at most one `like` frame per interval (500 ms) carries the accumulated count
 * (1..100). Taps made while disconnected are sent after the next welcome.
 */

export class LikeBatcher {
  /**
   * @param {object} io
   * @param {(frame: object) => boolean} io.sendRaw
   * @param {() => boolean} io.isConnected
   * @param {(count: number) => void} [io.onSent]
   * @param {number} [io.intervalMs=500]
   */
  constructor({ sendRaw, isConnected, onSent, intervalMs = 500 }) {
    this._sendRaw = sendRaw;
    this._isConnected = isConnected;
    this._onSent = onSent || (() => {});
    this.intervalMs = intervalMs;
    this._acc = 0;
    this._last = 0;
    this._timer = null;
  }

  /** Count `n` taps (default 1). */
  like(n) {
    const add = Math.max(1, Math.floor(Number(n) || 1));
    this._acc = Math.min(this._acc + add, 100000);
    this._schedule();
  }

  _schedule() {
    if (this._timer || !this._acc) return;
    const wait = Math.max(0, this._last + this.intervalMs - Date.now());
    this._timer = setTimeout(() => {
      this._timer = null;
      this.flush();
    }, wait);
  }

  /** Send what has accumulated, if the interval allows and the connection is up. */
  flush() {
    if (!this._acc || this._timer) return;
    if (!this._isConnected()) return; // sent after the next welcome
    const now = Date.now();
    if (now - this._last < this.intervalMs) {
      this._schedule();
      return;
    }
    const count = Math.min(100, this._acc);
    if (!this._sendRaw({ type: 'like', count })) return;
    this._acc -= count;
    this._last = now;
    this._onSent(count);
    if (this._acc) this._schedule();
  }
}
