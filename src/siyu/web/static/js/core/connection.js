/**
 * @module core/connection
 * The WebSocket itself: find the gateway (`GET /api/gateway`), open the socket, reconnect with
 * capped exponential back-off after an unexpected close, give up on close codes the catalogue marks
 * fatal, ping every 20 s and drop a socket that has been silent for 2.5 ping intervals.
 *
 * It knows nothing of messages: frames go to `hooks.frame(data)`, and the room client decides what
 * they mean.
 */

import { backoffDelay } from './backoff.js';

export class Connection {
  /**
   * @param {object} opts
   *   roomId, token              required
   *   gatewayUrl                 default '/api/gateway'
   *   wsUrl                      full WebSocket URL (skips the gateway lookup)
   *   pingIntervalMs             default 20000
   *   minDelayMs / maxDelayMs    reconnect back-off bounds, default 500 / 10000
   * @param {object} hooks
   *   status(status, detail)     'connecting' | 'reconnecting' | 'closed'
   *   open()                     the socket is up (the welcome follows)
   *   frame(data)                one text frame
   *   lost(info)                 the socket is gone ({code, reason, wasClean})
   *   fatal(info, text)          gone for good: reconnecting cannot help
   *   reconnecting(info)         a retry is scheduled ({delay, attempt, code})
   *   fatalText(code)            the catalogue's text for a fatal close code, else null
   */
  constructor(opts, hooks) {
    this.roomId = opts.roomId;
    this.token = opts.token;
    this.gatewayUrl = opts.gatewayUrl || '/api/gateway';
    this.wsUrlOverride = opts.wsUrl || null;
    this.pingIntervalMs = opts.pingIntervalMs || 20000;
    this.minDelayMs = opts.minDelayMs || 500;
    this.maxDelayMs = opts.maxDelayMs || 10000;
    this._hooks = hooks;
    this._ws = null;
    this._gateway = null;
    this._attempt = 0;
    this._reconnectTimer = null;
    this._pingTimer = null;
    this._lastRx = 0;
    this._welcomedAt = 0;
    this.everWelcomed = false;
    this.stopped = false;
    this._onOnline = () => {
      if (this._reconnectTimer) {
        clearTimeout(this._reconnectTimer);
        this._reconnectTimer = null;
        this._open();
      }
    };
  }

  /** Open (no-op while a socket or a retry is already under way). */
  start() {
    if (this._ws || this._reconnectTimer) return;
    this.stopped = false;
    window.addEventListener('online', this._onOnline);
    this._open();
  }

  /** Close on purpose: no reconnect. */
  stop() {
    this.stopped = true;
    window.removeEventListener('online', this._onOnline);
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = null;
    this._stopPing();
    const ws = this._detach();
    if (ws) {
      try {
        ws.close(1000, 'bye');
      } catch (_e) {
        /* already closing */
      }
    }
  }

  /** The socket is open (whether or not welcomed). */
  get isOpen() {
    return !!this._ws && this._ws.readyState === WebSocket.OPEN;
  }

  /** Send one frame now; false when the socket is not open. */
  sendRaw(obj) {
    if (!this.isOpen) return false;
    try {
      this._ws.send(JSON.stringify(obj));
      return true;
    } catch (_e) {
      return false;
    }
  }

  /** A welcome arrived: returns whether this is a reconnect; the ping loop starts with startPing(). */
  welcomed() {
    const reconnect = this.everWelcomed;
    this._welcomedAt = Date.now();
    this.everWelcomed = true;
    return reconnect;
  }

  startPing() {
    this._stopPing();
    this._ping();
    this._pingTimer = setInterval(() => {
      if (Date.now() - this._lastRx > this.pingIntervalMs * 2.5) this._dropStale();
      else this._ping();
    }, this.pingIntervalMs);
  }

  _ping() {
    return this.sendRaw({ type: 'ping', t: Date.now() });
  }

  _stopPing() {
    clearInterval(this._pingTimer);
    this._pingTimer = null;
  }

  async _resolveUrl() {
    if (this.wsUrlOverride) return this.wsUrlOverride;
    try {
      const resp = await fetch(this.gatewayUrl, { cache: 'no-store' });
      const gw = resp.ok ? await resp.json() : null;
      if (gw && gw.ws_port) this._gateway = gw;
    } catch (_e) {
      /* use the last answer, if any */
    }
    const gw = this._gateway;
    if (!gw) throw new Error('gateway unavailable');
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    const path = String(gw.ws_path || '/ws/rooms/{room_id}').replace('{room_id}', encodeURIComponent(this.roomId));
    return scheme + '://' + window.location.hostname + ':' + gw.ws_port + path + '?token=' + encodeURIComponent(this.token);
  }

  async _open() {
    if (this.stopped) return;
    this._hooks.status(this.everWelcomed || this._attempt > 0 ? 'reconnecting' : 'connecting', { attempt: this._attempt });
    let url;
    try {
      url = await this._resolveUrl();
    } catch (_e) {
      this._lost({ code: 0, reason: 'gateway' });
      return;
    }
    if (this.stopped || this._ws) return;
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (_e) {
      this._lost({ code: 0, reason: 'constructor' });
      return;
    }
    this._ws = ws;
    ws.onopen = () => {
      if (ws !== this._ws) return;
      this._lastRx = Date.now();
      this._hooks.open();
    };
    ws.onmessage = (ev) => {
      if (ws !== this._ws) return;
      this._lastRx = Date.now();
      this._hooks.frame(ev.data);
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

  _detach() {
    const ws = this._ws;
    this._ws = null;
    if (ws) ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
    return ws;
  }

  /** The socket is gone (or never came up): give up, or reconnect after a back-off delay. */
  _lost(info) {
    this._stopPing();
    this._hooks.lost(info);
    if (this.stopped) {
      this._hooks.status('closed', info);
      return;
    }
    const text = this._hooks.fatalText(info.code);
    if (text) {
      this.stopped = true;
      window.removeEventListener('online', this._onOnline);
      this._hooks.fatal(info, text);
      return;
    }
    // A connection that stayed up a while starts the back-off from scratch.
    if (this._welcomedAt && Date.now() - this._welcomedAt > 5000) this._attempt = 0;
    this._welcomedAt = 0;
    if (info.code === 4008) this._attempt = Math.max(this._attempt, 3); // flooding: slow down
    const delay = backoffDelay(this._attempt, this.minDelayMs, this.maxDelayMs);
    this._attempt += 1;
    this._hooks.status('reconnecting', Object.assign({ delay, attempt: this._attempt }, info));
    this._hooks.reconnecting({ delay, attempt: this._attempt, code: info.code });
    clearTimeout(this._reconnectTimer);
    this._reconnectTimer = setTimeout(() => {
      this._reconnectTimer = null;
      this._open();
    }, delay);
  }

  /** Drop a socket that stopped talking and reconnect. */
  _dropStale() {
    const ws = this._detach();
    if (!ws) return;
    try {
      ws.close();
    } catch (_e) {
      /* ignore */
    }
    this._lost({ code: 1006, reason: 'stale' });
  }
}
