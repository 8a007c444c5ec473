/**
 * @module core/location
 * Where the page is: the room id (last path segment of /room/{id} or /host/{id}) and the token
 * (from `#token=…`, preferred because a fragment never reaches server logs, then `?token=…`).
 */

/**
 * @param {Location} [loc] defaults to window.location
 * @returns {{roomId: string, token: string}}
 */
export function parseLocation(loc = window.location) {
  const parts = loc.pathname.split('/').filter(Boolean);
  let roomId = parts.length ? parts[parts.length - 1] : '';
  try {
    roomId = decodeURIComponent(roomId);
  } catch (_e) {
    /* keep the raw segment */
  }
  let token = '';
  const hash = (loc.hash || '').replace(/^#/, '');
  if (hash) token = new URLSearchParams(hash).get('token') || '';
  if (!token) token = new URLSearchParams(loc.search || '').get('token') || '';
  return { roomId, token: token.trim() };
}
