"""A coupon given (a prize, a reward), not claimed from a drop: a personal drop of one for the viewer and its
claim, so the grant sits in the viewer's wallet (`coupon_grants`) with its `coupon.claimed` event.

Idempotent by `key` (what the coupon is given for, e.g. `luckybag-prize:<bag>`): the drop's id and the
claim's cid derive from it and the viewer, so a retry, a restart or two nodes at once give one grant.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError

from siyu.catalog import Coupon
from siyu.events import Event, now_ms

from .coupons import CouponClaimed
from .store import Batch, CouponStore, Grant, Refused

if TYPE_CHECKING:
    from siyu.rooms.room import Room

PERSONAL_DROP_MS = 24 * 3600 * 1000  # the viewer's one-coupon drop: claimed at once, kept open for retries


async def give_coupon(room: Room, store: CouponStore, coupon: Coupon, user_id: str, key: str) -> Grant:
    """Grant `coupon` to `user_id` once per `key` (the grant held already when given before)."""
    room_id, now = room.info.id, now_ms()
    batch_id = hashlib.sha256(f"{room_id}\x00{key}\x00{user_id}".encode()).hexdigest()[:32]
    await store.create_batch(
        Batch(id=batch_id, room_id=room_id, coupon_id=coupon.id, quantity=1, claimed=0, per_user=1,
              opens_at=now, closes_at=now + PERSONAL_DROP_MS, to_user=user_id)
    )  # fmt: skip
    batch = await store.get_batch(batch_id)
    assert batch is not None
    cid = f"~{key}"[:64]
    expires = now + (coupon.valid_minutes or 30) * 60_000

    def claimed(grant: Grant) -> Event[Any]:
        body = CouponClaimed(batch_id, coupon.id, grant.grant_id, grant.n, grant.expires_at)
        event = room.event_for(None, body)
        event.user_id, event.cid = user_id, cid
        return event

    try:
        return await store.claim(batch, user_id, now, expires, claimed)
    except (IntegrityError, Refused):  # given before (a retry, another node): the grant it holds
        held = await store.held_grant(room_id, user_id, cid)
        if held is None:
            raise
        return held
