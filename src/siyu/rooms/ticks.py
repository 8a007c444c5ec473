"""A room's tick (once per `entry_banner_interval_s`): trade counts with the broker, then flush.

During a broker outage the tick goes on with this node's own figures: one warning when the broker goes,
one info line when it answers again, and `sync_failures` in /api/metrics, never a traceback per second.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from siyu.realtime.broker import BrokerUnavailable

if TYPE_CHECKING:
    from siyu.rooms.room import Room

log = logging.getLogger(__name__)


async def sync(room: Room) -> None:
    """Trade this node's online count and counter increments for the room-wide figures."""
    broker, room_id = room.deps.broker, room.info.id
    pending = room.counters.take_pending()
    try:
        room.online = await broker.sync_online(room_id, room.members.count)
        if pending:
            room.counters.apply_totals(await broker.add_counters(room_id, pending))
    except Exception:
        room.counters.restore(pending)  # counted again at the next successful sync
        room.online = room.members.count
        raise


async def tick_forever(room: Room) -> None:
    interval = room.settings.entry_banner_interval_s
    while True:
        await asyncio.sleep(interval)
        await tick(room)


async def tick(room: Room) -> None:
    room_id = room.info.id
    try:
        await sync(room)
        if room.sync_failing:
            room.sync_failing = False
            log.info("room %s: the broker answers again; room-wide figures are back", room_id)
    except BrokerUnavailable as exc:  # one warning per outage, not a traceback per second
        room.deps.stats.sync_failures += 1
        if not room.sync_failing:
            room.sync_failing = True
            log.warning("room %s: broker unavailable (%s); counting this node only", room_id, exc)
    except Exception:
        log.exception("room %s: sync failed", room_id)
    await room.catchup.tick()  # what other nodes committed and this node did not receive
    try:
        room.flush()  # banners, state and features' ticks go on whatever the broker does
    except Exception:
        log.exception("room %s: tick failed", room_id)
