/**
 * @module core/protocol
 * The protocol catalogue the server publishes at `GET /api/protocol`: which message types are
 * sequenced room messages, the zh-CN text of each error code, which close codes are final, and the
 * gift list. The pages load it once, before connecting, and take all of that from here; only the
 * codes the client makes up itself (`timeout`, `not_connected`) have their text in this file.
 *
 *   const protocol = await loadProtocol();     // retries with back-off until the server answers
 *   protocol.isRoomMessage(msg)                // sequenced: dedupe / resume apply
 *   protocol.errorText(ack.error)              // what to show the user
 *   protocol.fatalClose(4001)                  // text when reconnecting cannot help, else null
 *   protocol.gifts, protocol.gift('rose')      // [{id, name, coins, icon}]
 */

import { backoffDelay, sleep } from './backoff.js';

/** The protocol version these pages speak. */
export const PROTOCOL = 1;

export const PROTOCOL_URL = '/api/protocol';

/** Errors the client raises on its own (never sent by the server). */
const CLIENT_ERRORS = {
  timeout: '网络超时，请重试',
  not_connected: '网络未连接，请稍后重试',
};

/** Refusals at connect time: an `error` frame whose close code follows (and says it). */
const CONNECT_REFUSALS = new Set(['room_not_found', 'unsupported_version', 'bad_request']);

export class Protocol {
  /** @param {object} doc the JSON of GET /api/protocol */
  constructor(doc) {
    this.version = doc.protocol;
    this.roomTypes = new Set(doc.room_types);
    this.clientTypes = new Set(Array.isArray(doc.client_types) ? doc.client_types : []);
    this.serverTextCodes = new Set(Array.isArray(doc.server_text_codes) ? doc.server_text_codes : []);
    /** @type {Map<string, string>} */
    this.errors = new Map(Object.entries(CLIENT_ERRORS));
    for (const [code, text] of Object.entries(doc.errors || {})) {
      if (typeof text === 'string' && text) this.errors.set(code, text);
    }
    /** @type {Map<number, {name: string, text: string, fatal: boolean}>} */
    this.closeCodes = new Map();
    for (const [code, c] of Object.entries(doc.close_codes || {})) {
      if (!c || typeof c !== 'object') continue;
      this.closeCodes.set(Number(code), { name: String(c.name || ''), text: String(c.text || ''), fatal: !!c.fatal });
    }
    /** @type {{id: string, name: string, coins: number, icon: string}[]} */
    this.gifts = (Array.isArray(doc.gifts) ? doc.gifts : [])
      .filter((g) => g && typeof g.id === 'string' && g.id)
      .map((g) => ({ id: g.id, name: String(g.name || g.id), coins: Number(g.coins) || 0, icon: String(g.icon || '🎁') }));
    this._giftById = new Map(this.gifts.map((g) => [g.id, g]));
    const limits = doc.limits || {};
    /** The server's frame limit (bytes): a bigger frame is refused here, with the code the server would give. */
    this.maxFrameBytes = Number(limits.max_frame_bytes) || 4096;
    /** Characters allowed in a comment or reply. */
    this.maxCommentChars = Number(limits.max_comment_chars) || 200;
  }

  /** A sequenced room message: one of `room_types` that carries a numeric `seq`. */
  isRoomMessage(msg) {
    return !!msg && this.roomTypes.has(msg.type) && typeof msg.seq === 'number';
  }

  /** The catalogue entry of a gift id ({} when unknown). */
  gift(id) {
    return this._giftById.get(id) || {};
  }

  /** The user text for a close code after which reconnecting cannot help, else null. */
  fatalClose(code) {
    const c = this.closeCodes.get(code);
    return c && c.fatal ? c.text || '连接已断开' : null;
  }

  /** An `error` frame code sent at connect time, just before a close code that says the same. */
  isConnectRefusal(code) {
    code = String(code || '');
    return code.startsWith('auth.') || CONNECT_REFUSALS.has(code);
  }

  /** The server's own `message` is meant for the user for these codes (e.g. how long a mute lasts). */
  showsServerText(code) {
    return this.serverTextCodes.has(code);
  }

  /** What to tell the user about an error ({code, message} or a bare code). */
  errorText(err) {
    if (!err) return '操作失败';
    const code = typeof err === 'string' ? err : err.code;
    const message = typeof err === 'object' && err.message ? String(err.message) : '';
    if (code && message && this.serverTextCodes.has(code)) return message;
    if (code && this.errors.has(code)) return this.errors.get(code);
    if (message) return message;
    return '操作失败' + (code ? '（' + code + '）' : '');
  }
}

function checkDocument(doc) {
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.room_types) || typeof doc.errors !== 'object') {
    throw new Error('not a protocol catalogue');
  }
  if (doc.protocol !== PROTOCOL) {
    console.warn('[siyu] server speaks protocol', doc.protocol, 'this page speaks', PROTOCOL);
  }
  return doc;
}

/**
 * Fetch the catalogue once; while the server cannot answer, retry with back-off (0.5 s doubling to
 * 10 s) and tell `onRetry({attempt, delay})`. Resolves with a {@link Protocol}; never rejects.
 * @param {{url?: string, onRetry?: (info: {attempt: number, delay: number}) => void}} [opts]
 */
export async function loadProtocol({ url = PROTOCOL_URL, onRetry } = {}) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const resp = await fetch(url, { cache: 'no-store', headers: { Accept: 'application/json' } });
      if (resp.ok) return new Protocol(checkDocument(await resp.json()));
      console.warn('[siyu] ' + url + ' answered HTTP ' + resp.status);
    } catch (e) {
      console.warn('[siyu] protocol catalogue unavailable', e);
    }
    const delay = backoffDelay(attempt);
    if (onRetry) onRetry({ attempt: attempt + 1, delay });
    await sleep(delay);
  }
}
