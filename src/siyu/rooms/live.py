"""One live room on this node: membership, actions, welcome, questions, periodic banners and state.

Every action is turned into an event and appended to the durable log; the room message and the
sender's ack go out from the log's commit callback, so nothing is acknowledged or shown before it
is on disk, and room messages leave in `seq` order.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from siyu.auth import Role
from siyu.config import Settings
from siyu.events import (
    AssistantAnswered,
    Context,
    Event,
    ProductPinned,
    SessionEnded,
    SessionStarted,
    ViewerEntered,
    ViewerLeft,
    now_ms,
)
from siyu.realtime import protocol as wire
from siyu.realtime.broker import Broker
from siyu.realtime.fanout import FanoutStats, Priority, RoomChannel, batch_frame
from siyu.realtime.protocol import CloseCode, ErrorCode
from siyu.rooms.assistant import RoomAssistant, catalog_from
from siyu.rooms.presence import Presence
from siyu.rooms.questions import Question, QuestionBoard
from siyu.rooms.service import RoomInfo, RoomService, SessionInfo
from siyu.rooms.welcome import WelcomeContext, WelcomeRenderer, level_badge
from siyu.store.eventlog import EventLog

log = logging.getLogger(__name__)

RECENT_COMMENTS = 2000


@dataclass(frozen=True)
class RoomDeps:
    """What every live room of a node shares."""

    service: RoomService
    eventlog: EventLog
    broker: Broker
    settings: Settings
    stats: FanoutStats


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


def member_ref(m: Member) -> dict[str, Any]:
    return wire.user_ref(m.user_id, m.nickname, m.level, m.role.value)


class LiveRoom:
    def __init__(
        self,
        info: RoomInfo,
        deps: RoomDeps,
        *,
        products: dict[str, dict[str, Any]],
        session: SessionInfo | None,
        epoch: str,
        start_seq: int,
        likes: int,
        visits: dict[str, int],
        assistant: RoomAssistant | None = None,
    ) -> None:
        self.info = info
        self._deps = deps
        self.service = deps.service
        self._log = deps.eventlog
        self._broker = deps.broker
        self.settings = deps.settings
        self.products = products
        self.session = session
        self.likes = likes
        self.online = 0
        self.likes_delta = 0
        # Entries per user, loaded once from the event log so the welcome never waits on the database.
        self._visits = visits
        self.pinned = products.get(info.pinned_product_id) if info.pinned_product_id else None
        self.channel = RoomChannel(
            start_seq=start_seq,
            history_size=deps.settings.limits.history_size,
            config=deps.settings.fanout,
            stats=deps.stats,
            epoch=epoch,
        )
        self.welcome = WelcomeRenderer(info.welcome_template)
        self.questions = QuestionBoard()
        self.assistant = assistant or RoomAssistant(None)
        self.presence = Presence()
        # recent comments by seq: (author ref, text, event id), so replies can quote and link them
        self.recent: OrderedDict[int, tuple[dict[str, Any], str, str]] = OrderedDict()
        self.followed: set[str] = set()
        self._acked: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._viewer_rows: dict[str, dict[str, Any]] = {}
        self._last_state: tuple[Any, ...] = ()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ticker: asyncio.Task[None] | None = None

    @classmethod
    async def load(cls, room_id: str, deps: RoomDeps) -> LiveRoom:
        service = deps.service
        info = await service.get_room(room_id)
        session = await service.current_session(room_id)
        likes = await service.likes_in_session(room_id, session.id) if session else 0
        floor = await service.max_seq(room_id)
        epoch, seq = await deps.broker.open_room(room_id, floor, session.id if session else None, likes)
        room = cls(
            info,
            deps,
            products=await service.product_cards(info.shop_id),
            session=session,
            epoch=epoch,
            start_seq=seq,
            likes=likes,
            visits=await service.visit_counts(room_id),
            assistant=RoomAssistant(
                catalog_from(await service.catalog_document(info.shop_id)),
                info.host_name,
                deps.settings.assistant,
            ),
        )
        room.channel.on_release = room.observe
        deps.broker.attach(room_id, room.channel, room.reopen)
        return room

    async def reopen(self) -> None:
        """After a broker outage: take the room's seq and epoch from the broker again; clients resync."""
        floor = max(await self.service.max_seq(self.info.id), self.channel.published_seq)
        session = self.session.id if self.session else None
        epoch, seq = await self._broker.open_room(self.info.id, floor, session, self.likes)
        self.channel.reset(epoch, seq)
        resync = {"type": "resync", "seq": seq, "epoch": epoch, "state": self.state()}
        data = wire.encode(resync)
        for peer in list(self.channel.peers):
            peer.send(data)

    # --- life cycle ----------------------------------------------------------------------------

    def start(self) -> None:
        self._ticker = asyncio.create_task(self._tick(), name=f"room-{self.info.id}-tick")

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            try:
                await self._ticker
            except asyncio.CancelledError:
                pass
        self._broker.detach(self.info.id)
        self.flush()
        await self.assistant.aclose()
        if self._tasks:
            await asyncio.gather(*tuple(self._tasks), return_exceptions=True)

    def spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def state(self) -> dict[str, Any]:
        return {
            "type": "state",
            "online": self.online,
            "likes": self.likes,
            "pinned": self.pinned,
            "live": self.session is not None,
            "session_id": self.session.id if self.session else None,
            "title": self.info.title,
            "host_status": self.assistant.host_status,
        }

    def event_for(self, m: Member | None, payload: Any, parent: str | None = None) -> Event[Any]:
        """An event of this room; its Context names the acting user and, if any, the causing event."""
        return Event(
            room_id=self.info.id,
            user_id=m.user_id if m else None,
            payload=payload,
            session_id=self.session.id if self.session else None,
            context=Context(parent_id=parent, actor=m.user_id if m else None),
        )

    # --- membership ----------------------------------------------------------------------------

    def enter(self, m: Member) -> None:
        """Send the personal welcome first (the latency that matters), then record the entry."""
        visits = self._visits.get(m.user_id, 0)
        self._visits[m.user_id] = visits + 1
        returning = visits > 0
        self.channel.add(m)
        ref = member_ref(m)
        self.presence.enter(m.user_id, ref, announce=m.role is Role.VIEWER)
        self.online = max(self.online, self.presence.count)
        text = self.welcome.render(
            WelcomeContext(
                nickname=m.nickname,
                level=m.level,
                returning=returning,
                visits=visits + 1,
                room_title=self.info.title,
                host_name=self.info.host_name,
                shop_name=self.info.shop_name,
            )
        )
        m.send(
            wire.encode(
                {
                    "type": "welcome",
                    "protocol": wire.PROTOCOL_VERSION,
                    "ts": now_ms(),
                    "room": {"id": self.info.id, "title": self.info.title, "host": self.info.host_name},
                    "you": member_ref(m),
                    "text": text,
                    "returning": returning,
                    "visits": visits + 1,
                    "badge": level_badge(m.level),
                    "seq": self.channel.published_seq,
                    "epoch": self.channel.epoch,
                    "state": self.state(),
                }
            )
        )
        if m.is_staff:
            snapshot = {
                "type": "questions",
                "items": self.questions.snapshot(),
                "groups": self.assistant.snapshot(),
                "host_status": self.assistant.host_status,
            }
            m.send(wire.encode(snapshot))
        self._log.append(self.event_for(m, ViewerEntered(m.nickname, m.level, m.role.value, returning)))
        self._viewer_rows[m.user_id] = {
            "id": m.user_id,
            "nickname": m.nickname,
            "avatar": None,
            "level": m.level,
            "first_seen_at": m.joined_at_ms,
            "last_seen_at": m.joined_at_ms,
        }

    def leave(self, m: Member, close_code: int) -> None:
        if m not in self.channel.peers:
            return
        self.channel.discard(m)
        self.presence.leave(m.user_id, member_ref(m))
        dwell = now_ms() - m.joined_at_ms
        self._log.append(self.event_for(m, ViewerLeft(dwell, close_code)))

    # --- actions -------------------------------------------------------------------------------

    def record(
        self,
        m: Member | None,
        cid: str | None,
        event: Event[Any],
        message: dict[str, Any] | None,
        prio: Priority = Priority.HIGH,
        after: Callable[[int | None], None] | None = None,
    ) -> asyncio.Future[None]:
        """Append `event`; once committed, publish `message` under the seq the log gave it and ack `cid`.

        The ack of an action that made a room message carries that message (`msg`): the sender's own
        echo, which sampling or a slow link can never take away.
        """
        key = (m.user_id, cid) if m is not None and cid is not None else None
        if key is not None and key in self._acked:
            assert m is not None
            m.send(self._acked[key])  # a retried frame gets the first answer again
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            fut.set_result(None)
            return fut

        def committed() -> None:
            data = None
            if message is not None:
                assert event.seq is not None
                message["seq"] = event.seq
                message["ts"] = event.ts
                data = wire.encode(message)
            # the ack (with the echo) first: it is owed whatever happens to the fan-out below
            if key is not None and m is not None:
                ack = wire.ack_ok(key[1], event.seq, data)
                self._acked[key] = ack
                if len(self._acked) > 10_000:
                    self._acked.popitem(last=False)
                m.send(ack)
            if data is not None:
                assert event.seq is not None
                self._broker.publish(self.info.id, event.seq, data, prio)
            if after is not None:
                after(event.seq)

        fut = self._log.append(event, committed, sequenced=message is not None)
        if key is not None and m is not None:
            member = m

            def failed(f: asyncio.Future[None]) -> None:
                if not f.cancelled() and f.exception() is not None:
                    member.send(wire.ack_error(key[1], ErrorCode.STORE_UNAVAILABLE, "暂时无法保存，请重试"))

            fut.add_done_callback(failed)
        return fut

    # --- what every node learns from the room stream ------------------------------------------

    def observe(self, seq: int, data: bytes) -> None:
        """Each node follows the room's messages (whichever node they came from): the reply targets,
        the host's question panel, the pinned product and the live session."""
        msg = orjson.loads(data)
        kind = msg.get("type")
        if kind == "comment":
            self._observe_comment(seq, msg)
        elif kind == "reply":
            by = msg["user"]["nick"]
            answered = self.questions.answer(msg["reply_to"]["seq"], seq, by)
            if answered is not None:
                note = {"type": "answered", "seq": answered.seq, "reply_seq": seq, "by": by}
                self.channel.to_staff(wire.encode(note))
            group = self.assistant.answered_group(msg["reply_to"]["seq"])
            if group is not None:  # one reply answers everyone who asked the same thing
                for other in group.seqs:
                    if other != msg["reply_to"]["seq"] and self.questions.answer(other, seq, by) is not None:
                        self.channel.to_staff(
                            wire.encode({"type": "answered", "seq": other, "reply_seq": seq, "by": by})
                        )
                self.channel.to_staff(wire.encode(group.to_wire()))
        elif kind == "pin":
            self.pinned = msg["product"]
        elif kind == "live":
            self._follow_session(msg)
        elif kind == "assistant" and msg.get("key"):
            group = self.assistant.groups.get(msg["key"])
            if group is not None:
                group.broadcast_at = max(group.broadcast_at, time.monotonic())
        elif kind == "host_status":
            self.assistant.host_status = msg["status"]
        elif kind == "stock":
            self.assistant.set_stock(msg["product_id"], msg["color"], msg["size"], msg["count"])
        elif kind == "moderation":
            self._observe_moderation(msg)

    def user_ref(self, user_id: str) -> dict[str, Any]:
        """A user's wire ref: from a connection here, else their latest comment, else the bare id."""
        for peer in self.channel.peers:
            if getattr(peer, "user_id", None) == user_id:
                return member_ref(peer)  # type: ignore[arg-type]
        for ref, _text, _eid in reversed(self.recent.values()):
            if ref.get("id") == user_id:
                return ref
        return wire.user_ref(user_id, user_id, 0, Role.VIEWER.value)

    def pin(self, product_id: str | None, by: Member | None = None, cid: str | None = None) -> None:
        """Pin a product of the shop (讲解中; the assistant's 这件), or unpin with None."""
        card = self.products.get(product_id) if product_id is not None else None

        def after(_seq: int | None) -> None:
            self.spawn(self.service.set_room_fields(self.info.id, pinned_product_id=product_id))

        message = {"type": "pin", "product": card}
        self.record(by, cid, self.event_for(by, ProductPinned(product_id)), message, after=after)

    def say(self, text: str, intent: str, **extra: Any) -> None:
        """A room-wide message from the assistant (companion lines, answers many viewers asked for)."""
        event = self.event_for(None, AssistantAnswered(None, "", intent, None, text, False, 1.0, "room"))
        message = {"type": "assistant", "to": "room", "text": text, "intent": intent, **extra}
        self.record(None, None, event, message, Priority.HIGH)

    def _observe_comment(self, seq: int, msg: dict[str, Any]) -> None:
        self.recent[seq] = (msg["user"], msg["text"], msg.get("eid", ""))
        if len(self.recent) > RECENT_COMMENTS:
            self.recent.popitem(last=False)
        question = bool(msg.get("question"))
        answer = None
        if msg["user"].get("role") == Role.VIEWER.value:
            answer = self.assistant.analyse(seq, msg["text"], self.pinned_id)
            if answer is not None and not self.assistant.wants_answer(answer, question):
                answer = None
        if not question and answer is None:
            return
        ai: dict[str, object] | None = None
        if answer is not None:
            group = self.assistant.note_question(seq, str(msg["user"]["id"]), answer)
            ai = {
                "intent": answer.intent,
                "product_id": answer.product_id,
                "key": answer.key,
                "priority": "high" if answer.needs_host else "normal",
                "handoff": answer.handoff,
                "suggested": answer.suggested or answer.answer,
                "auto_answered": not answer.needs_host or answer.handoff,
            }
        q = Question(seq=seq, ts=msg["ts"], user=msg["user"], text=msg["text"], ai=ai)
        self.questions.add(q)
        self.channel.to_staff(wire.encode({"type": "question", **q.to_wire()}))
        if answer is not None:
            self.channel.to_staff(wire.encode(group.to_wire()))

    def _observe_moderation(self, msg: dict[str, Any]) -> None:
        """Mutes and bans hold on every node of the room; a ban also closes the user's connections here."""
        action, target = msg["action"], str(msg["target"]["id"])
        mod = self.assistant.moderator
        by = str(msg.get("by") or "")
        if action == "mute" and msg.get("until"):
            seconds = max(1, (int(msg["until"]) - now_ms()) // 1000)
            mod.mute(target, seconds, by)
        elif action == "unmute":
            mod.unmute(target, by)
        elif action == "ban":
            mod.ban(target, by)
            for peer in list(self.channel.peers):
                close = getattr(peer, "close", None)
                if getattr(peer, "user_id", None) == target and not peer.is_staff and close is not None:
                    close(CloseCode.BANNED, "banned")
        elif action == "unban":
            mod.unban(target, by)

    @property
    def pinned_id(self) -> str | None:
        return str(self.pinned["id"]) if self.pinned else None

    def _follow_session(self, msg: dict[str, Any]) -> None:
        if not msg.get("live"):
            self.session = None
        elif self.session is None or self.session.id != msg["session_id"]:
            self.session = SessionInfo(msg["session_id"], self.info.id, msg.get("title", ""), msg["ts"], None)
            self.likes = 0
            self.likes_delta = 0
            self.followed.clear()

    def resume(self, m: Member, msg: wire.ResumeIn) -> None:
        gap = self.channel.since(msg.last_seq, msg.epoch)
        if gap is None:
            self.spawn(self._resume_from_broker(m, msg))
            return
        self._send_gap(m, msg.last_seq, gap)

    async def _resume_from_broker(self, m: Member, msg: wire.ResumeIn) -> None:
        """The gap is older than this node's ring: ask the broker's history, else resync."""
        gap = None
        if msg.epoch is None or msg.epoch == self.channel.epoch:
            gap = await self._broker.history(self.info.id, msg.last_seq, self.channel.epoch)
        if gap is not None:
            self._send_gap(m, msg.last_seq, gap)
            return
        resync = {
            "type": "resync",
            "seq": self.channel.published_seq,
            "epoch": self.channel.epoch,
            "state": self.state(),
        }
        m.send(wire.encode(resync))

    def _send_gap(self, m: Member, last_seq: int, gap: list[bytes]) -> None:
        to = self.channel.published_seq
        if gap:
            m.send(batch_frame(last_seq + 1, to, gap))
        m.send(wire.encode({"type": "resumed", "from": last_seq, "to": to, "count": len(gap)}))

    # --- live sessions -------------------------------------------------------------------------

    async def start_session(self, title: str) -> SessionInfo:
        self.session = await self.service.start_session(self.info.id, title)
        self.likes = 0
        self.likes_delta = 0
        self.followed.clear()
        message = {"type": "live", "live": True, "title": title, "session_id": self.session.id}
        await self.record(None, None, self.event_for(None, SessionStarted(title)), message)
        return self.session

    async def end_session(self) -> SessionInfo | None:
        session = self.session
        if session is None:
            return None
        ended = await self.service.end_session(session.id)
        event = self.event_for(None, SessionEnded(ended - session.started_at))
        await self.record(None, None, event, {"type": "live", "live": False, "session_id": session.id})
        self.session = None
        return session

    # --- periodic aggregation ------------------------------------------------------------------

    async def _tick(self) -> None:
        interval = self.settings.entry_banner_interval_s
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sync()
                self.flush()
            except Exception:
                log.exception("room %s tick failed", self.info.id)

    async def sync(self) -> None:
        """Trade this node's online count and new likes for the room-wide figures."""
        delta, self.likes_delta = self.likes_delta, 0
        session = self.session.id if self.session else None
        try:
            self.online, self.likes = await self._broker.sync_room(
                self.info.id, session, self.presence.count, delta
            )
        except Exception:
            self.likes_delta += delta  # counted again at the next successful sync
            self.online = self.presence.count
            raise

    def flush(self) -> None:
        """Entry banner to the room, presence to staff, state when it changed, viewer profiles to the DB."""
        ts = now_ms()
        banner = self.presence.take_banner(ts)
        if banner is not None:
            self.channel.post(wire.encode(banner), Priority.LOW)
        flow = self.presence.take_flow(ts, self.online)
        if flow is not None:
            self.channel.to_staff(wire.encode(flow))
        state = self.state()
        key = (state["online"], state["likes"], state["pinned"] and state["pinned"]["id"], state["live"])
        if key != self._last_state:
            self._last_state = key
            self.channel.post(wire.encode({**state, "ts": ts}), Priority.LOW)
        line = self.assistant.companion_line(self.pinned_id)
        if line is not None:
            self.say(line, "companion")
        self.channel.flush()
        if self._viewer_rows:
            rows = list(self._viewer_rows.values())
            self._viewer_rows.clear()
            self.spawn(self.service.upsert_viewers(rows))
