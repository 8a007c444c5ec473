"""Polls as a room feature (issue 12): the staff ask, viewers vote once, the room sees the result.

`poll_start` (staff) opens the room's one poll: free options, a quiz (`answer`), or a 选款 pick of the
room's products; it is the sequenced `poll` message. `vote` is final: it is recorded with the log's
once-key `vote:<poll_id>`, so the log keeps one vote per viewer whichever node or connection sent it; a
second vote gets the first vote's ack. Votes count in the room counters `poll:<poll_id>:<index>` (summed by
the broker) that `poll_tally` shows; `poll_close` or the deadline makes `poll_result`, counted from the log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field
from sqlalchemy import select

from siyu.events import Event, new_id, now_ms, payload
from siyu.realtime import protocol as wire
from siyu.realtime.fanout import Priority
from siyu.realtime.protocol import Cid, ClientMessage, ErrorCode, RoomMessage, ServerMessage
from siyu.rooms import answers
from siyu.rooms.feature import Feature, follows, handles
from siyu.rooms.room import Counter, Member
from siyu.store.tables import events

log = logging.getLogger(__name__)
MAX_SECONDS = 600  # the longest poll


class PollCode:
    OPEN = "poll.open"
    UNKNOWN = "poll.unknown"
    CLOSED = "poll.closed"
    BAD_OPTION = "poll.bad_option"


TEXT = {
    PollCode.OPEN: "已有进行中的投票",
    PollCode.UNKNOWN: "没有这个投票",
    PollCode.CLOSED: "投票已结束",
    PollCode.BAD_OPTION: "没有这个选项",
}
wire.ERROR_TEXT.update(TEXT)


# --- events ------------------------------------------------------------------------------------------
@payload
@dataclass(frozen=True, slots=True)
class PollStarted:
    TYPE: ClassVar[str] = "poll.started"
    poll_id: str
    question: str
    options: list[str]
    product_ids: list[str] | None
    answer: int | None
    opens_at: int
    until: int
    by: str


@payload
@dataclass(frozen=True, slots=True)
class PollVoted:
    TYPE: ClassVar[str] = "poll.voted"
    poll_id: str
    option: int


@payload
@dataclass(frozen=True, slots=True)
class PollClosed:
    TYPE: ClassVar[str] = "poll.closed"
    poll_id: str
    counts: list[int]
    total: int
    winner: int | None
    answer: int | None
    by: str | None


# --- client messages -------------------------------------------------------------------------------
OptionText = Annotated[str, Field(min_length=1, max_length=20)]
ProductId = Annotated[str, Field(min_length=1, max_length=64)]


class PollStartIn(ClientMessage):
    """Staff: open a poll of 2–6 `options` or 2–6 `product_ids` (选款) for `seconds`; `answer`: a quiz."""

    type: Literal["poll_start"]
    question: str = Field(min_length=1, max_length=60)
    options: list[OptionText] | None = Field(None, min_length=2, max_length=6)
    product_ids: list[ProductId] | None = Field(None, min_length=2, max_length=6)
    seconds: int = Field(60, ge=10, le=MAX_SECONDS)
    answer: int | None = Field(None, ge=0, le=5)
    cid: Cid | None = None


class VoteIn(ClientMessage):
    type: Literal["vote"]
    poll_id: str = Field(min_length=1, max_length=64)
    option: int = Field(ge=0, le=5)
    cid: Cid


class PollCloseIn(ClientMessage):
    type: Literal["poll_close"]
    poll_id: str = Field(min_length=1, max_length=64)
    cid: Cid | None = None


# --- server messages -------------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class PollOption:
    index: int
    text: str
    product_id: str | None = None


@dataclass(slots=True, kw_only=True)
class PollMessage(RoomMessage):
    type: Literal["poll"] = "poll"
    poll_id: str
    question: str
    options: list[PollOption]
    kind: str
    until: int


@dataclass(slots=True, kw_only=True)
class PollTally(ServerMessage):
    """The open poll's counts so far (unsequenced, at most once a second, only when they changed)."""

    type: Literal["poll_tally"] = "poll_tally"
    poll_id: str
    counts: list[int]
    total: int


@dataclass(slots=True, kw_only=True)
class PollResult(RoomMessage):
    """A poll closed (sequenced): the counts, the winner (most votes, ties: lowest index), a quiz's answer."""

    type: Literal["poll_result"] = "poll_result"
    poll_id: str
    counts: list[int]
    total: int
    winner: int | None
    answer: int | None


@dataclass(slots=True)
class Poll:
    """The open poll as this node knows it; `counters[i].value` is option i's room-wide count."""

    started: PollStarted
    starter: str
    counters: list[Counter]
    shown: tuple[int, ...] | None = None
    closing: bool = False
    voters: dict[str, int] = field(default_factory=dict)  # the votes this node knows: user -> option

    @property
    def poll_id(self) -> str:
        return self.started.poll_id


def poll_message(p: PollStarted) -> PollMessage:
    ids: list[str | None] = [None] * len(p.options) if p.product_ids is None else list(p.product_ids)
    options = [PollOption(i, text, pid) for i, (text, pid) in enumerate(zip(p.options, ids, strict=True))]
    kind = "pick" if p.product_ids is not None else "quiz" if p.answer is not None else "poll"
    return PollMessage(poll_id=p.poll_id, question=p.question, options=options, kind=kind, until=p.until)


def winner_of(counts: list[int]) -> int | None:
    """The option with the most votes (ties: the lowest index); None when nobody voted."""
    if not counts or max(counts) == 0:
        return None
    return counts.index(max(counts))


class Polls(Feature):
    name = "polls"

    def __init__(self, room: Any) -> None:
        super().__init__(room)
        self.open: Poll | None = None
        self.closed: set[str] = set()  # the polls this node knows were closed

    # --- the log -----------------------------------------------------------------------------------

    async def _rows(self, kind: str, since: int, user_id: str | None = None, cid: str = "") -> list[Any]:
        q = select(events.c.user_id, events.c.payload).where(
            events.c.room_id == self.room.info.id, events.c.type == kind, events.c.ts >= since
        )
        if user_id is not None:
            q = q.where(events.c.user_id == user_id, events.c.cid == cid)
        async with self.room.service.db.engine.connect() as conn:
            return list((await conn.execute(q.order_by(events.c.ts))).all())

    async def tally(self, p: PollStarted) -> list[int]:
        """The poll's counts as the log keeps them (one vote per viewer: the once-key)."""
        counts = [0] * len(p.options)
        for _user, body in await self._rows(PollVoted.TYPE, p.opens_at):
            if body.get("poll_id") == p.poll_id and 0 <= int(body["option"]) < len(counts):
                counts[int(body["option"])] += 1
        return counts

    async def load(self) -> None:
        """The open poll (the latest started and not closed) and its counts, from the log."""
        since = now_ms() - 2 * MAX_SECONDS * 1000
        for _user, body in await self._rows(PollClosed.TYPE, since):
            self.closed.add(body["poll_id"])
        started = await self._rows(PollStarted.TYPE, since)
        for _user, body in started[:-1]:
            self.closed.add(body["poll_id"])  # an earlier poll: closed when the next one started
        if not started or started[-1][1]["poll_id"] in self.closed:
            return
        user_id, body = started[-1]
        p = PollStarted(**body)
        poll = self._track(p, user_id or "")
        for counter, n in zip(poll.counters, await self.tally(p), strict=True):
            await self.room.seed(counter, n)

    def _track(self, p: PollStarted, starter: str) -> Poll:
        if self.open is not None and self.open.poll_id == p.poll_id:
            return self.open
        names = [f"poll:{p.poll_id}:{i}" for i in range(len(p.options))]
        counters = [self.room.counter(name, per_session=False) for name in names]
        self.open = Poll(p, starter, counters, shown=tuple(c.value for c in counters))
        return self.open

    def state(self) -> dict[str, Any]:
        """The open poll without its counts (`poll_tally` brings them): a late viewer sees it."""
        poll = self.open
        if poll is None or poll.closing:
            return {"poll": None}
        return {"poll": poll_message(poll.started)}

    def on_enter(self, m: Member, returning: bool) -> None:  # the counts at once: `poll_tally` says changes
        if (poll := self.open) is not None and not poll.closing:
            counts = [c.value for c in poll.counters]
            m.send(wire.encode(PollTally(poll_id=poll.poll_id, counts=counts, total=sum(counts))))

    def tick(self, now_ms: int) -> None:
        """The deadline's close, or the counts when they changed (the tick runs once a second)."""
        poll = self.open
        if poll is None or poll.closing:
            return
        if poll.started.until <= now_ms:
            poll.closing = True
            self.room.spawn(self._close(poll, None, None))
            return
        counts = [c.value for c in poll.counters]
        if tuple(counts) != poll.shown:
            poll.shown = tuple(counts)
            self.room.post(PollTally(poll_id=poll.poll_id, counts=counts, total=sum(counts)), Priority.NORMAL)

    @follows(PollStarted)
    def _started(self, event: Event[PollStarted]) -> None:
        if event.payload.poll_id not in self.closed:
            self._track(event.payload, event.user_id or "")

    @follows(PollClosed)
    def _closed(self, event: Event[PollClosed]) -> None:
        self.closed.add(event.payload.poll_id)
        if self.open is not None and self.open.poll_id == event.payload.poll_id:
            self.open = None

    # --- start -------------------------------------------------------------------------------------

    @handles(PollStartIn)
    def start(self, m: Member, msg: PollStartIn) -> None:
        if not m.is_staff:
            m.send(wire.reject(msg.cid, ErrorCode.FORBIDDEN_ROLE, "只有主播、场控或运营可以发起投票"))
            return
        if msg.cid is not None and self.room.answer_known(m, msg.cid):
            return
        now = now_ms()
        if self.open is not None and not self.open.closing and self.open.started.until > now:
            m.send(wire.reject(msg.cid, PollCode.OPEN, TEXT[PollCode.OPEN]))
            return
        if (msg.options is None) == (msg.product_ids is None):  # (a frame's schema cannot say "one of")
            m.send(wire.reject(msg.cid, ErrorCode.BAD_MESSAGE, "options 和 product_ids 需要其中一个"))
            return
        if msg.product_ids is not None:
            cards = [self.room.products.get(pid) for pid in msg.product_ids]
            if any(c is None for c in cards) or len(set(msg.product_ids)) != len(msg.product_ids):
                m.send(wire.reject(msg.cid, PollCode.BAD_OPTION, "直播间没有这个商品"))
                return
            texts = [f"{c['link_no']}号 {c['short_name'] or c['name']}" for c in cards if c is not None]
        else:
            texts = list(msg.options or ())
        if msg.answer is not None and msg.answer >= len(texts):
            m.send(wire.reject(msg.cid, PollCode.BAD_OPTION, "答案不是其中一个选项"))
            return
        started = PollStarted(
            new_id(), msg.question, texts, None if msg.product_ids is None else list(msg.product_ids),
            msg.answer, now, now + msg.seconds * 1000, m.nickname,
        )  # fmt: skip
        poll = self._track(started, m.user_id)  # this node refuses a second start at once
        fut = self.room.record(m, msg.cid, self.room.event_for(m, started), poll_message(started))

        def failed(f: Any) -> None:
            if (f.cancelled() or f.exception() is not None) and self.open is poll:
                self.open = None

        fut.add_done_callback(failed)

    # --- vote --------------------------------------------------------------------------------------

    @handles(VoteIn)
    def vote(self, m: Member, msg: VoteIn) -> None:
        if self.room.answer_known(m, msg.cid):
            return
        poll = self.open if self.open is not None and self.open.poll_id == msg.poll_id else None
        if poll is None:
            code = PollCode.CLOSED if msg.poll_id in self.closed else PollCode.UNKNOWN
            m.send(wire.reject(msg.cid, code, TEXT[code]))
            return
        if poll.closing or poll.started.until <= now_ms():
            m.send(wire.reject(msg.cid, PollCode.CLOSED, TEXT[PollCode.CLOSED]))
            return
        if msg.option >= len(poll.counters):
            m.send(wire.reject(msg.cid, PollCode.BAD_OPTION, TEXT[PollCode.BAD_OPTION]))
            return
        answers.answer(self.room, m, msg.cid, lambda: self._vote(m, msg, poll))

    async def _vote(self, m: Member, msg: VoteIn, poll: Poll) -> dict[str, Any]:
        option = poll.voters.get(m.user_id)  # voted before (on this node): the first vote's answer
        if option is None:
            counted: list[int] = []

            def count(_seq: int | None) -> None:
                counted.append(msg.option)
                poll.counters[msg.option].add(1)  # on the node that committed it; the broker sums the nodes

            event = self.room.event_for(m, PollVoted(poll.poll_id, msg.option))
            once = f"vote:{poll.poll_id}"
            await self.room.record(m, None, event, None, Priority.NORMAL, after=count, once=once)
            if not counted:  # another connection or node was first: the vote the log kept
                kept = await self._rows(PollVoted.TYPE, poll.started.opens_at, m.user_id, f"~{once}")
                counted.append(int(kept[0][1]["option"]))
            option = poll.voters[m.user_id] = counted[0]
        return {"vote": {"poll_id": poll.poll_id, "option": option}}

    # --- close -------------------------------------------------------------------------------------

    @handles(PollCloseIn)
    def close(self, m: Member, msg: PollCloseIn) -> None:
        if not m.is_staff:
            m.send(wire.reject(msg.cid, ErrorCode.FORBIDDEN_ROLE, "只有主播、场控或运营可以结束投票"))
            return
        if msg.cid is not None and self.room.answer_known(m, msg.cid):
            return
        poll = self.open if self.open is not None and self.open.poll_id == msg.poll_id else None
        if poll is None or poll.closing:
            closed = poll is not None or msg.poll_id in self.closed
            code = PollCode.CLOSED if closed else PollCode.UNKNOWN
            m.send(wire.reject(msg.cid, code, TEXT[code]))
            return
        poll.closing = True
        self.room.spawn(self._close(poll, m, msg.cid))

    async def _close(self, poll: Poll, m: Member | None, cid: str | None) -> None:
        """The result from the log's votes, once per poll (the once-key under the starter's id), any node."""
        p, recording = poll.started, False
        try:
            counts = await self.tally(p)
            closed = PollClosed(p.poll_id, counts, sum(counts), winner_of(counts), p.answer,
                                m.nickname if m else None)  # fmt: skip
            result = PollResult(
                poll_id=p.poll_id, counts=counts, total=sum(counts), winner=closed.winner, answer=p.answer
            )
            event = self.room.event_for(m, closed)
            event.user_id, recording = poll.starter, True
            await self.room.record(m, cid, event, result, Priority.HIGH, once=f"poll-close:{p.poll_id}")
        except Exception:
            log.exception("room %s: closing poll %s failed", self.room.info.id, p.poll_id)
            poll.closing = False  # the next tick (or a re-sent close) tries again
            if m is not None and not recording:  # record() answers the cid itself once it has it
                m.send(wire.reject(cid, ErrorCode.STORE_UNAVAILABLE, "暂时无法保存，请重试"))
