/**
 * @module host/shop-coupons
 * The coupons of the room's shop (GET /api/rooms/{id}/coupons, staff token), fetched once per page and
 * shared by 发券 and the quiz reward. Resolves with the list, or null when it could not be read (the
 * next call tries again).
 */

const cache = new WeakMap();

export function shopCoupons(room) {
  let p = cache.get(room);
  if (p) return p;
  p = fetch('/api/rooms/' + encodeURIComponent(room.roomId) + '/coupons', {
    headers: { Authorization: 'Bearer ' + room.token, Accept: 'application/json' },
    cache: 'no-store',
  })
    .then((resp) => (resp.ok ? resp.json() : Promise.reject(new Error('HTTP ' + resp.status))))
    .then((body) => (Array.isArray(body.items) ? body.items : []))
    .catch(() => {
      cache.delete(room);
      return null;
    });
  cache.set(room, p);
  return p;
}
