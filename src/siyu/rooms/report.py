"""What happened in one live session, counted from the event log (the demo's closing summary, and later
the host's end-of-live report). Plain Chinese for people; the figures as a dict for machines."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import func, select

from siyu.store.db import Database
from siyu.store.tables import events, live_sessions

BOUNCE_MS = 3000


@dataclass(frozen=True, slots=True)
class SessionReport:
    title: str
    minutes: int
    entries: int  # viewer.entered events (people may come back)
    viewers: int  # distinct users who entered
    bounced: int  # leaves within 3 s of entering (the 三秒判断)
    comments: int
    questions: int
    assistant_answers: int
    hidden: int
    likes: int
    gifts: int
    gift_coins: int
    follows: int
    coupons_claimed: int = 0
    votes: int = 0
    orders: int = 0
    buyers: int = 0
    gmv: float = 0.0  # yuan: what this session's orders cost
    bag_entries: int = 0  # lucky-bag entries
    bag_winners: int = 0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def text(self) -> str:
        bounce = f"，其中 {self.bounced} 次在 3 秒内离开" if self.bounced else ""
        return (
            f"本场「{self.title}」直播约 {self.minutes} 分钟：{self.viewers} 位观众进入直播间"
            f"（共 {self.entries} 人次{bounce}）；评论 {self.comments} 条，其中提问 {self.questions} 条，"
            f"AI助理回答了 {self.assistant_answers} 条，风控隐藏 {self.hidden} 条；点赞 {self.likes} 次；"
            f"收到礼物 {self.gifts} 个，共 {self.gift_coins} 币；新增关注 {self.follows} 人；"
            f"领券 {self.coupons_claimed} 张，投票 {self.votes} 次；"
            f"福袋参与 {self.bag_entries} 人次、中奖 {self.bag_winners} 人；"
            f"{self.buyers} 位观众下单 {self.orders} 笔，成交 {self.gmv:.2f} 元。"
        )


async def session_report(db: Database, session_id: str) -> SessionReport:
    """The figures of live session `session_id`, from its events."""
    kinds = ("viewer.left", "like.sent", "gift.sent", "comment.posted", "order.placed")
    in_session = events.c.session_id == session_id
    async with db.engine.connect() as conn:
        q_row = select(live_sessions).where(live_sessions.c.id == session_id)
        row = (await conn.execute(q_row)).mappings().one()
        q_types = select(events.c.type, func.count()).where(in_session).group_by(events.c.type)
        counted = (await conn.execute(q_types)).all()
        by_type = {str(t): int(n) for t, n in counted}
        distinct_users = func.count(func.distinct(events.c.user_id))
        entered = events.c.type == "viewer.entered"
        viewers = await conn.scalar(select(distinct_users).where(in_session, entered))
        sums = {"bounced": 0, "likes": 0, "gifts": 0, "gift_coins": 0, "questions": 0, "gmv_cents": 0}
        q = select(events.c.type, events.c.payload).where(in_session, events.c.type.in_(kinds))
        async for kind, p in await conn.stream(q):
            if kind == "viewer.left":
                sums["bounced"] += int(int(p["dwell_ms"]) < BOUNCE_MS)
            elif kind == "like.sent":
                sums["likes"] += int(p["count"])
            elif kind == "gift.sent":
                sums["gifts"] += int(p["count"])
                sums["gift_coins"] += int(p["coins"])
            elif kind == "order.placed":
                sums["gmv_cents"] += int(p["total_cents"])
            else:
                sums["questions"] += int(bool(p.get("question")))
        placed = events.c.type == "order.placed"
        buyers = await conn.scalar(select(distinct_users).where(in_session, placed))
        last = await conn.scalar(select(func.max(events.c.ts)).where(in_session))
    gmv = sums.pop("gmv_cents") / 100
    end = row["ended_at"] or last or row["started_at"]
    return SessionReport(
        title=row["title"],
        minutes=max(0, round((int(end) - int(row["started_at"])) / 60000)),
        entries=int(by_type.get("viewer.entered", 0)),
        viewers=int(viewers or 0),
        comments=int(by_type.get("comment.posted", 0)) + int(by_type.get("comment.hidden", 0)),
        assistant_answers=int(by_type.get("assistant.answered", 0)),
        hidden=int(by_type.get("comment.hidden", 0)),
        follows=int(by_type.get("viewer.followed", 0)),
        coupons_claimed=int(by_type.get("coupon.claimed", 0)),
        votes=int(by_type.get("poll.voted", 0)),
        orders=int(by_type.get("order.placed", 0)),
        buyers=int(buyers or 0),
        bag_entries=int(by_type.get("luckybag.entered", 0)),
        bag_winners=int(by_type.get("luckybag.won", 0)),
        gmv=gmv,
        **sums,
    )
