"""Topics (话题) as a room feature (issue 12): the host pins a discussion topic, the room's comments on it
are linked to it, and the host consoles get a running summary (count, keywords, opinions).

`topic_pin` (staff) is the sequenced `topic` message and `topic.pinned` event; `topic_unpin` is a `topic`
message with `topic: null` and a `topic.unpinned` event. **The link is the seq window**: a viewer's
`comment.posted` belongs to the topic whose `topic.pinned` seq is the last one below the comment's seq,
unless a `topic.unpinned` (or the next `topic.pinned`) came in between. Seqs are commit order, so the log
alone says which comments a topic has: nothing extra is recorded per comment, and `load()` rebuilds it.

Every node follows the comments (`@follows`), keeps the last `KEEP` of the pinned topic, and computes the
summary (`topic_summary.py`: jieba words, counted keywords, rapidfuzz groups) in a worker thread, at most
every `SUMMARY_EVERY_MS` while it changed and while staff are connected to it, for its own consoles. The
node that recorded the event ending a topic logs `topic.closed` (count, commenters, keywords, opinions).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import Field
from sqlalchemy import func, select

from siyu.events import CommentPosted, Event, decode_payload, new_id, now_ms, payload
from siyu.realtime import protocol as wire
from siyu.realtime.fanout import Priority
from siyu.realtime.protocol import Cid, ClientMessage, ErrorCode, RoomMessage, ServerMessage
from siyu.rooms.feature import Feature, follows, handles
from siyu.rooms.room import Member
from siyu.store.tables import events

from .topic_summary import Keyword, Opinion, Said, Words, cut, keywords, opinions

log = logging.getLogger(__name__)

KEEP = 2000  # the latest comments of a topic the summary reads (the count and commenters are exact)
SUMMARY_EVERY_MS = 2000


class TopicCode:
    NONE = "topic.none"


TEXT = {TopicCode.NONE: "当前没有置顶话题"}
wire.ERROR_TEXT.update(TEXT)


# --- events ------------------------------------------------------------------------------------------
@payload
@dataclass(frozen=True, slots=True)
class TopicPinned:
    TYPE: ClassVar[str] = "topic.pinned"
    topic_id: str
    text: str
    by: str


@payload
@dataclass(frozen=True, slots=True)
class TopicUnpinned:
    TYPE: ClassVar[str] = "topic.unpinned"
    topic_id: str
    by: str


@payload
@dataclass(frozen=True, slots=True)
class TopicClosed:
    """A topic ended (unpinned, or replaced by the next pin): its summary, for analytics (no seq)."""

    TYPE: ClassVar[str] = "topic.closed"
    topic_id: str
    text: str
    pin_seq: int
    end_seq: int
    count: int
    commenters: int
    keywords: list[str]
    keyword_counts: list[int]
    opinions: list[str]


# --- client messages -------------------------------------------------------------------------------
class TopicPinIn(ClientMessage):
    type: Literal["topic_pin"]
    text: str = Field(min_length=1, max_length=100)
    cid: Cid | None = None


class TopicUnpinIn(ClientMessage):
    type: Literal["topic_unpin"]
    cid: Cid | None = None


# --- server messages -------------------------------------------------------------------------------
@dataclass(slots=True, frozen=True)
class TopicRef:
    id: str
    text: str
    by: str
    since: int  # ms: when it was pinned


@dataclass(slots=True, kw_only=True)
class TopicMessage(RoomMessage):
    """The pinned topic (sequenced), or `topic: null` when it was unpinned."""

    type: Literal["topic"] = "topic"
    topic: TopicRef | None


@dataclass(slots=True, kw_only=True)
class TopicSummary(ServerMessage):
    """Staff only: what the comments on the topic say so far (at most every 2 s, when it changed)."""

    type: Literal["topic_summary"] = "topic_summary"
    topic_id: str
    text: str
    count: int
    commenters: int
    keywords: list[Keyword]
    opinions: list[Opinion]
    kept: int  # the latest comments keywords and opinions were read from (at most KEEP)
    ts: int


@dataclass(slots=True)
class Topic:
    """The pinned topic as this node follows it."""

    ref: TopicRef
    pin_seq: int
    pinner: str
    words: Words
    comments: deque[Said] = field(default_factory=lambda: deque(maxlen=KEEP))
    count: int = 0
    users: set[str] = field(default_factory=set)
    version: int = 0  # bumped per linked comment
    summarized: int = -1  # the version of the last summary
    summary: TopicSummary | None = None

    def link(self, said: Said) -> None:
        self.comments.append(said)
        self.count += 1
        self.users.add(said.user_id)
        self.version += 1


def summarize(t: Topic, comments: list[Said], count: int, commenters: int) -> TopicSummary:
    """The summary of a snapshot (runs in a worker thread: it reads only what it was given)."""
    cut(comments, t.words)
    return TopicSummary(
        topic_id=t.ref.id, text=t.ref.text, count=count, commenters=commenters, keywords=keywords(comments),
        opinions=opinions(comments), kept=len(comments), ts=now_ms(),
    )  # fmt: skip


class Topics(Feature):
    name = "topics"

    def __init__(self, room: Any) -> None:
        super().__init__(room)
        self.current: Topic | None = None
        self.through = 0  # topic and comment events up to this seq are applied (load(), then the stream)
        self.ending_here: set[str] = set()  # ids of the pin/unpin events this node records
        self.computing = False
        self.last_summary_ms = 0
        self.room_words = [str(c.get("short_name") or "") for c in room.products.values()]

    def _open(self, p: TopicPinned, seq: int, pinner: str, ts: int) -> Topic:
        ref = TopicRef(p.topic_id, p.text, p.by, ts)
        self.current = Topic(ref, seq, pinner, Words(self.room_words, p.text))
        return self.current

    # --- the log -----------------------------------------------------------------------------------
    async def load(self) -> None:
        """The pinned topic (the latest topic event, if a pin) and its window's comments, from the log."""
        room_id = self.room.info.id
        kinds = (TopicPinned.TYPE, TopicUnpinned.TYPE)
        last = (
            select(events.c.type, events.c.seq, events.c.user_id, events.c.payload, events.c.ts)
            .where(events.c.room_id == room_id, events.c.type.in_(kinds), events.c.seq.is_not(None))
            .order_by(events.c.seq.desc())
            .limit(1)
        )
        window = (
            events.c.room_id == room_id,
            events.c.type == CommentPosted.TYPE,
            events.c.payload["role"].as_string() == "viewer",
        )
        async with self.room.service.db.engine.connect() as conn:
            row = (await conn.execute(last)).first()
            if row is None:
                return
            kind, seq, pinner, body, ts = row
            self.through = int(seq)
            if kind != TopicPinned.TYPE:
                return
            t = self._open(decode_payload(kind, body), int(seq), pinner or "", int(ts))
            after = events.c.seq > t.pin_seq
            t.count = int(await conn.scalar(select(func.count()).where(*window, after)) or 0)
            users = await conn.execute(select(events.c.user_id).distinct().where(*window, after))
            t.users = {str(u) for (u,) in users if u is not None}
            q = select(events.c.seq, events.c.user_id, events.c.payload).where(*window, after)
            rows = (await conn.execute(q.order_by(events.c.seq.desc()).limit(KEEP))).all()
        for s, user_id, p in reversed(rows):
            t.comments.append(Said(int(s), str(user_id), str(p["text"])))
            self.through = max(self.through, int(s))
        t.version = t.count

    # --- following the room --------------------------------------------------------------------------
    def _fresh(self, event: Event[Any]) -> bool:
        """Not applied yet (load() read it, or the room's replay brings it again): move the mark."""
        if event.seq is None or event.seq <= self.through:
            return False
        self.through = event.seq
        return True

    @follows(CommentPosted)
    def _comment(self, event: Event[CommentPosted]) -> None:
        t = self.current
        if t is None or not self._fresh(event) or event.user_id is None or event.payload.role != "viewer":
            return
        assert event.seq is not None
        t.link(Said(event.seq, event.user_id, event.payload.text))

    @follows(TopicPinned)
    def _pinned(self, event: Event[TopicPinned]) -> None:
        if self._fresh(event):
            assert event.seq is not None
            self._end(event)
            self._open(event.payload, event.seq, event.user_id or "", event.ts)

    @follows(TopicUnpinned)
    def _unpinned(self, event: Event[TopicUnpinned]) -> None:
        if self._fresh(event):
            self._end(event)  # an unpin ends whichever topic is pinned (the window rule)
            self.current = None

    def _end(self, event: Event[Any]) -> None:
        ended, self.current = self.current, None
        if event.id in self.ending_here:
            self.ending_here.discard(event.id)
            if ended is not None:  # this node recorded the end: it logs the topic's summary
                assert event.seq is not None
                self.room.spawn(self._close(ended, event.seq))

    async def _close(self, t: Topic, end_seq: int) -> None:
        try:
            s = await asyncio.to_thread(summarize, t, list(t.comments), t.count, len(t.users))
            closed = TopicClosed(
                t.ref.id, t.ref.text, t.pin_seq, end_seq, s.count, s.commenters, [k.word for k in s.keywords],
                [k.count for k in s.keywords], [o.text for o in s.opinions],
            )  # fmt: skip
            event = self.room.event_for(None, closed)
            event.user_id = t.pinner  # the log keeps one close per topic (the once-key under the pinner)
            await self.room.record(None, None, event, None, Priority.LOW, once=f"topic-closed:{t.ref.id}")
        except Exception:
            log.exception("room %s: logging the close of topic %s failed", self.room.info.id, t.ref.id)

    # --- what people see -----------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {"topic": self.current.ref if self.current is not None else None}

    def staff_snapshot(self) -> dict[str, Any]:
        t = self.current
        return {"topic_summary": t.summary if t is not None else None}

    def tick(self, now_ms: int) -> None:
        t = self.current
        if t is None or self.computing or t.version == t.summarized or not self.room.channel.staff:
            return
        if now_ms - self.last_summary_ms < SUMMARY_EVERY_MS:
            return
        self.computing, self.last_summary_ms = True, now_ms
        self.room.spawn(self._summary(t))

    async def _summary(self, t: Topic) -> None:
        version = t.version
        try:
            s = await asyncio.to_thread(summarize, t, list(t.comments), t.count, len(t.users))
        except Exception:
            log.exception("room %s: the summary of topic %s failed", self.room.info.id, t.ref.id)
            return
        finally:
            self.computing = False
        t.summary, t.summarized = s, version
        if self.current is t:
            self.room.to_staff(s)

    # --- pin and unpin -------------------------------------------------------------------------------
    def _staff(self, m: Member, cid: str | None, what: str) -> bool:
        if not m.is_staff:
            m.send(wire.reject(cid, ErrorCode.FORBIDDEN_ROLE, f"只有主播、场控或运营可以{what}话题"))
            return False
        return cid is None or not self.room.answer_known(m, cid)

    @handles(TopicPinIn)
    def pin(self, m: Member, msg: TopicPinIn) -> None:
        if not self._staff(m, msg.cid, "置顶"):
            return
        text = " ".join(msg.text.split())
        if not text:
            m.send(wire.reject(msg.cid, ErrorCode.BAD_MESSAGE, "话题不能为空"))
            return
        pinned = TopicPinned(new_id(), text, m.nickname)
        event = self.room.event_for(m, pinned)
        message = TopicMessage(topic=TopicRef(pinned.topic_id, text, m.nickname, event.ts))
        self._record(m, msg.cid, event, message, None)

    @handles(TopicUnpinIn)
    def unpin(self, m: Member, msg: TopicUnpinIn) -> None:
        if not self._staff(m, msg.cid, "取消"):
            return
        t = self.current
        if t is None:
            m.send(wire.reject(msg.cid, TopicCode.NONE, TEXT[TopicCode.NONE]))
            return
        event = self.room.event_for(m, TopicUnpinned(t.ref.id, m.nickname))
        event.user_id = t.pinner  # one unpin per topic in the log, whichever staff or node sends it first
        self._record(m, msg.cid, event, TopicMessage(topic=None), f"topic-unpin:{t.ref.id}")

    def _record(
        self, m: Member, cid: str | None, event: Event[Any], msg: TopicMessage, once: str | None
    ) -> None:
        """Record a pin or unpin; this node will log the close of the topic it ends (if it commits)."""
        self.ending_here.add(event.id)

        def failed(f: asyncio.Future[None]) -> None:
            if f.cancelled() or f.exception() is not None:
                self.ending_here.discard(event.id)

        self.room.record(m, cid, event, msg, Priority.HIGH, once=once).add_done_callback(failed)
