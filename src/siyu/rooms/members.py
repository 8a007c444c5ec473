"""Membership of one room on this node: enter (welcome first), leave, presence, visit counts, viewer rows."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

from siyu.auth import Role
from siyu.events import ViewerEntered, ViewerLeft, now_ms
from siyu.realtime import protocol as wire
from siyu.realtime.fanout import Priority, batch_frame
from siyu.realtime.protocol import UserRef
from siyu.rooms.feature import Feature
from siyu.rooms.messages import Resumed, Resync, RoomRef, StaffSnapshot, State, Welcome
from siyu.rooms.presence import Presence
from siyu.rooms.welcome import WelcomeContext, WelcomeRenderer, level_badge

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from siyu.rooms.room import Room


class Member(Protocol):
    """What a room needs of a connected client."""

    user_id: str
    nickname: str
    level: int
    role: Role
    joined_at_ms: int

    is_staff: bool
    behind: bool

    def send(self, data: bytes) -> None: ...

    def buffered(self) -> int: ...

    def evict(self) -> None: ...

    def close(self, code: int, reason: str) -> None: ...

    def charge(self) -> None:
        """The action being handled was accepted: spend its rate budget (a no-op outside a frame)."""


def member_ref(m: Member) -> UserRef:
    return UserRef(m.user_id, m.nickname, m.level, m.role.value)


class Membership:
    def __init__(self, room: Room, visits: dict[str, int]) -> None:
        self.room = room
        # Entries per user, loaded once from the event log so the welcome never waits on the database.
        self._visits = visits
        self.presence = Presence()
        self.welcome = WelcomeRenderer(room.info.welcome_template)
        self._viewer_rows: dict[str, dict[str, Any]] = {}
        self._refs: dict[str, UserRef] = {}
        self._last_state: dict[str, Any] = {}

    @property
    def count(self) -> int:
        """Distinct users online on this node."""
        return self.presence.count

    def ref_of(self, user_id: str) -> UserRef:
        """A user's wire ref: as last seen in this room (connected or in the stream), else the bare id."""
        return self._refs.get(user_id) or UserRef(user_id, user_id, 0, Role.VIEWER.value)

    def seen(self, ref: UserRef) -> None:
        """Remember how a user appears (features call it for the authors they see in the stream)."""
        self._refs[ref.id] = ref
        if len(self._refs) > 20_000:
            self._refs.pop(next(iter(self._refs)))

    async def admit(self, m: Member) -> None:
        """Before the welcome: the features that keep records about people set the member from them (the
        fan club's level). A feature that fails here costs the member nothing but that record."""
        room = self.room
        for feature in room.features.values():
            if type(feature).admit is Feature.admit:
                continue  # the default does nothing: no await on the entry path
            try:
                await feature.admit(m)
            except Exception:
                log.exception("room %s: admitting %s in %s failed", room.info.id, m.user_id, feature.name)

    def enter(self, m: Member) -> None:
        """Send the personal welcome first (the latency that matters), then record the entry."""
        room = self.room
        info = room.info
        visits = self._visits.get(m.user_id, 0)
        self._visits[m.user_id] = visits + 1
        returning = visits > 0
        room.channel.add(m)
        ref = member_ref(m)
        self.seen(ref)
        self.presence.enter(m.user_id, ref, announce=m.role is Role.VIEWER)
        room.online = max(room.online, self.presence.count)
        text = self.welcome.render(
            WelcomeContext(
                nickname=m.nickname,
                level=m.level,
                returning=returning,
                visits=visits + 1,
                room_title=info.title,
                host_name=info.host_name,
                shop_name=info.shop_name,
            )
        )
        welcome = Welcome(
            protocol=wire.PROTOCOL_VERSION,
            ts=now_ms(),
            room=RoomRef(id=info.id, title=info.title, host=info.host_name),
            you=ref,
            text=text,
            returning=returning,
            visits=visits + 1,
            badge=level_badge(m.level),
            seq=room.channel.published_seq,
            epoch=room.channel.epoch,
            state=room.state(),
        )
        for feature in room.features.values():
            welcome.me.update(feature.personal(m))
        m.send(wire.encode(welcome))
        if m.is_staff:
            values: dict[str, Any] = {}
            for feature in room.features.values():
                values.update(feature.staff_snapshot())
            m.send(wire.encode(StaffSnapshot(values=values)))
        room.log(room.event_for(m, ViewerEntered(m.nickname, m.level, m.role.value, returning)))
        self._viewer_rows[m.user_id] = {
            "id": m.user_id,
            "nickname": m.nickname,
            "avatar": None,
            "level": m.level,
            "first_seen_at": m.joined_at_ms,
            "last_seen_at": m.joined_at_ms,
        }
        for feature in room.features.values():
            feature.on_enter(m, returning)

    def leave(self, m: Member, close_code: int) -> None:
        room = self.room
        if m not in room.channel.peers:
            return
        room.channel.discard(m)
        self.presence.leave(m.user_id, member_ref(m))
        room.log(room.event_for(m, ViewerLeft(now_ms() - m.joined_at_ms, close_code)))
        for feature in room.features.values():
            feature.on_leave(m)

    def flush(self, ts: int) -> None:
        """Entry banner to the room, presence to staff, state when it changed, viewer profiles to the DB."""
        room = self.room
        banner = self.presence.take_banner(ts)
        if banner is not None:
            room.post(banner, Priority.LOW)
        flow = self.presence.take_flow(ts, room.online)
        if flow is not None:
            room.to_staff(flow)
        values = room.state_values()
        if values != self._last_state:
            self._last_state = values
            room.post(State(values=values, ts=ts), Priority.LOW)
        if self._viewer_rows:
            rows = list(self._viewer_rows.values())
            self._viewer_rows.clear()
            room.spawn(room.service.upsert_viewers(rows))

    # --- resume after a reconnect ------------------------------------------------------------

    def resume(self, m: Member, last_seq: int, epoch: str | None) -> None:
        channel = self.room.channel
        if epoch is not None and epoch != channel.epoch:  # another seq space (the database was replaced)
            self._resync(m)
            return
        gap = channel.since(last_seq)
        if gap is None or last_seq > channel.published_seq:
            self.room.spawn(self._resume_slow(m, last_seq))
            return
        self._send_gap(m, last_seq, channel.published_seq, gap)

    async def _resume_slow(self, m: Member, last_seq: int) -> None:
        """The client saw more than this node released (catch up from the log first), or its gap is older
        than this node's ring: the broker's history, then the event log, else a resync."""
        room, channel = self.room, self.room.channel
        try:
            if last_seq > channel.published_seq:
                await room.catchup.fill(await room.service.max_seq(room.info.id))
            if last_seq > channel.published_seq:  # a seq the room never gave: start from the state
                self._resync(m)
                return
            upto = channel.published_seq  # what comes after is sent to this connection live
            gap = channel.since(last_seq)
            if gap is None:
                gap = await room.deps.broker.history(room.info.id, last_seq, upto)
            if gap is None:
                gap = await room.catchup.since(last_seq, upto)
        except Exception:
            log.exception("room %s: resume from %d failed", room.info.id, last_seq)
            gap = None
        if gap is None:
            self._resync(m)
        else:
            self._send_gap(m, last_seq, upto, gap)

    def _resync(self, m: Member) -> None:
        channel = self.room.channel
        m.send(wire.encode(Resync(seq=channel.published_seq, epoch=channel.epoch, state=self.room.state())))

    def _send_gap(self, m: Member, last_seq: int, to: int, gap: list[bytes]) -> None:
        if gap:
            m.send(batch_frame(last_seq + 1, to, gap))
        m.send(wire.encode(Resumed(from_=last_seq, to=to, count=len(gap))))
