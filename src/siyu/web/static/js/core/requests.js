/**
 * @module core/requests
 * Actions that carry a client id (`cid`) and resolve with their `ack`.
 *
 * A request never rejects: it resolves `{ok: true, cid, seq, ack}` or `{ok: false, cid, error: {code,
 * message}, ack}` (`ack`: the whole answer, e.g. with the `order` an order made). While disconnected it waits and is (re)sent after the next welcome; the server answers
 * a retried cid with the first answer, so nothing is posted twice. No ack within the timeout gives
 * `timeout`; a connection closed for good gives `not_connected`.
 */

/** The default frame limit; the server's own comes from GET /api/protocol (`limits.max_frame_bytes`). */
export const MAX_FRAME_BYTES = 4096;

const encoder = new TextEncoder();

function randomTag() {
  const a = new Uint32Array(1);
  crypto.getRandomValues(a);
  return a[0].toString(36);
}

export class Requests {
  /**
   * @param {object} io
   * @param {(frame: object) => boolean} io.sendRaw   send now if the socket is open
   * @param {() => boolean} io.isConnected           welcomed and open
   * @param {() => boolean} io.isStopped             closed for good (fatal or on purpose)
   * @param {(code: string) => string} io.text       user text of an error code
   * @param {number} [io.timeoutMs=20000]
   * @param {number} [io.maxFrameBytes]             the server refuses bigger frames without an ack
   */
  constructor({ sendRaw, isConnected, isStopped, text, timeoutMs = 20000, maxFrameBytes = MAX_FRAME_BYTES }) {
    this.maxFrameBytes = maxFrameBytes;
    this._sendRaw = sendRaw;
    this._isConnected = isConnected;
    this._isStopped = isStopped;
    this._text = text;
    this.timeoutMs = timeoutMs;
    this._tag = randomTag();
    this._n = 0;
    /** @type {Map<string, {frame: object, resolve: Function, timer: any}>} */
    this._pending = new Map();
  }

  /** A fresh client id: unique per page load (a reused cid would be taken for a retry). */
  nextCid(prefix) {
    this._n += 1;
    return (prefix || 'c') + '-' + this._tag + '-' + this._n;
  }

  _fail(cid, code, extra) {
    return { ok: false, cid, error: Object.assign({ code, message: this._text(code) }, extra || {}) };
  }

  /**
   * Send `obj` with a cid (one is made when missing) and resolve with its ack. opts.timeoutMs; opts.maxBytes
   * for a frame the server allows to be bigger than max_frame_bytes (an `rtc_signal` SDP: 16 KiB).
   */
  request(obj, opts) {
    const frame = Object.assign({}, obj);
    if (!frame.cid) frame.cid = this.nextCid((frame.type || 'x').charAt(0));
    const cid = frame.cid;
    if (this._isStopped()) return Promise.resolve(this._fail(cid, 'not_connected'));
    if (encoder.encode(JSON.stringify(frame)).length > ((opts && opts.maxBytes) || this.maxFrameBytes)) {
      const code = frame.type === 'comment' || frame.type === 'reply' ? 'comment_too_long' : 'frame_too_large';
      return Promise.resolve(this._fail(cid, code, { local: true }));
    }
    const timeoutMs = (opts && opts.timeoutMs) || this.timeoutMs;
    return new Promise((resolve) => {
      const entry = { frame, resolve, timer: null };
      entry.timer = setTimeout(() => {
        if (this._pending.get(cid) !== entry) return;
        this._pending.delete(cid);
        resolve(this._fail(cid, 'timeout'));
      }, timeoutMs);
      this._pending.set(cid, entry);
      if (this._isConnected()) this._sendRaw(frame);
    });
  }

  /** Settle the request an `ack` answers (if it is ours). */
  ack(msg) {
    const p = msg.cid != null ? this._pending.get(msg.cid) : null;
    if (!p) return;
    this._pending.delete(msg.cid);
    clearTimeout(p.timer);
    // `ack` is the whole answer: some carry what the action made (`order`, `quote`, `wallet`, `grant` …)
    p.resolve(
      msg.error
        ? { ok: false, cid: msg.cid, error: msg.error, ack: msg }
        : { ok: true, cid: msg.cid, seq: typeof msg.seq === 'number' ? msg.seq : null, ack: msg }
    );
  }

  /** After a (re)welcome: send again whatever is still waiting for its ack. */
  resendAll() {
    for (const entry of this._pending.values()) this._sendRaw(entry.frame);
  }

  /** Give up on everything waiting (the connection is closed for good). */
  failAll(code) {
    const pending = Array.from(this._pending.values());
    this._pending.clear();
    for (const entry of pending) {
      clearTimeout(entry.timer);
      entry.resolve(this._fail(entry.frame.cid, code));
    }
  }
}
