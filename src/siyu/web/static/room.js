/*
 * siyu room client (protocol v1), shared by the viewer page and the host console.
 *
 * Plain ES2020, no build step, no dependencies. Loaded as a classic script; exposes
 * `window.SiyuRoom` (the client class) and `window.SiyuUI` (small DOM helpers).
 *
 *   const room = SiyuRoom.fromLocation();          // room id = last path segment, token from #token= / ?token=
 *   room.on('welcome', (msg, info) => ...);        // info.reconnect is true after a reconnect
 *   room.on('comment', (msg) => ...);              // room messages are deduped by seq
 *   room.on('status', (status, detail) => ...);    // connecting | open | reconnecting | closed
 *   room.connect();
 *   const ack = await room.comment('有M码吗？');      // {ok: true, seq} | {ok: false, error: {code, message}}
 *
 * Security note: every helper here that puts text into the page uses text nodes; nothing ever
 * assigns user data to innerHTML.
 */
(function (global) {
  'use strict';

  const PROTOCOL = 1;

  // Close codes after which reconnecting cannot help (the page shows the message instead).
  const FATAL_CLOSE = {
    4001: '登录凭证无效，请重新获取直播间链接',
    4002: '登录凭证已过期，请重新获取直播间链接',
    4003: '登录凭证不属于这个直播间',
    4004: '直播间不存在',
    4005: '客户端版本过旧，请刷新页面后重试',
    4006: '连接请求无效',
    4010: '你已被移出直播间',
  };

  const STATUS_TEXT = {
    idle: '未连接',
    connecting: '连接中',
    open: '已连接',
    reconnecting: '重连中',
    closed: '已断开',
  };

  // Messages that carry a per-room `seq` and are subject to dedupe / resume. The same types may also
  // come without a seq (a personal `assistant` answer, a staff-only `moderation` notice, a `stock`
  // update): those are delivered as they arrive.
  const ROOM_TYPES = new Set([
    'comment', 'reply', 'gift', 'follow', 'pin', 'live', 'assistant', 'host_status', 'moderation', 'stock',
  ]);

  // Error codes whose server `message` is already meant for the user (Chinese, with details such as
  // how long a mute lasts): show it instead of the generic text below.
  const SERVER_TEXT_CODES = new Set(['muted', 'banned']);

  const ERROR_TEXT = {
    rate_limited: '发送太快了，请稍后再试',
    comment_too_long: '评论太长了',
    empty_comment: '评论不能为空',
    forbidden_role: '没有权限执行这个操作',
    unknown_gift: '没有这个礼物',
    unknown_product: '没有这个商品',
    unknown_comment: '找不到要回复的评论（可能太久以前了）',
    store_unavailable: '服务繁忙，请稍后重试',
    frame_too_large: '消息太长了',
    bad_message: '消息格式有误',
    bad_json: '消息格式有误',
    unknown_type: '不支持的操作',
    binary_unsupported: '不支持的消息格式',
    muted: '你已被禁言，暂时不能发言',
    banned: '你已被移出直播间',
    unknown_user: '找不到这个用户',
    internal: '服务器开小差了，请稍后重试',
    timeout: '网络超时，请重试',
    not_connected: '网络未连接，请稍后重试',
  };

  const GIFTS = [
    { id: 'heart', name: '小心心', coins: 1, icon: '💗' },
    { id: 'lightstick', name: '荧光棒', coins: 10, icon: '🪄' },
    { id: 'rose', name: '玫瑰', coins: 20, icon: '🌹' },
    { id: 'sportscar', name: '跑车', coins: 1200, icon: '🏎️' },
    { id: 'rocket', name: '火箭', coins: 5000, icon: '🚀' },
    { id: 'carnival', name: '嘉年华', coins: 30000, icon: '🎡' },
  ];
  const GIFT_BY_ID = Object.fromEntries(GIFTS.map((g) => [g.id, g]));

  const MAX_FRAME_BYTES = 4096;

  function utf8Length(str) {
    if (typeof TextEncoder !== 'undefined') return new TextEncoder().encode(str).length;
    return unescape(encodeURIComponent(str)).length;
  }

  function randomTag() {
    try {
      const a = new Uint32Array(1);
      global.crypto.getRandomValues(a);
      return a[0].toString(36);
    } catch (_e) {
      return Math.floor(Math.random() * 0xffffffff).toString(36);
    }
  }

  /** Room id (last non-empty path segment) and token (#token=... preferred, then ?token=...). */
  function parseLocation(loc) {
    loc = loc || global.location;
    const parts = loc.pathname.split('/').filter(Boolean);
    let roomId = parts.length ? parts[parts.length - 1] : '';
    try {
      roomId = decodeURIComponent(roomId);
    } catch (_e) {
      /* keep the raw segment */
    }
    let token = '';
    const hash = (loc.hash || '').replace(/^#/, '');
    if (hash) {
      token = new URLSearchParams(hash).get('token') || '';
    }
    if (!token) {
      token = new URLSearchParams(loc.search || '').get('token') || '';
    }
    return { roomId, token: token.trim() };
  }

  function errorText(err) {
    if (!err) return '操作失败';
    const code = typeof err === 'string' ? err : err.code;
    if (code && SERVER_TEXT_CODES.has(code) && typeof err === 'object' && err.message) return String(err.message);
    if (code && ERROR_TEXT[code]) return ERROR_TEXT[code];
    if (typeof err === 'object' && err.message) return String(err.message);
    return '操作失败' + (code ? '（' + code + '）' : '');
  }

  class SiyuRoom {
    /**
     * @param {object} opts
     *   roomId, token            required
     *   gatewayUrl               default '/api/gateway'
     *   wsUrl                    full WebSocket URL override (skips the gateway lookup)
     *   pingIntervalMs           default 20000
     *   minDelayMs / maxDelayMs  reconnect back-off bounds, default 500 / 10000
     *   ackTimeoutMs             default 20000
     *   likeIntervalMs           default 500 (at most one like frame per interval)
     */
    constructor(opts) {
      opts = opts || {};
      this.roomId = String(opts.roomId || '');
      this.token = String(opts.token || '');
      this.gatewayUrl = opts.gatewayUrl || '/api/gateway';
      this.wsUrlOverride = opts.wsUrl || null;
      this.pingIntervalMs = opts.pingIntervalMs || 20000;
      this.minDelayMs = opts.minDelayMs || 500;
      this.maxDelayMs = opts.maxDelayMs || 10000;
      this.ackTimeoutMs = opts.ackTimeoutMs || 20000;
      this.likeIntervalMs = opts.likeIntervalMs || 500;
      this.debug = !!opts.debug;

      this.status = 'idle';
      this.lastSeq = 0;
      this._echoed = new Set();
      this._echoedCids = new Set(); // cids of seq-less echoes shown (a retried cid gets the same ack)
      this.epoch = null;
      this.me = null;
      this.room = null;
      this.state = null;
      this.welcome = null;
      this.rtt = null;
      this.fatal = null;

      this._handlers = new Map();
      this._ws = null;
      this._attempt = 0;
      this._reconnectTimer = null;
      this._pingTimer = null;
      this._stopped = false;
      this._everWelcomed = false;
      this._welcomedAt = 0;
      this._lastRx = 0;
      this._gateway = null;

      this._cidTag = randomTag();
      this._cidN = 0;
      this._pending = new Map();

      this._resuming = false;
      this._resumeBuf = [];
      this._resumeTo = 0;
      this._resumeTimer = null;
      this._resumeWelcome = null;

      this._likeAcc = 0;
      this._likeLast = 0;
      this._likeTimer = null;

      this._onOnline = () => {
        if (this.status === 'reconnecting' && this._reconnectTimer) {
          clearTimeout(this._reconnectTimer);
          this._reconnectTimer = null;
          this._open();
        }
      };
    }

    static fromLocation(opts) {
      const loc = parseLocation();
      return new SiyuRoom(Object.assign({}, loc, opts || {}));
    }

    // --- events ------------------------------------------------------------------------------

    /** Subscribe to a message type ('comment', 'state', ...) or a client event; returns an unsubscribe. */
    on(type, fn) {
      if (!this._handlers.has(type)) this._handlers.set(type, new Set());
      this._handlers.get(type).add(fn);
      return () => this.off(type, fn);
    }

    off(type, fn) {
      const set = this._handlers.get(type);
      if (set) set.delete(fn);
    }

    _emit(type, ...args) {
      const set = this._handlers.get(type);
      if (!set) return;
      for (const fn of Array.from(set)) {
        try {
          fn(...args);
        } catch (e) {
          console.error('[siyu] handler for "' + type + '" failed', e);
        }
      }
    }

    _log(...args) {
      if (this.debug) console.debug('[siyu]', ...args);
    }

    _setStatus(status, detail) {
      const changed = status !== this.status;
      this.status = status;
      if (changed || detail) this._emit('status', status, detail || {});
    }

    get connected() {
      return this.status === 'open' && !!this._ws && this._ws.readyState === 1;
    }

    // --- connection life cycle -----------------------------------------------------------------

    connect() {
      if (!this.roomId || !this.token) {
        const message = !this.token ? '缺少登录凭证（token），请使用完整的直播间链接' : '缺少直播间编号';
        this.fatal = { code: 0, message };
        this._stopped = true;
        this._setStatus('closed', { fatal: true, message });
        this._emit('fatal', this.fatal);
        return this;
      }
      if (this._ws || this._reconnectTimer) return this; // already running
      this._stopped = false;
      if (global.addEventListener) global.addEventListener('online', this._onOnline);
      this._open();
      return this;
    }

    /** Close on purpose: no reconnect; pending requests fail with not_connected. */
    close() {
      this._stopped = true;
      if (global.removeEventListener) global.removeEventListener('online', this._onOnline);
      clearTimeout(this._reconnectTimer);
      this._reconnectTimer = null;
      this._stopPing();
      this._endResume();
      const ws = this._ws;
      this._ws = null;
      if (ws) {
        ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
        try {
          ws.close(1000, 'bye');
        } catch (_e) {
          /* already closing */
        }
      }
      this._failPending('not_connected');
      this._setStatus('closed', { byClient: true });
    }

    async _resolveUrl() {
      if (this.wsUrlOverride) return this.wsUrlOverride;
      let gw = null;
      try {
        const resp = await fetch(this.gatewayUrl, { cache: 'no-store' });
        if (resp.ok) gw = await resp.json();
      } catch (e) {
        this._log('gateway lookup failed', e);
      }
      if (gw && gw.ws_port) this._gateway = gw;
      gw = this._gateway;
      if (!gw) throw new Error('gateway unavailable');
      if (gw.protocol && gw.protocol !== PROTOCOL) {
        console.warn('[siyu] server speaks protocol', gw.protocol, 'this page speaks', PROTOCOL);
      }
      const scheme = global.location.protocol === 'https:' ? 'wss' : 'ws';
      const path = String(gw.ws_path || '/ws/rooms/{room_id}').replace(
        '{room_id}',
        encodeURIComponent(this.roomId)
      );
      return (
        scheme + '://' + global.location.hostname + ':' + gw.ws_port + path +
        '?token=' + encodeURIComponent(this.token)
      );
    }

    async _open() {
      if (this._stopped) return;
      this._setStatus(this._everWelcomed || this._attempt > 0 ? 'reconnecting' : 'connecting', {
        attempt: this._attempt,
      });
      let url;
      try {
        url = await this._resolveUrl();
      } catch (_e) {
        this._lost({ code: 0, reason: 'gateway' });
        return;
      }
      if (this._stopped || this._ws) return;
      let ws;
      try {
        ws = new WebSocket(url);
      } catch (e) {
        this._log('WebSocket constructor failed', e);
        this._lost({ code: 0, reason: 'constructor' });
        return;
      }
      this._ws = ws;
      ws.onopen = () => {
        if (ws !== this._ws) return;
        this._lastRx = Date.now();
        this._emit('open');
      };
      ws.onmessage = (ev) => {
        if (ws !== this._ws) return;
        this._onFrame(ev.data);
      };
      ws.onerror = () => {
        /* a close event always follows */
      };
      ws.onclose = (ev) => {
        if (ws !== this._ws) return;
        this._ws = null;
        this._lost({ code: ev.code, reason: ev.reason, wasClean: ev.wasClean });
      };
    }

    /** The socket is gone (or never came up): decide between giving up and reconnecting. */
    _lost(info) {
      this._stopPing();
      this._endResume();
      this._emit('close', info);
      if (this._stopped) {
        this._setStatus('closed', info);
        return;
      }
      const fatalText = FATAL_CLOSE[info.code];
      if (fatalText) {
        this._stopped = true;
        this.fatal = { code: info.code, message: fatalText, reason: info.reason || '' };
        this._failPending('not_connected');
        this._setStatus('closed', Object.assign({ fatal: true, message: fatalText }, info));
        this._emit('fatal', this.fatal);
        return;
      }
      // A connection that stayed up a while starts the back-off from scratch.
      if (this._welcomedAt && Date.now() - this._welcomedAt > 5000) this._attempt = 0;
      this._welcomedAt = 0;
      if (info.code === 4008) this._attempt = Math.max(this._attempt, 3); // flooding: slow down
      const base = Math.min(this.maxDelayMs, this.minDelayMs * Math.pow(2, this._attempt));
      const delay = Math.round(
        Math.max(this.minDelayMs, Math.min(this.maxDelayMs, base * (0.8 + Math.random() * 0.4)))
      );
      this._attempt += 1;
      this._setStatus('reconnecting', Object.assign({ delay, attempt: this._attempt }, info));
      this._emit('reconnecting', { delay, attempt: this._attempt, code: info.code });
      clearTimeout(this._reconnectTimer);
      this._reconnectTimer = setTimeout(() => {
        this._reconnectTimer = null;
        this._open();
      }, delay);
    }

    /** Drop a socket that stopped talking (no frames for too long) and reconnect. */
    _dropStale() {
      const ws = this._ws;
      if (!ws) return;
      this._ws = null;
      ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
      try {
        ws.close();
      } catch (_e) {
        /* ignore */
      }
      this._lost({ code: 1006, reason: 'stale' });
    }

    _startPing() {
      this._stopPing();
      this.ping();
      this._pingTimer = setInterval(() => {
        if (Date.now() - this._lastRx > this.pingIntervalMs * 2.5) {
          this._dropStale();
          return;
        }
        this.ping();
      }, this.pingIntervalMs);
    }

    _stopPing() {
      clearInterval(this._pingTimer);
      this._pingTimer = null;
    }

    // --- inbound -------------------------------------------------------------------------------

    _onFrame(data) {
      this._lastRx = Date.now();
      if (typeof data !== 'string') return;
      let msg;
      try {
        msg = JSON.parse(data);
      } catch (_e) {
        this._log('non-JSON frame', data);
        return;
      }
      if (!msg || typeof msg !== 'object') return;
      switch (msg.type) {
        case 'welcome':
          this._onWelcome(msg);
          return;
        case 'ack':
          this._onAck(msg);
          return;
        case 'batch':
          this._onBatch(msg);
          return;
        case 'pong':
          if (typeof msg.t === 'number') this.rtt = Math.max(0, Date.now() - msg.t);
          this._emit('pong', msg, this.rtt);
          return;
        case 'resumed':
          this._onResumed(msg);
          return;
        case 'resync':
          this._onResync(msg);
          return;
        case 'state':
          this.state = Object.assign({}, this.state || {}, msg);
          break;
        default:
          break;
      }
      if (ROOM_TYPES.has(msg.type) && typeof msg.seq === 'number') {
        if (this._resuming) {
          this._resumeBuf.push(msg);
          return;
        }
        this._deliverRoom(msg);
        return;
      }
      this._emit(msg.type, msg);
      this._emit('message', msg);
    }

    /** Room traffic arrives in batches; `from`..`to` is the seq range a batch accounts for (messages
     *  sampled out or dropped for a slow link are simply absent). */
    _onBatch(batch) {
      const msgs = Array.isArray(batch.msgs) ? batch.msgs : [];
      for (const m of msgs) {
        if (!m || typeof m !== 'object') continue;
        if (ROOM_TYPES.has(m.type) && typeof m.seq === 'number') {
          if (this._resuming) this._resumeBuf.push(m);
          else this._deliverRoom(m);
        } else {
          if (m.type === 'state') this.state = Object.assign({}, this.state || {}, m);
          this._emit(m.type, m);
          this._emit('message', m);
        }
      }
      if (typeof batch.to === 'number') {
        if (this._resuming) this._resumeTo = Math.max(this._resumeTo || 0, batch.to);
        else if (batch.to > this.lastSeq) this.lastSeq = batch.to;
      }
    }

    /** The ack of our own action carries the room message it made: show it at once, and skip it when
     *  it comes again in a batch. It does not move lastSeq (earlier seqs may still be in flight). */
    _onEcho(m) {
      if (!m || typeof m !== 'object') return;
      if (m.seq == null) {
        // A comment moderation kept from the room: acked with its echo but no seq, so that its author
        // sees it as sent. It never comes in a batch, so there is nothing to dedupe.
        if (m.type !== 'comment' || (m.cid != null && this._echoedCids.has(m.cid))) return; // a retry's ack
        if (m.cid != null) {
          this._echoedCids.add(m.cid);
          if (this._echoedCids.size > 500) this._echoedCids.delete(this._echoedCids.values().next().value);
        }
        this._emitRoom(m);
        return;
      }
      if (typeof m.seq !== 'number' || m.seq <= this.lastSeq || this._echoed.has(m.seq)) return;
      this._echoed.add(m.seq);
      this._emitRoom(m);
    }

    _deliverRoom(msg) {
      if (msg.seq <= this.lastSeq) {
        this._log('duplicate room message', msg.seq);
        return;
      }
      this.lastSeq = msg.seq;
      if (this._echoed.delete(msg.seq)) return;
      this._emitRoom(msg);
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
      this._emit(msg.type, msg);
      this._emit('room', msg);
      this._emit('message', msg);
    }

    _onWelcome(msg) {
      const reconnect = this._everWelcomed;
      this.welcome = msg;
      this.me = msg.you || null;
      this.room = msg.room || null;
      this.state = msg.state ? Object.assign({}, msg.state) : this.state;
      this._welcomedAt = Date.now();
      if (reconnect && this.epoch != null) {
        // Ask for what we missed; hold room messages until the gap (or a resync) is in.
        this._resuming = true;
        this._resumeBuf = [];
        this._resumeWelcome = msg;
        this._sendRaw({ type: 'resume', last_seq: this.lastSeq, epoch: this.epoch });
        clearTimeout(this._resumeTimer);
        this._resumeTimer = setTimeout(() => this._resumeTimedOut(), 8000);
      } else {
        this.lastSeq = typeof msg.seq === 'number' ? msg.seq : 0;
        this.epoch = msg.epoch || null;
      }
      this._everWelcomed = true;
      this._setStatus('open', { reconnect });
      this._emit('welcome', msg, { reconnect });
      if (msg.state) this._emit('state', this.state, { from: 'welcome' });
      this._startPing();
      this._resendPending();
      this._flushLikes();
    }

    _endResume() {
      clearTimeout(this._resumeTimer);
      this._resumeTimer = null;
      const buf = this._resumeBuf;
      this._resuming = false;
      this._resumeBuf = [];
      this._resumeTo = 0;
      this._resumeWelcome = null;
      return buf;
    }

    _drain(buf) {
      buf.sort((a, b) => a.seq - b.seq);
      for (const m of buf) this._deliverRoom(m);
    }

    _onResumed(msg) {
      const to = this._resumeTo || 0;
      const buf = this._endResume();
      this._drain(buf);
      this.lastSeq = Math.max(this.lastSeq, to, typeof msg.to === 'number' ? msg.to : 0);
      this._emit('resumed', msg);
    }

    _onResync(msg) {
      const buf = this._endResume();
      if (typeof msg.seq === 'number') this.lastSeq = msg.seq;
      if (msg.epoch) this.epoch = msg.epoch;
      if (msg.state) this.state = Object.assign({}, msg.state);
      this._emit('resync', msg);
      if (msg.state) this._emit('state', this.state, { from: 'resync' });
      this._drain(buf);
    }

    _resumeTimedOut() {
      if (!this._resuming) return;
      const w = this._resumeWelcome;
      const buf = this._endResume();
      if (w) {
        if (w.epoch !== this.epoch) this.lastSeq = typeof w.seq === 'number' ? w.seq : this.lastSeq;
        else if (typeof w.seq === 'number') this.lastSeq = Math.max(this.lastSeq, w.seq);
        this.epoch = w.epoch || this.epoch;
      }
      this._drain(buf);
      this._emit('resync', { type: 'resync', seq: this.lastSeq, epoch: this.epoch, state: this.state, timeout: true });
    }

    _onAck(msg) {
      if (msg.msg && !msg.error) this._onEcho(msg.msg);
      const p = msg.cid != null ? this._pending.get(msg.cid) : null;
      if (p) {
        this._pending.delete(msg.cid);
        clearTimeout(p.timer);
        p.resolve(
          msg.error
            ? { ok: false, cid: msg.cid, error: msg.error }
            : { ok: true, cid: msg.cid, seq: typeof msg.seq === 'number' ? msg.seq : null }
        );
      }
      this._emit('ack', msg);
    }

    // --- outbound ------------------------------------------------------------------------------

    /** A fresh client id: unique per page load (a reused cid would be taken for a retry). */
    nextCid(prefix) {
      this._cidN += 1;
      return (prefix || 'c') + '-' + this._cidTag + '-' + this._cidN;
    }

    _sendRaw(obj) {
      const ws = this._ws;
      if (!ws || ws.readyState !== 1) return false;
      try {
        ws.send(JSON.stringify(obj));
        return true;
      } catch (e) {
        this._log('send failed', e);
        return false;
      }
    }

    /** Fire-and-forget; false when not connected (frames are not queued). */
    send(obj) {
      if (!this.connected) return false;
      return this._sendRaw(obj);
    }

    /**
     * Send a frame that carries a `cid` and resolve with its ack:
     * {ok: true, cid, seq} or {ok: false, cid, error: {code, message, ...}}. Never rejects.
     * While disconnected the frame waits and is (re)sent after the next welcome; the server
     * answers a retried cid with the first answer, so nothing is posted twice.
     */
    request(obj, opts) {
      const frame = Object.assign({}, obj);
      if (!frame.cid) frame.cid = this.nextCid((frame.type || 'x').charAt(0));
      const cid = frame.cid;
      if (this._stopped) {
        return Promise.resolve({ ok: false, cid, error: { code: 'not_connected', message: ERROR_TEXT.not_connected } });
      }
      // The server refuses frames above 4,096 bytes without an ack: answer those here.
      if (utf8Length(JSON.stringify(frame)) > MAX_FRAME_BYTES) {
        const code = frame.type === 'comment' || frame.type === 'reply' ? 'comment_too_long' : 'frame_too_large';
        return Promise.resolve({ ok: false, cid, error: { code, message: ERROR_TEXT[code], local: true } });
      }
      const timeoutMs = (opts && opts.timeoutMs) || this.ackTimeoutMs;
      return new Promise((resolve) => {
        const entry = { frame, resolve, timer: null };
        entry.timer = setTimeout(() => {
          if (this._pending.get(cid) === entry) {
            this._pending.delete(cid);
            resolve({ ok: false, cid, error: { code: 'timeout', message: ERROR_TEXT.timeout } });
          }
        }, timeoutMs);
        this._pending.set(cid, entry);
        if (this.connected) this._sendRaw(frame);
      });
    }

    _resendPending() {
      for (const entry of this._pending.values()) this._sendRaw(entry.frame);
    }

    _failPending(code) {
      const pending = Array.from(this._pending.values());
      this._pending.clear();
      for (const entry of pending) {
        clearTimeout(entry.timer);
        entry.resolve({ ok: false, cid: entry.frame.cid, error: { code, message: ERROR_TEXT[code] || code } });
      }
    }

    comment(text) {
      return this.request({ type: 'comment', text: String(text) }, null);
    }

    reply(toSeq, text) {
      return this.request({ type: 'reply', to_seq: Number(toSeq), text: String(text) }, null);
    }

    gift(giftId, count) {
      const n = Math.max(1, Math.min(99, Math.floor(Number(count) || 1)));
      return this.request({ type: 'gift', gift_id: String(giftId), count: n }, null);
    }

    follow() {
      return this.request({ type: 'follow' }, null);
    }

    /** Pin a product card by id, or unpin with null (host / assistant only). */
    pin(productId) {
      const id = productId == null || productId === '' ? null : String(productId);
      return this.request({ type: 'pin', product_id: id }, null);
    }

    /** Tell the room whether the host is on camera: 'live' | 'busy' | 'away' (staff only). */
    hostStatus(status) {
      return this.request({ type: 'host_status', status: String(status) }, null);
    }

    /**
     * Moderate a viewer (staff only). action: 'hide' | 'mute' | 'unmute' | 'ban' | 'unban'.
     * opts.commentSeq: the comment concerned (required for 'hide'); opts.minutes: mute length.
     */
    moderate(action, userId, opts) {
      opts = opts || {};
      const frame = { type: 'moderate', action: String(action), user_id: String(userId) };
      if (opts.commentSeq != null) frame.comment_seq = Number(opts.commentSeq);
      if (action === 'mute') frame.minutes = Math.max(1, Math.floor(Number(opts.minutes) || 10));
      return this.request(frame, null);
    }

    ping() {
      return this._sendRaw({ type: 'ping', t: Date.now() });
    }

    /** Count taps; at most one like frame per likeIntervalMs carries the accumulated count (1..100). */
    like(n) {
      const add = Math.max(1, Math.floor(Number(n) || 1));
      this._likeAcc = Math.min(this._likeAcc + add, 100000);
      this._scheduleLikes();
    }

    _scheduleLikes() {
      if (this._likeTimer || !this._likeAcc) return;
      const wait = Math.max(0, this._likeLast + this.likeIntervalMs - Date.now());
      this._likeTimer = setTimeout(() => {
        this._likeTimer = null;
        this._flushLikes();
      }, wait);
    }

    _flushLikes() {
      if (!this._likeAcc || this._likeTimer) return;
      if (!this.connected) return; // sent after the next welcome
      const now = Date.now();
      if (now - this._likeLast < this.likeIntervalMs) {
        this._scheduleLikes();
        return;
      }
      const count = Math.min(100, this._likeAcc);
      if (!this._sendRaw({ type: 'like', count })) return;
      this._likeAcc -= count;
      this._likeLast = now;
      this._emit('likesent', count);
      if (this._likeAcc) this._scheduleLikes();
    }
  }

  SiyuRoom.PROTOCOL = PROTOCOL;
  SiyuRoom.FATAL_CLOSE = FATAL_CLOSE;
  SiyuRoom.STATUS_TEXT = STATUS_TEXT;
  SiyuRoom.ERROR_TEXT = ERROR_TEXT;
  SiyuRoom.ROOM_TYPES = ROOM_TYPES;
  SiyuRoom.GIFTS = GIFTS;
  SiyuRoom.GIFT_BY_ID = GIFT_BY_ID;
  SiyuRoom.SERVER_TEXT_CODES = SERVER_TEXT_CODES;
  SiyuRoom.parseLocation = parseLocation;
  SiyuRoom.errorText = errorText;

  // --- DOM helpers shared by both pages (text only, never innerHTML) -------------------------

  /**
   * h('li', {class: 'msg', dataset: {seq: 3}, title: 'x'}, 'text', otherNode)
   * Strings and numbers become text nodes; null/false children are skipped.
   */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v == null || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'dataset') {
          for (const [dk, dv] of Object.entries(v)) if (dv != null) el.dataset[dk] = String(dv);
        } else if (k === 'text') el.textContent = String(v);
        else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
        else if (v === true) el.setAttribute(k, '');
        else el.setAttribute(k, String(v));
      }
    }
    for (const c of children) append(el, c);
    return el;
  }

  function append(el, c) {
    if (c == null || c === false) return;
    if (Array.isArray(c)) {
      for (const x of c) append(el, x);
    } else if (c instanceof Node) {
      el.appendChild(c);
    } else {
      el.appendChild(document.createTextNode(String(c)));
    }
  }

  function pad2(n) {
    return n < 10 ? '0' + n : String(n);
  }

  function fmtTime(ts) {
    const d = new Date(typeof ts === 'number' ? ts : Date.now());
    return pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + ':' + pad2(d.getSeconds());
  }

  function fmtCount(n) {
    n = Number(n) || 0;
    if (n >= 100000000) return (n / 100000000).toFixed(1).replace(/\.0$/, '') + '亿';
    if (n >= 10000) return (n / 10000).toFixed(1).replace(/\.0$/, '') + '万';
    return String(n);
  }

  function fmtPrice(p) {
    const n = Number(p);
    if (!isFinite(n)) return String(p);
    return Number.isInteger(n) ? String(n) : n.toFixed(2);
  }

  function roleLabel(role) {
    if (role === 'host') return '主播';
    if (role === 'assistant') return '场控';
    if (role === 'operator') return '运营';
    return '';
  }

  /** Level pill + nickname + role tag for a user ref {id, nick, lvl, role}. */
  function userBadge(user) {
    user = user || {};
    const frag = document.createDocumentFragment();
    const role = roleLabel(user.role);
    if (role) frag.appendChild(h('span', { class: 'role-tag role-' + user.role }, role));
    const lvl = Number(user.lvl) || 0;
    if (lvl > 0) {
      const tier = lvl >= 15 ? 'lv-high' : lvl >= 8 ? 'lv-mid' : 'lv-low';
      frag.appendChild(h('span', { class: 'lvl ' + tier }, 'Lv' + lvl));
    }
    frag.appendChild(h('span', { class: 'nick' }, user.nick || user.id || '神秘人'));
    return frag;
  }

  let toastTimer = null;
  /** Short message in #toast (created on demand). kind: 'error' | 'ok' | 'info'. */
  function toast(text, kind, ms) {
    let el = document.getElementById('toast');
    if (!el) {
      el = h('div', { id: 'toast', class: 'toast', role: 'status', 'aria-live': 'polite' });
      document.body.appendChild(el);
    }
    el.textContent = String(text);
    el.dataset.kind = kind || 'info';
    el.hidden = false;
    el.classList.remove('show');
    void el.offsetWidth; // restart the transition
    el.classList.add('show');
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => {
      el.classList.remove('show');
      toastTimer = setTimeout(() => {
        el.hidden = true;
      }, 300);
    }, ms || 2200);
  }

  /** Bind a status element (#conn-status) to the client's status. */
  function bindStatus(room, el) {
    if (!el) return;
    const render = (status, detail) => {
      el.dataset.state = status;
      let text = STATUS_TEXT[status] || status;
      if (status === 'closed' && detail && detail.fatal && detail.message) text = '已断开';
      el.textContent = text;
      el.title =
        status === 'reconnecting' && detail && detail.delay
          ? '第 ' + detail.attempt + ' 次重连，' + (detail.delay / 1000).toFixed(1) + ' 秒后重试'
          : '';
    };
    render(room.status, {});
    room.on('status', render);
    room.on('pong', (_m, rtt) => {
      if (room.status === 'open' && rtt != null) el.title = '延迟 ' + rtt + ' ms';
    });
  }

  /** Keep a scrolling list pinned to the bottom unless the reader scrolled up. */
  function stickyScroller(list, tip) {
    let stuck = true;
    const atBottom = () => list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.addEventListener('scroll', () => {
      stuck = atBottom();
      if (stuck && tip) tip.hidden = true;
    });
    if (tip) {
      tip.addEventListener('click', () => {
        list.scrollTop = list.scrollHeight;
        stuck = true;
        tip.hidden = true;
      });
    }
    return {
      /** Call after appending; scrolls if the reader was at the bottom. */
      update(force) {
        if (stuck || force) {
          list.scrollTop = list.scrollHeight;
          stuck = true;
        } else if (tip) {
          tip.hidden = false;
        }
      },
      get stuck() {
        return stuck;
      },
    };
  }

  /** Remove the oldest children until at most `max` remain. */
  function capChildren(list, max, fromTop) {
    while (list.children.length > max) {
      list.removeChild(fromTop === false ? list.lastElementChild : list.firstElementChild);
    }
  }

  /**
   * Fill `el` with a product card {id, link_no, name, short_name, price, live_price}, or hide it
   * when `card` is null. opts.buy adds a (demo) buy button.
   */
  function renderPinned(el, card, opts) {
    if (!el) return;
    if (!card) {
      el.hidden = true;
      el.replaceChildren();
      delete el.dataset.productId;
      return;
    }
    const linkNo = card.link_no != null ? card.link_no : '';
    el.replaceChildren(
      h(
        'div',
        { class: 'pin-thumb' },
        h('span', { class: 'pin-link' }, '讲解中'),
        h('span', { class: 'pin-thumb-no' }, String(linkNo) + '号')
      ),
      h(
        'div',
        { class: 'pin-info' },
        h('div', { class: 'pin-name', title: card.name || '' }, card.short_name || card.name || card.id),
        h(
          'div',
          { class: 'pin-prices' },
          h('span', { class: 'pin-live-price' }, '直播价 ¥', h('b', null, fmtPrice(card.live_price))),
          h('span', { class: 'pin-price' }, '原价 ', h('s', null, '¥' + fmtPrice(card.price)))
        ),
        h(
          'div',
          { class: 'pin-foot' },
          h('span', { class: 'pin-no' }, String(linkNo) + '号链接'),
          opts && opts.buy ? h('button', { class: 'pin-buy', type: 'button' }, '去抢购') : null
        )
      )
    );
    el.dataset.productId = card.id;
    el.hidden = false;
    if (opts && opts.stock) renderStock(el, opts.stock);
  }

  // --- assistant, host status, moderation, stock -------------------------------------------------

  const HOST_STATUS_TEXT = { live: '在播', busy: '忙碌', away: '离开 (AI陪播)' };

  /** "10分钟" / "2小时" / "3天" for a duration in milliseconds ('' when unknown). */
  function durationText(ms) {
    const min = Math.round(Number(ms) / 60000);
    if (!isFinite(min) || min <= 0) return '';
    if (min < 60) return min + '分钟';
    if (min < 24 * 60) return min % 60 === 0 ? min / 60 + '小时' : Math.floor(min / 60) + '小时' + (min % 60) + '分钟';
    const days = Math.round(min / (24 * 60));
    return days + '天';
  }

  /** How long a `moderation` mute lasts, from its `until` and `ts` (or now). */
  function muteLength(m) {
    if (!m || typeof m.until !== 'number') return '';
    const from = typeof m.ts === 'number' ? m.ts : Date.now();
    return durationText(m.until - from);
  }

  const MOD_ACTION_TEXT = { hide: '隐藏评论', mute: '禁言', unmute: '解除禁言', ban: '拉黑', unban: '解除拉黑' };

  /** One line for a `moderation` message: "小明 已被禁言10分钟". forStaff words a ban as 拉黑. */
  function moderationText(m, forStaff) {
    const t = (m && m.target) || {};
    const who = t.nick || t.id || '某位观众';
    switch (m && m.action) {
      case 'hide':
        return who + ' 的评论已被隐藏';
      case 'mute':
        return who + ' 已被禁言' + muteLength(m);
      case 'unmute':
        return who + ' 已解除禁言';
      case 'ban':
        return who + (forStaff ? ' 已被拉黑' : ' 已被移出直播间');
      case 'unban':
        return who + ' 已解除拉黑';
      default:
        return who + ' 已被处理';
    }
  }

  /** Who acted: a moderator's nick, or the automatic filter. */
  function moderatorName(by) {
    if (!by || by === 'auto' || by === 'system') return 'AI风控';
    return String(by);
  }

  /** The small "🤖 AI助理" badge of assistant messages. */
  function aiBadge(label) {
    return h('span', { class: 'ai-badge' }, h('span', { class: 'ai-icon', 'aria-hidden': 'true' }, '🤖'), label || 'AI助理');
  }

  /**
   * Latest stock counts seen in `stock` messages, per product: {product_id, color, size, count}.
   * notes(id) gives a few short lines ("碎花蓝 XL 已售罄", "碎花黑 M 仅剩3件") for the product card.
   */
  class StockBook {
    constructor(limit) {
      this.limit = limit || 3;
      this.byProduct = new Map();
    }

    update(m) {
      if (!m || m.product_id == null || typeof m.count !== 'number') return false;
      const id = String(m.product_id);
      let entries = this.byProduct.get(id);
      if (!entries) {
        entries = new Map();
        this.byProduct.set(id, entries);
      }
      const key = (m.color || '') + '/' + (m.size || '');
      entries.delete(key); // newest last
      entries.set(key, { color: m.color || '', size: m.size || '', count: Math.max(0, m.count) });
      while (entries.size > 20) entries.delete(entries.keys().next().value);
      return true;
    }

    notes(productId) {
      const entries = productId != null ? this.byProduct.get(String(productId)) : null;
      if (!entries) return [];
      const out = [];
      for (const e of Array.from(entries.values()).reverse()) {
        if (e.count > 10) continue; // only what is worth saying: sold out or nearly
        const what = [e.color, e.size].filter(Boolean).join(' ') || '该款';
        out.push({ text: what + (e.count === 0 ? ' 已售罄' : ' 仅剩' + e.count + '件'), soldOut: e.count === 0 });
        if (out.length >= this.limit) break;
      }
      return out;
    }
  }

  /** (Re)draw the stock line of the product card in `el` from a StockBook. */
  function renderStock(el, book) {
    if (!el || !book) return;
    const info = el.querySelector('.pin-info');
    const old = el.querySelector('.pin-stock');
    const notes = el.hidden ? [] : book.notes(el.dataset.productId);
    if (!notes.length) {
      if (old) old.remove();
      return;
    }
    const line = h(
      'div',
      { class: 'pin-stock', dataset: { productId: el.dataset.productId } },
      notes.map((n) => h('span', { class: 'stock-note' + (n.soldOut ? ' sold-out' : '') }, n.text))
    );
    if (old) old.replaceWith(line);
    else if (info) info.appendChild(line);
  }

  const SiyuUI = {
    renderPinned,
    renderStock,
    StockBook,
    HOST_STATUS_TEXT,
    MOD_ACTION_TEXT,
    durationText,
    muteLength,
    moderationText,
    moderatorName,
    aiBadge,
    h,
    fmtTime,
    fmtCount,
    fmtPrice,
    roleLabel,
    userBadge,
    toast,
    bindStatus,
    stickyScroller,
    capChildren,
    errorText,
  };

  global.SiyuRoom = SiyuRoom;
  global.SiyuUI = SiyuUI;
  if (typeof module !== 'undefined' && module.exports) module.exports = { SiyuRoom, SiyuUI };
})(typeof window !== 'undefined' ? window : globalThis);
