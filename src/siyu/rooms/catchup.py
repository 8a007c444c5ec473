"""The room stream, completed from the event log: what this node did not receive, it reads.

The log gives room seqs in commit order (store/eventlog.py): once seq N is committed, every seq below N
is committed too (or was never given). So when this node holds seq N but not some seq below it, or when
the log's newest seq stays above what this node released, the log is asked, and its answer is final: the
messages it holds are released in seq order, and a seq it does not hold is passed over for good.

- a gap in the channel (a later message arrived first: the earlier one's node died between its commit
  and its publication, or is slow to publish);
- the tail, once per tick on a shared broker: the log's newest seq of the previous tick must have been
  released by now (the last messages of a node that died; what other nodes committed while this one
  could not reach the broker);
- resume, when a gap is older than this node's ring and the broker's history.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from siyu.realtime.fanout import Priority

if TYPE_CHECKING:
    from siyu.rooms.room import Room

log = logging.getLogger(__name__)

PAGE = 1000


class CatchUp:
    def __init__(self, room: Room) -> None:
        self.room = room
        self._mark = 0  # the log's newest seq at the previous tick
        self._failing = False

    def gap(self, first: int, last: int) -> None:
        """The channel waited `reorder_ms` for seqs first..last while a later one is held."""
        self.room.spawn(self._fill_gap(last))

    async def _fill_gap(self, through: int) -> None:
        try:
            await self.fill(through)
        except Exception as exc:  # the log cannot answer: do not hold the room's stream
            log.warning("room %s: the log could not fill a gap (%r); passed over", self.room.info.id, exc)
            self.room.channel.skip_gap()

    async def fill(self, through: int) -> None:
        """Release every room message up to `through` (a seq the log has committed) from the log."""
        channel, room_id = self.room.channel, self.room.info.id
        while True:
            after = channel.published_seq
            if after >= through:  # (the broker may have brought it meanwhile) what is held goes on waiting
                channel.fill((), through)
                return
            upto = min(through, after + PAGE)
            rows = await self.room.service.stream(room_id, after, upto, limit=PAGE)
            channel.fill(((s, Priority(p), w, e) for s, p, w, e in rows), upto)

    async def tick(self) -> None:
        """The tail: on a shared broker, the log's newest seq of the previous tick is released by now."""
        if not self.room.deps.broker.shared:
            return
        try:
            high = await self.room.service.max_seq(self.room.info.id)
            mark, self._mark = self._mark, high
            if self.room.channel.published_seq < mark:
                await self.fill(mark)
            self._failing = False
        except Exception as exc:
            if not self._failing:
                self._failing = True
                log.warning("room %s: cannot read the event log's tail (%r)", self.room.info.id, exc)

    async def since(self, last_seq: int, through: int) -> list[bytes] | None:
        """The room messages last_seq < seq <= through from the log, or None when the log does not hold
        them all (more than a ring's worth, or rows from before the log kept their bytes)."""
        if through - last_seq > self.room.settings.limits.history_size:
            return None
        rows = await self.room.service.stream(self.room.info.id, last_seq, through, limit=through - last_seq)
        out = [w for _s, _p, w, _e in rows if w is not None]
        return out if len(out) == len(rows) else None
