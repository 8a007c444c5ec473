/**
 * @module core/emitter
 * A tiny event emitter: `on(type, fn)` returns an unsubscribe function; a handler that throws is
 * logged and does not stop the others.
 */

export class Emitter {
  constructor() {
    /** @type {Map<string, Set<Function>>} */
    this._handlers = new Map();
  }

  /** Subscribe to `type`; returns a function that unsubscribes. */
  on(type, fn) {
    if (!this._handlers.has(type)) this._handlers.set(type, new Set());
    this._handlers.get(type).add(fn);
    return () => this.off(type, fn);
  }

  off(type, fn) {
    const set = this._handlers.get(type);
    if (set) set.delete(fn);
  }

  emit(type, ...args) {
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
}
