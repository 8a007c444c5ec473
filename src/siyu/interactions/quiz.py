"""Quiz rewards (issue 12): a quiz poll (`poll_start` with an `answer`) may reward the right answer with a
coupon. Staff set it with `quiz_reward` while the quiz is open (the sequenced `quiz_reward` tells the room
"答对送…"); when the quiz closes, the node that committed the close gives the coupon to every viewer whose
(final) vote was the answer, through `grants.give_coupon` (idempotent per viewer and quiz), logs
`quiz.rewarded` once per viewer and tells each of them privately (`quiz_rewarded`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import Field
from sqlalchemy import select

from siyu.events import Event, payload
from siyu.realtime import protocol as wire
from siyu.realtime.fanout import Priority
from siyu.realtime.protocol import Cid, ClientMessage, ErrorCode, RoomMessage, ServerMessage
from siyu.rooms.feature import Feature, committed, follows, handles
from siyu.rooms.room import Member
from siyu.store.tables import events

from .coupons import TEXT as COUPON_TEXT
from .coupons import CouponCode, CouponRef, Coupons
from .grants import give_coupon
from .polls import TEXT as POLL_TEXT
from .polls import PollClosed, PollCode, PollStarted, PollVoted
from .store import CouponStore

log = logging.getLogger(__name__)


class QuizRewardIn(ClientMessage):
    """Staff: reward the right answer of the open quiz `poll_id` with the shop's coupon `coupon_id`."""

    type: Literal["quiz_reward"]
    poll_id: str = Field(min_length=1, max_length=64)
    coupon_id: str = Field(min_length=1, max_length=64)
    cid: Cid | None = None


@payload
@dataclass(frozen=True, slots=True)
class QuizRewardSet:
    TYPE: ClassVar[str] = "quiz.reward_set"
    poll_id: str
    coupon_id: str
    by: str


@payload
@dataclass(frozen=True, slots=True)
class QuizRewarded:
    TYPE: ClassVar[str] = "quiz.rewarded"
    poll_id: str
    coupon_id: str
    grant: dict[str, Any]


@dataclass(slots=True, kw_only=True)
class QuizReward(RoomMessage):
    """The room is told what the right answer wins (shown on the quiz card)."""

    type: Literal["quiz_reward"] = "quiz_reward"
    poll_id: str
    coupon: CouponRef


@dataclass(slots=True, kw_only=True)
class QuizRewardedMsg(ServerMessage):
    """To one viewer who answered right: the coupon is in their wallet."""

    type: Literal["quiz_rewarded"] = "quiz_rewarded"
    poll_id: str
    coupon: CouponRef
    grant: dict[str, Any]


class QuizRewards(Feature):
    name = "quiz"

    def __init__(self, room: Any) -> None:
        super().__init__(room)
        self.answers: dict[str, tuple[int, int]] = {}  # quizzes: poll id -> (the right option, opened at)
        self.rewards: dict[str, str] = {}  # poll id -> coupon id
        self.closed: set[str] = set()

    @follows(PollStarted)
    def _started(self, event: Event[PollStarted]) -> None:
        if event.payload.answer is not None:
            self.answers[event.payload.poll_id] = (event.payload.answer, event.payload.opens_at)

    @follows(QuizRewardSet)
    def _reward_set(self, event: Event[QuizRewardSet]) -> None:
        self.rewards[event.payload.poll_id] = event.payload.coupon_id

    @follows(PollClosed)
    def _closed(self, event: Event[PollClosed]) -> None:
        self.closed.add(event.payload.poll_id)

    def state(self) -> dict[str, Any]:
        """The open quiz's reward, for a viewer who enters during it."""
        coupons = self.room.find(Coupons)
        out = {}
        for poll_id, coupon_id in self.rewards.items():
            coupon = coupons.coupon(coupon_id) if coupons is not None else None
            if poll_id not in self.closed and coupon is not None:
                out[poll_id] = CouponRef.of(coupon)
        return {"quiz_rewards": out}

    @handles(QuizRewardIn)
    def set_reward(self, m: Member, msg: QuizRewardIn) -> None:
        if not m.is_staff:
            m.send(wire.reject(msg.cid, ErrorCode.FORBIDDEN_ROLE, "只有主播、场控或运营可以设置奖励"))
            return
        if msg.poll_id not in self.answers:
            m.send(wire.reject(msg.cid, PollCode.UNKNOWN, "没有这个答题（需要设置了正确答案的投票）"))
            return
        if msg.poll_id in self.closed:
            m.send(wire.reject(msg.cid, PollCode.CLOSED, POLL_TEXT[PollCode.CLOSED]))
            return
        coupons = self.room.find(Coupons)
        coupon = coupons.coupon(msg.coupon_id) if coupons is not None else None
        if coupon is None:
            m.send(wire.reject(msg.cid, CouponCode.UNKNOWN, COUPON_TEXT[CouponCode.UNKNOWN]))
            return
        event = self.room.event_for(m, QuizRewardSet(msg.poll_id, coupon.id, m.nickname))
        self.room.record(m, msg.cid, event, QuizReward(poll_id=msg.poll_id, coupon=CouponRef.of(coupon)))

    @committed(PollClosed)
    def _give(self, event: Event[PollClosed]) -> None:
        poll_id = event.payload.poll_id
        if poll_id in self.rewards and poll_id in self.answers:
            answer, opened = self.answers[poll_id]
            self.room.spawn(self.give(poll_id, answer, opened, self.rewards[poll_id]))

    async def right_voters(self, poll_id: str, answer: int, since: int) -> list[str]:
        q = select(events.c.user_id, events.c.payload).where(
            events.c.room_id == self.room.info.id, events.c.type == PollVoted.TYPE, events.c.ts >= since
        )
        async with self.room.service.db.engine.connect() as conn:
            rows = (await conn.execute(q.order_by(events.c.ts))).all()
        want = (poll_id, answer)
        return [str(u) for u, b in rows if u and (b.get("poll_id"), b.get("option")) == want]

    async def give(self, poll_id: str, answer: int, opened: int, coupon_id: str) -> None:
        """The reward to each viewer whose vote was the answer (the log keeps one vote per viewer)."""
        coupons = self.room.find(Coupons)
        coupon = coupons.coupon(coupon_id) if coupons is not None else None
        if coupon is None:
            return
        store = coupons.store if coupons is not None else CouponStore(self.room.service.db)
        store.committed = self.room.deps.bus.publish
        right = await self.right_voters(poll_id, answer, opened)
        ref = CouponRef.of(coupon)
        for user_id in right:
            try:
                grant = await give_coupon(self.room, store, coupon, user_id, f"quiz-reward:{poll_id}")
            except Exception:
                log.exception("room %s: the quiz reward of %s failed", self.room.info.id, user_id)
                continue
            body = QuizRewarded(poll_id, coupon.id, grant.wire())
            rewarded = self.room.event_for(None, body)
            rewarded.user_id = str(user_id)
            message = QuizRewardedMsg(poll_id=poll_id, coupon=ref, grant=grant.wire())

            def tell(_seq: int | None, user: str = str(user_id), msg: QuizRewardedMsg = message) -> None:
                self.room.to_user(user, msg)

            once = f"quiz-won:{poll_id}"  # (the grant's own claim is keyed quiz-reward:<poll>)
            self.room.record(None, None, rewarded, None, Priority.HIGH, after=tell, once=once)
