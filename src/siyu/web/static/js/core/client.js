/**
 * @module core/client
 * The room client (protocol v1), shared by the viewer page and the host console.
 *
 *   const room = new RoomClient({roomId, token, protocol});   // protocol: see core/protocol.js
 *   room.on('welcome', (msg, info) => ...);   // info.reconnect is true after a reconnect
 *   room.on('comment', (msg) => ...);         // sequenced room messages are deduped by seq
 *   room.on('status', (status, detail) => ...);  // connecting | open | reconnecting | closed
 *   room.connect();
 *   const ack = await room.comment('有M码吗？');  // {ok: true, seq} | {ok: false, error: {code, message}}
 *
 * Events: every server message type ('comment', 'state', 'questions', …), plus 'room' and 'message'
 * for each message, and the client's own 'status', 'open', 'close', 'reconnecting', 'fatal',
 * 'pong' (msg, rtt), 'resumed', 'resync', 'likesent'.
 */

import { Emitter } from './emitter.js';
import { Connection } from './connection.js';
import { Sequencer } from './sequencer.js';
import { Requests } from './requests.js';
import { LikeBatcher } from './likes.js';

export class RoomClient extends Emitter {
  /**
   * @param {object} opts roomId, token, protocol (a loaded Protocol) and, optionally, the
   *   Connection options (gatewayUrl, wsUrl, pingIntervalMs, minDelayMs, maxDelayMs),
   *   ackTimeoutMs (20000) and likeIntervalMs (500).
   */
  constructor(opts) {
    super();
    this.roomId = String(opts.roomId || '');
    this.token = String(opts.token || '');
    this.protocol = opts.protocol;
    this.status = 'idle';
    this.me = null;
    this.room = null;
    this.state = null;
    this.welcome = null;
    this.rtt = null;
    this.fatal = null;

    const io = {
      sendRaw: (frame) => this.conn.sendRaw(frame),
      isConnected: () => this.connected,
      isStopped: () => this.conn.stopped,
    };
    this.conn = new Connection(Object.assign({}, opts, { roomId: this.roomId, token: this.token }), {
      status: (status, detail) => this._setStatus(status, detail),
      open: () => this.emit('open'),
      frame: (data) => this._onFrame(data),
      lost: (info) => {
        this.seq.endResume();
        this.emit('close', info);
      },
      fatal: (info, text) => this._fail(Object.assign({ fatal: true, message: text }, info)),
      reconnecting: (info) => this.emit('reconnecting', info),
      fatalText: (code) => this.protocol.fatalClose(code),
    });
    this.seq = new Sequencer({
      deliver: (msg) => this._emitRoom(msg),
      onResumeTimeout: ({ seq, epoch }) =>
        this.emit('resync', { type: 'resync', seq, epoch, state: this.state, timeout: true }),
    });
    this.requests = new Requests(
      Object.assign(
        { text: (code) => this.protocol.errorText(code), timeoutMs: opts.ackTimeoutMs, maxFrameBytes: this.protocol.maxFrameBytes },
        io
      )
    );
    this.likes = new LikeBatcher(
      Object.assign({ onSent: (n) => this.emit('likesent', n), intervalMs: opts.likeIntervalMs }, io)
    );
  }

  get connected() {
    return this.status === 'open' && this.conn.isOpen;
  }

  _setStatus(status, detail) {
    const changed = status !== this.status;
    this.status = status;
    if (changed || detail) this.emit('status', status, detail || {});
  }

  /** Closed for good: `detail` = {fatal: true, message, code?, reason?}. */
  _fail(detail) {
    this.fatal = { code: detail.code || 0, message: detail.message, reason: detail.reason || '' };
    this.requests.failAll('not_connected');
    this._setStatus('closed', detail);
    this.emit('fatal', this.fatal);
  }

  // --- life cycle ------------------------------------------------------------------------------

  connect() {
    if (!this.roomId || !this.token) {
      this.conn.stopped = true;
      this._fail({ fatal: true, message: !this.token ? '缺少登录凭证（token），请使用完整的直播间链接' : '缺少直播间编号' });
      return this;
    }
    this.conn.start();
    return this;
  }

  /** Close on purpose: no reconnect; pending requests fail with not_connected. */
  close() {
    this.conn.stop();
    this.seq.endResume();
    this.requests.failAll('not_connected');
    this._setStatus('closed', { byClient: true });
  }

  // --- inbound ---------------------------------------------------------------------------------

  /** One text frame from the socket (tests feed frames here too). */
  _onFrame(data) {
    if (typeof data !== 'string') return;
    let msg;
    try {
      msg = JSON.parse(data);
    } catch (_e) {
      return;
    }
    if (!msg || typeof msg !== 'object') return;
    switch (msg.type) {
      case 'welcome':
        return this._onWelcome(msg);
      case 'ack':
        if (msg.msg && !msg.error) this.seq.echo(msg.msg);
        this.requests.ack(msg);
        this.emit('ack', msg);
        return;
      case 'batch':
        return this._onBatch(msg);
      case 'pong':
        if (typeof msg.t === 'number') this.rtt = Math.max(0, Date.now() - msg.t);
        this.emit('pong', msg, this.rtt);
        return;
      case 'resumed':
        this.seq.resumed(msg);
        this.emit('resumed', msg);
        return;
      case 'resync':
        return this._onResync(msg);
      default:
        this._onMessage(msg);
    }
  }

  /** A room message goes through the sequencer; anything else is emitted as it comes. */
  _onMessage(m) {
    if (this.protocol.isRoomMessage(m)) {
      this.seq.room(m);
      return;
    }
    if (m.type === 'state') this.state = Object.assign({}, this.state || {}, m);
    this.emit(m.type, m);
    this.emit('message', m);
  }

  /** Room traffic arrives in batches; `from`..`to` is the seq range a batch accounts for. */
  _onBatch(batch) {
    const msgs = Array.isArray(batch.msgs) ? batch.msgs : [];
    for (const m of msgs) if (m && typeof m === 'object') this._onMessage(m);
    this.seq.batchTo(batch.to);
  }

  _emitRoom(msg) {
    if (this.state) {
      if (msg.type === 'pin') this.state.pinned = msg.product || null;
      if (msg.type === 'live') {
        this.state.live = !!msg.live;
        this.state.session_id = msg.live ? msg.session_id || null : null;
        if (msg.live) this.state.likes = 0;
        if (msg.title) this.state.title = msg.title;
      }
    }
    this.emit(msg.type, msg);
    this.emit('room', msg);
    this.emit('message', msg);
  }

  _onWelcome(msg) {
    const reconnect = this.conn.welcomed();
    this.welcome = msg;
    this.me = msg.you || null;
    this.room = msg.room || null;
    this.state = msg.state ? Object.assign({}, msg.state) : this.state;
    const resume = this.seq.welcome(msg, reconnect);
    if (resume) this.conn.sendRaw(resume); // room messages are held until the gap (or a resync) is in
    this._setStatus('open', { reconnect });
    this.emit('welcome', msg, { reconnect });
    if (msg.state) this.emit('state', this.state, { from: 'welcome' });
    this.conn.startPing();
    this.requests.resendAll();
    this.likes.flush();
  }

  _onResync(msg) {
    const held = this.seq.resync(msg);
    if (msg.state) this.state = Object.assign({}, msg.state);
    this.emit('resync', msg);
    if (msg.state) this.emit('state', this.state, { from: 'resync' });
    this.seq.drain(held);
  }

  // --- outbound --------------------------------------------------------------------------------

  /** Fire-and-forget; false when not connected (frames are not queued). */
  send(obj) {
    return this.connected && this.conn.sendRaw(obj);
  }

  /** Send a frame with a cid and resolve with its ack (see core/requests.js). Never rejects. */
  request(obj, opts) {
    return this.requests.request(obj, opts);
  }

  comment(text) {
    return this.request({ type: 'comment', text: String(text) });
  }

  reply(toSeq, text) {
    return this.request({ type: 'reply', to_seq: Number(toSeq), text: String(text) });
  }

  gift(giftId, count) {
    const n = Math.max(1, Math.min(99, Math.floor(Number(count) || 1)));
    return this.request({ type: 'gift', gift_id: String(giftId), count: n });
  }

  follow() {
    return this.request({ type: 'follow' });
  }

  /** Pin a product card by id, or unpin with null (host / assistant only). */
  pin(productId) {
    const id = productId == null || productId === '' ? null : String(productId);
    return this.request({ type: 'pin', product_id: id });
  }

  /** A question needs no answer: it leaves the pending queue on every host console (staff only). */
  dismiss(seq) {
    return this.request({ type: 'dismiss', seq: Number(seq) });
  }

  /** Tell the room whether the host is on camera: 'live' | 'busy' | 'away' (staff only). */
  hostStatus(status) {
    return this.request({ type: 'host_status', status: String(status) });
  }

  /**
   * Moderate a viewer (staff only). action: 'hide' | 'mute' | 'unmute' | 'ban' | 'unban'.
   * opts.commentSeq: the comment concerned (required for 'hide'); opts.minutes: mute length.
   */
  moderate(action, userId, opts = {}) {
    const frame = { type: 'moderate', action: String(action), user_id: String(userId) };
    if (opts.commentSeq != null) frame.comment_seq = Number(opts.commentSeq);
    if (action === 'mute') frame.minutes = Math.max(1, Math.floor(Number(opts.minutes) || 10));
    return this.request(frame);
  }

  ping() {
    return this.conn.sendRaw({ type: 'ping', t: Date.now() });
  }

  /** Count like taps; they go out batched (core/likes.js). */
  like(n) {
    this.likes.like(n);
  }
}
