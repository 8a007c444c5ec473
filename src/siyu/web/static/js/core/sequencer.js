/**
 * @module core/sequencer
 * Order and dedupe of sequenced room messages, and the resume after a reconnect.
 *
 * Room messages are delivered once, in seq order: one whose seq is not above the highest delivered
 * (`lastSeq`) is a duplicate. The ack of our own action carries its echo: shown at once, remembered
 * and skipped when the same seq comes again in a batch (it does not move lastSeq: earlier seqs may
 * still be on their way). After a reconnect the client sends `resume {last_seq, epoch}` and room
 * messages are held until the gap arrives (`resumed`) or the server says it cannot fill it
 * (`resync`), or 8 s pass.
 */

export class Sequencer {
  /**
   * @param {object} hooks
   * @param {(msg: object) => void} hooks.deliver      emit one room message to the page
   * @param {(info: {seq: number, epoch: ?string}) => void} hooks.onResumeTimeout
   * @param {number} [hooks.resumeTimeoutMs=8000]
   */
  constructor({ deliver, onResumeTimeout, resumeTimeoutMs = 8000 }) {
    this._deliver = deliver;
    this._onResumeTimeout = onResumeTimeout;
    this._resumeTimeoutMs = resumeTimeoutMs;
    this.lastSeq = 0;
    this.epoch = null;
    this.resuming = false;
    this._echoed = new Set(); // seqs of echoes shown before their batch copy
    this._echoedCids = new Set(); // cids of seq-less echoes shown (a retried cid gets the same ack)
    this._buf = [];
    this._resumeTo = 0;
    this._resumeWelcome = null;
    this._timer = null;
  }

  /**
   * A welcome. The first one sets lastSeq / epoch; after a reconnect it starts a resume and returns
   * the `resume` frame to send (null when there is nothing to resume from).
   */
  welcome(msg, reconnect) {
    if (reconnect && this.epoch != null) {
      this.resuming = true;
      this._buf = [];
      this._resumeWelcome = msg;
      clearTimeout(this._timer);
      this._timer = setTimeout(() => this._timedOut(), this._resumeTimeoutMs);
      return { type: 'resume', last_seq: this.lastSeq, epoch: this.epoch };
    }
    this.lastSeq = typeof msg.seq === 'number' ? msg.seq : 0;
    this.epoch = msg.epoch || null;
    return null;
  }

  /** A sequenced room message from a frame or a batch. */
  room(msg) {
    if (this.resuming) this._buf.push(msg);
    else this._deliverNew(msg);
  }

  /** A batch accounts for seqs up to `to` (messages sampled out or dropped are simply absent). */
  batchTo(to) {
    if (typeof to !== 'number') return;
    if (this.resuming) {
      this._resumeTo = Math.max(this._resumeTo || 0, to);
      return;
    }
    if (to > this.lastSeq) this.lastSeq = to;
    if (this._echoed.size > 100) {
      for (const s of this._echoed) if (s <= this.lastSeq) this._echoed.delete(s); // can never come again
    }
  }

  /** The echo of our own action (ack.msg). */
  echo(m) {
    if (!m || typeof m !== 'object') return;
    if (m.seq == null) {
      // A comment moderation kept from the room: acked with its echo but no seq, so that its author
      // sees it as sent. It never comes in a batch, so there is nothing to dedupe.
      if (m.type !== 'comment' || (m.cid != null && this._echoedCids.has(m.cid))) return; // a retry's ack
      if (m.cid != null) {
        this._echoedCids.add(m.cid);
        if (this._echoedCids.size > 500) this._echoedCids.delete(this._echoedCids.values().next().value);
      }
      this._deliver(m);
      return;
    }
    if (typeof m.seq !== 'number' || m.seq <= this.lastSeq || this._echoed.has(m.seq)) return;
    this._echoed.add(m.seq);
    this._deliver(m);
  }

  /** `resumed`: the gap is in; deliver what was held. */
  resumed(msg) {
    const to = this._resumeTo || 0;
    this.drain(this.endResume());
    this.lastSeq = Math.max(this.lastSeq, to, typeof msg.to === 'number' ? msg.to : 0);
  }

  /**
   * `resync`: the gap cannot be filled; continue from the server's seq / epoch. Returns the held
   * messages: the caller replaces its room state first, then passes them to drain().
   */
  resync(msg) {
    const buf = this.endResume();
    if (typeof msg.seq === 'number') this.lastSeq = msg.seq;
    if (msg.epoch) this.epoch = msg.epoch;
    return buf;
  }

  /** Stop holding (connection lost or resume over); returns what was held. */
  endResume() {
    clearTimeout(this._timer);
    this._timer = null;
    const buf = this._buf;
    this.resuming = false;
    this._buf = [];
    this._resumeTo = 0;
    this._resumeWelcome = null;
    return buf;
  }

  drain(buf) {
    buf.sort((a, b) => a.seq - b.seq);
    for (const m of buf) this._deliverNew(m);
  }

  _deliverNew(msg) {
    if (msg.seq <= this.lastSeq) return; // duplicate
    this.lastSeq = msg.seq;
    if (this._echoed.delete(msg.seq)) return; // shown from the ack already
    this._deliver(msg);
  }

  _timedOut() {
    if (!this.resuming) return;
    const w = this._resumeWelcome;
    const buf = this.endResume();
    if (w) {
      if (w.epoch !== this.epoch) this.lastSeq = typeof w.seq === 'number' ? w.seq : this.lastSeq;
      else if (typeof w.seq === 'number') this.lastSeq = Math.max(this.lastSeq, w.seq);
      this.epoch = w.epoch || this.epoch;
    }
    this.drain(buf);
    this._onResumeTimeout({ seq: this.lastSeq, epoch: this.epoch });
  }
}
