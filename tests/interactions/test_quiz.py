"""Quiz rewards on the room runtime: the right answer of a quiz wins a coupon, given once per viewer into
their wallet when the quiz closes; the wrong answers get nothing; refusals."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from siyu.auth import Role
from siyu.interactions.quiz import QuizRewardIn, QuizRewards
from siyu.rooms.room import Room
from siyu.store.tables import coupon_grants, events
from tests.interactions.test_coupons import ack_of, code
from tests.interactions.test_polls import close, start, vote
from tests.rooms.test_runtime import FakeMember, room, settled

__all__ = ["room"]


async def reward(room: Room, m: FakeMember, poll_id: str, coupon_id: str, cid: str) -> dict:  # type: ignore[type-arg]
    room.dispatch(m, QuizRewardIn(type="quiz_reward", poll_id=poll_id, coupon_id=coupon_id, cid=cid))
    return await ack_of(m, cid)


async def test_the_right_answer_wins_the_coupon_once(room: Room) -> None:
    host, right, also, wrong = FakeMember("h", Role.HOST), FakeMember("r1"), FakeMember("r2"), FakeMember("w")
    for m in (host, right, also, wrong):
        room.enter(m)
    quiz = (await start(room, host, "q", question="这件是什么面料", options=["棉", "麻", "真丝"], answer=2))
    poll_id = quiz["msg"]["poll_id"]
    ack = await reward(room, host, poll_id, "C01", "rw")
    assert ack["msg"]["type"] == "quiz_reward" and ack["msg"]["coupon"]["id"] == "C01"
    assert room.state_values()["quiz_rewards"][poll_id].id == "C01"
    for m, option in ((right, 2), (also, 2), (wrong, 0)):
        assert "vote" in await vote(room, m, poll_id, option, "v")
    await close(room, host, poll_id, "c")
    for _ in range(500):
        await settled(room)
        if right.of("quiz_rewarded") and also.of("quiz_rewarded"):
            break
        await asyncio.sleep(0.01)
    won = right.of("quiz_rewarded")[0]
    assert won["poll_id"] == poll_id and won["coupon"]["id"] == "C01" and won["grant"]["grant_id"]
    assert also.of("quiz_rewarded") and not wrong.of("quiz_rewarded")
    assert room.state_values()["quiz_rewards"] == {}

    feature = room.feature(QuizRewards)
    answer, opened = feature.answers[poll_id]
    await feature.give(poll_id, answer, opened, "C01")  # given again (a retry): nothing more
    await settled(room)
    async with room.service.db.engine.connect() as conn:
        grants = dict((await conn.execute(
            select(coupon_grants.c.user_id, func.count()).group_by(coupon_grants.c.user_id)
        )).all())  # fmt: skip
        logged = await conn.scalar(select(func.count()).where(events.c.type == "quiz.rewarded"))
    assert grants == {"r1": 1, "r2": 1} and logged == 2


async def test_refusals(room: Room) -> None:
    host, viewer = FakeMember("h", Role.HOST), FakeMember("v")
    room.enter(host)
    room.enter(viewer)
    plain = (await start(room, host, "p", question="下一款", options=["A", "B"]))["msg"]["poll_id"]
    assert code(await reward(room, host, plain, "C01", "r1")) == "poll.unknown"  # not a quiz
    await close(room, host, plain, "c1")
    quiz = (await start(room, host, "q", question="面料", options=["棉", "麻"], answer=1))["msg"]["poll_id"]
    assert code(await reward(room, viewer, quiz, "C01", "r2")) == "forbidden_role"
    assert code(await reward(room, host, quiz, "C99", "r3")) == "coupon.unknown"
    await close(room, host, quiz, "c2")
    assert code(await reward(room, host, quiz, "C01", "r4")) == "poll.closed"
