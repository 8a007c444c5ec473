"""One live room on this node: the runtime that room features plug into.

The runtime owns what every feature shares: membership and the welcome, the durable record/ack path, the
room stream (decoded once into typed events that features follow), named counters, the live session,
the tick, and the room state assembled from the features' parts. It knows no feature by name.

Every action becomes an event appended to the durable log; its room message and the sender's ack go out
from the log's commit callback, so nothing is acknowledged or shown before it is on disk, and room
messages leave in `seq` order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from siyu.catalog import Catalog
from siyu.config import Settings
from siyu.events import Bus, Context, Event, SessionEnded, SessionStarted, now_ms
from siyu.realtime import protocol as wire
from siyu.realtime.broker import Broker
from siyu.realtime.fanout import FanoutStats, Priority, RoomChannel
from siyu.realtime.protocol import ClientMessage, ErrorCode, RoomMessage, ServerMessage, UserRef
from siyu.rooms import sessions, ticks
from siyu.rooms.acks import AckMemory
from siyu.rooms.catchup import CatchUp
from siyu.rooms.counters import Counter, Counters
from siyu.rooms.feature import Feature, FeatureSet
from siyu.rooms.members import Member, Membership, member_ref
from siyu.rooms.messages import State
from siyu.rooms.service import RoomInfo, RoomService, SessionInfo
from siyu.store.eventlog import EventLog

log = logging.getLogger(__name__)

FT = TypeVar("FT", bound=Feature)

__all__ = ["Counter", "Member", "Room", "RoomDeps", "member_ref"]


@dataclass(frozen=True)
class RoomDeps:
    """What every live room of a node shares."""

    service: RoomService
    eventlog: EventLog
    broker: Broker
    bus: Bus
    settings: Settings
    stats: FanoutStats
    features: FeatureSet


def _done() -> asyncio.Future[None]:
    fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    fut.set_result(None)
    return fut


class Room:
    def __init__(
        self, info: RoomInfo, deps: RoomDeps, *, session: SessionInfo | None, epoch: str, start_seq: int,
        products: dict[str, dict[str, Any]], catalog: Catalog | None, visits: dict[str, int],
    ) -> None:  # fmt: skip
        self.info = info
        self.deps = deps
        self.service = deps.service
        self.settings = deps.settings
        self._log = deps.eventlog
        self._broker = deps.broker
        self.session = session
        self.products = products
        self.catalog = catalog
        self.channel = RoomChannel(
            start_seq=start_seq,
            history_size=deps.settings.limits.history_size,
            config=deps.settings.fanout,
            stats=deps.stats,
            epoch=epoch,
        )
        self.online = 0
        self.counters = Counters()
        self.acks = AckMemory()
        self.replaying = False  # True while load() replays the log (features may skip live-only work)
        self.sync_failing = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ticker: asyncio.Task[None] | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self.lookup: Callable[[str], Awaitable[Room | None]] | None = None
        # named services a feature offers others without being imported (the assistant's companion line)
        self.provided: dict[str, Callable[..., Any]] = {}
        # in order: a feature may find the ones before it in its __init__ (e.g. to add a comment guard)
        self.features: dict[type[Feature], Feature] = {}
        for kind in deps.features.features:
            self.features[kind] = kind(self)
        self._handlers: dict[type[ClientMessage], Callable[[Member, Any], None]] = {}
        self._follow: dict[type[Any], list[Callable[[Event[Any]], None]]] = {}
        for feature in self.features.values():
            for model, (attr, _rate, _cost) in feature.inbound.items():
                self._handlers[model] = getattr(feature, attr)
            for payload, attr in feature.following:
                self._follow.setdefault(payload, []).append(getattr(feature, attr))
        for payload in (SessionStarted, SessionEnded):  # the session first: features see the new one
            self._follow[payload] = [self.follow_session, *self._follow.get(payload, ())]
        self.members = Membership(self, visits)
        self.catchup = CatchUp(self)
        self.channel.observers.append(self._observe)
        self.channel.on_gap = self.catchup.gap

    @classmethod
    async def load(cls, room_id: str, deps: RoomDeps) -> Room:
        from siyu.rooms.features.products import catalog_from

        service = deps.service
        info = await service.get_room(room_id)
        await deps.broker.open_room(room_id)  # then the floor: what comes between is caught up at the tick
        floor = await service.max_seq(room_id)
        room = cls(
            info,
            deps,
            session=await service.current_session(room_id),
            epoch=f"{info.created_at:x}",  # the room's seq space: the same on every node and after restarts
            start_seq=floor,
            products=await service.product_cards(info.shop_id),
            catalog=catalog_from(await service.catalog_document(info.shop_id)),
            visits=await service.visit_counts(room_id),
        )
        for user_id, cid, held in await service.recent_cids(room_id):
            room.acks.learn(user_id, cid, held)
        for feature in room.features.values():
            await feature.load()
        await room.replay(through=floor)
        for feature in room.features.values():
            for payload, attr in feature.on_committed:
                room._unsubscribe.append(deps.bus.subscribe(payload, getattr(feature, attr), room=room_id))
        deps.broker.attach(room_id, room.channel, room.reopen)
        return room

    async def replay(self, limit: int = 3000, through: int | None = None) -> None:
        """Rebuild what people see from the log: the session's latest events go through `@follows` as live."""
        if self.session is None:
            return
        self.replaying = True
        try:
            past = await self.service.room_events(
                self.info.id, session_id=self.session.id, limit=limit, through=through
            )  # what comes after `through` reaches the channel (the stream, or the log's catch-up)
            for event in past:
                self.signal(event)
        finally:
            self.replaying = False

    def feature(self, kind: type[FT]) -> FT:
        """The room's instance of a feature class (KeyError if this node does not run it)."""
        got = self.features[kind]
        assert isinstance(got, kind)
        return got

    def follow(self, payload: type[Any], handler: Callable[[Event[Any]], None]) -> Callable[[], None]:
        """`@follows` at run time (e.g. a type another wing defines); returns the unsubscribe."""
        handlers = self._follow.setdefault(payload, [])
        handlers.append(handler)
        return lambda: handlers.remove(handler) if handler in handlers else None

    async def other(self, room_id: str) -> Room | None:
        """Another room, served by this node too (loaded on first use): a PK acts in its partner room."""
        return None if self.lookup is None else await self.lookup(room_id)

    def find(self, kind: type[FT]) -> FT | None:
        got = self.features.get(kind)
        return got if isinstance(got, kind) else None

    # --- life cycle ----------------------------------------------------------------------------

    def start(self) -> None:
        self._ticker = asyncio.create_task(ticks.tick_forever(self), name=f"room-{self.info.id}-tick")

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)  # its CancelledError is the result
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._broker.detach(self.info.id)
        self.flush()
        for feature in self.features.values():
            await feature.stop()
        if self._tasks:
            await asyncio.gather(*tuple(self._tasks), return_exceptions=True)

    async def reopen(self) -> None:
        """After a broker outage: counters back on the broker, what this node missed (no resync)."""
        await self._broker.seed_counters(self.info.id, self.counters.values())
        try:
            await self.catchup.fill(await self.service.max_seq(self.info.id))
        except Exception as exc:  # the log cannot answer now: the tick's catch-up tries again
            log.warning("room %s: catching up after the outage failed (%r)", self.info.id, exc)

    def spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- what the gateway calls ----------------------------------------------------------------

    async def admit(self, m: Member) -> None:
        await self.members.admit(m)

    def enter(self, m: Member) -> None:
        self.members.enter(m)

    def leave(self, m: Member, close_code: int) -> None:
        self.members.leave(m, close_code)

    def dispatch(self, m: Member, msg: ClientMessage) -> None:
        self._handlers[type(msg)](m, msg)

    def resume(self, m: Member, last_seq: int, epoch: str | None) -> None:
        self.members.resume(m, last_seq, epoch)

    # --- state ---------------------------------------------------------------------------------

    def state_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "online": self.online,
            "live": self.session is not None,
            "session_id": self.session.id if self.session else None,
            "title": self.info.title,
        }
        for feature in self.features.values():
            values.update(feature.state())
        return values

    def state(self) -> dict[str, Any]:
        return State(values=self.state_values()).wire()

    def event_for(self, m: Member | None, payload: Any, parent: str | None = None) -> Event[Any]:
        """An event of this room; its Context names the acting user and, if any, the causing event."""
        return Event(
            room_id=self.info.id,
            user_id=m.user_id if m else None,
            payload=payload,
            session_id=self.session.id if self.session else None,
            context=Context(parent_id=parent, actor=m.user_id if m else None),
        )

    def user_ref(self, user_id: str) -> UserRef:
        return self.members.ref_of(user_id)

    # --- the durable path ------------------------------------------------------------------------
    def record(
        self, m: Member | None, cid: str | None, event: Event[Any], message: RoomMessage | None,
        prio: Priority = Priority.HIGH, after: Callable[[int | None], None] | None = None,
        once: str | None = None, echo: RoomMessage | None = None,
    ) -> asyncio.Future[None]:  # fmt: skip
        """Append `event`; once committed, publish `message` under the seq the log gave it and ack `cid`.

        The ack of an action that made a room message carries that message (`msg`): the sender's own
        echo, which sampling or a slow link can never take away. The stream carries the event beside the
        message, so every node's features follow the typed event. `once`: the log keeps it once per user.
        """
        key = (m.user_id, cid) if m is not None and cid is not None else None
        if key is not None:
            assert m is not None and cid is not None
            if self.acks.answer(m, m.user_id, cid):  # a retried frame gets the first answer
                return _done()
            self.acks.begin(key, m)
            event.cid = cid
        if once is not None:  # the log keeps one such event per user (e.g. a follow per session)
            event.cid = f"~{once}"
        if m is not None:
            m.charge()  # accepted: the action spends its rate budget

        # an action that makes no room message may still owe its sender an echo (a comment moderation kept
        # from the room is shown to its author as sent): in the ack, after the commit like any other
        data: bytes | None = wire.encode(echo) if echo is not None and message is None else None

        def render() -> bytes:
            """Called by the log's writer once the event has its seq: the bytes the log keeps and sends."""
            nonlocal data
            assert message is not None and event.seq is not None
            message.seq = event.seq
            message.ts = event.ts
            data = wire.encode(message)
            return data

        def on_commit() -> None:
            # the ack (with the echo) first: it is owed whatever happens to the fan-out below
            if key is not None:
                self.acks.settle(key, wire.ack_ok(key[1], event.seq, data))
            if message is not None and data is not None:
                assert event.seq is not None
                self._broker.publish(self.info.id, event.seq, data, prio, event)
            if after is not None:
                after(event.seq)

        def on_duplicate(seq: int | None) -> None:
            """The log already holds this cid (another node, or before a restart): its first seq."""
            if key is not None:
                self.acks.settle(key, wire.ack_ok(key[1], seq))

        fut = self._log.append(
            event, on_commit, render=None if message is None else render, prio=prio, on_duplicate=on_duplicate
        )
        if key is not None:

            def failed(f: asyncio.Future[None]) -> None:
                if not f.cancelled() and f.exception() is not None:
                    error = wire.ack_error(key[1], ErrorCode.STORE_UNAVAILABLE, "暂时无法保存，请重试")
                    self.acks.settle(key, error, keep=False)  # a re-send may succeed

            fut.add_done_callback(failed)
        return fut

    def answer_known(self, m: Member, cid: str) -> bool:  # a known cid (answered, in flight)
        return self.acks.answer(m, m.user_id, cid)

    def log(self, event: Event[Any]) -> asyncio.Future[None]:  # not a room message: no ack, no publication
        return self._log.append(event)

    def _observe(self, seq: int, data: bytes, event: object | None) -> None:
        """Every node follows the room's committed events in seq order (whichever node made them)."""
        if isinstance(event, Event):
            if event.cid is not None and event.user_id is not None:
                self.acks.learn(event.user_id, event.cid, event.seq)
            self.signal(event)

    def signal(self, event: Event[Any]) -> None:
        """Hand a typed event to the features that follow its payload type, on this node only.

        The room stream calls it for every committed event; a feature may also signal what it derived
        on every node alike (e.g. the assistant's reading of a question), without logging it.
        """
        for handler in self._follow.get(type(event.payload), ()):
            try:
                handler(event)
            except Exception:
                log.exception("room %s: following %s failed", self.info.id, event.type)

    # --- sending -------------------------------------------------------------------------------
    def to_staff(self, msg: ServerMessage | dict[str, Any]) -> None:
        """A host-console message to the staff connected to this node."""
        self.channel.to_staff(wire.encode(msg))

    def to_user(self, user_id: str, msg: ServerMessage | dict[str, Any]) -> None:
        """To one user: on this node if connected here (an answer to what they sent), else via the broker."""
        data = wire.encode(msg)
        if not self.channel.to_user(user_id, data):
            self._broker.direct(self.info.id, f"user:{user_id}", data)

    def to_staff_everywhere(self, msg: ServerMessage | dict[str, Any], role: str | None = None) -> None:
        """A message to the staff (or to one role, e.g. "host") on every node of the room."""
        self._broker.direct(self.info.id, f"role:{role}" if role else "staff", wire.encode(msg))

    def post(self, msg: ServerMessage | dict[str, Any], prio: Priority = Priority.LOW) -> None:
        """An unsequenced room message from this node (state, banners): batched, not kept for resume."""
        self.channel.post(wire.encode(msg), prio)

    # --- counters ------------------------------------------------------------------------------

    def counter(self, name: str, *, per_session: bool = True) -> Counter:
        """A named room counter, per live session by default (key `name:session`)."""
        return self.counters.get(name, self.session.id if self.session and per_session else None, per_session)

    async def seed(self, counter: Counter, value: int) -> None:
        """Start a counter from a recount (the event log) unless the broker already has it."""
        counter.value = value
        await self._broker.seed_counters(self.info.id, {counter.key: value})

    async def sync(self) -> None:
        """Trade this node's online count and counter increments for the room-wide figures."""
        await ticks.sync(self)

    # --- live sessions (rooms/sessions.py) ------------------------------------------------------

    async def start_session(self, title: str) -> SessionInfo:
        return await sessions.start(self, title)

    async def end_session(self) -> SessionInfo | None:
        return await sessions.end(self)

    def follow_session(self, event: Event[Any]) -> None:
        sessions.follow(self, event)

    # --- periodic aggregation ------------------------------------------------------------------

    def flush(self) -> None:
        """Entry banner, presence to staff, state when it changed, features' ticks, viewer rows."""
        ts = now_ms()
        self.members.flush(ts)
        for feature in self.features.values():
            try:
                feature.tick(ts)
            except Exception:
                log.exception("room %s: tick of %s failed", self.info.id, feature.name)
        self.channel.flush()

