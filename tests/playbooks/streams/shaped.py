"""Hand-shaped event streams for the 秀场 (show) and 1V1社交 (one_on_one) scenarios, used by record.py.

Deterministic: one random.Random(seed) drives the behaviour and makes the ids, so a re-run gives the same
events. The events look like the ones a node logs (the real payload classes; the room messages numbered by
`seq` in `ts` order; likes, claims, entries, leaves and personal answers without a seq; a personal answer's
`parent` is the question's event id, a gift-made fan club join's the gift's).
"""

from __future__ import annotations

import dataclasses
import random
from datetime import datetime, timedelta, timezone
from typing import Any

from siyu.events import (
    AssistantAnswered,
    CommentPosted,
    Context,
    Event,
    Followed,
    GiftSent,
    HostReplied,
    LikeSent,
    ProductPinned,
    SessionEnded,
    SessionStarted,
    StockChanged,
    ViewerEntered,
    ViewerLeft,
)
from siyu.interactions.fanclub_wire import FanJoined
from siyu.interactions.orders.messages import OrderPlaced
from siyu.rooms.gifts import GIFTS
from siyu.sim.phrases import NICKNAMES

START = int(datetime(2025, 6, 6, 20, 0, tzinfo=timezone(timedelta(hours=8))).timestamp() * 1000)
MINUTES = 10
END = START + MINUTES * 60_000
UNSEQUENCED = {"viewer.entered", "viewer.left", "like.sent", "coupon.claimed", "fanclub.leveled"}


@dataclasses.dataclass
class Viewer:
    user: str
    nickname: str
    level: int
    fan: bool = False
    followed: bool = False
    actions: int = 0


class Session:
    """One hand-shaped live session: add events at any time, `events()` sorts and numbers them."""

    def __init__(self, room: str, seed: int, title: str, host: str) -> None:
        self.rng = random.Random(seed)
        self.room, self.host, self.club = room, host, f"{host}家"
        self.id = self.hex()
        self._items: list[tuple[int, int, Event[Any], Event[Any] | None]] = []  # ts, order, event, replied to
        self.add(START, None, SessionStarted(title))

    def hex(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def add(
        self,
        ts: int,
        user: str | None,
        payload: Any,
        *,
        cid: str | None = None,
        parent: Event[Any] | None = None,
        actor: str | None = "user",
        reply_to: Event[Any] | None = None,
    ) -> Event[Any]:
        """`actor` "user": the acting user (a viewer's own action); None: the room's (e.g. the assistant)."""
        ctx = Context(self.hex(), parent.id if parent else None, user if actor == "user" else actor)
        event = Event(self.room, user, payload, self.id, ctx, self.hex(), ts, cid=cid)
        self._items.append((ts, len(self._items), event, reply_to))
        return event

    def events(self) -> list[Event[Any]]:
        """In ts order (ties in the order added), room messages numbered from 1; answers learn their seq."""
        self.add(END, None, SessionEnded(END - START))
        seq, out = 0, []
        for _ts, _n, event, reply_to in sorted(self._items, key=lambda item: (item[0], item[1])):
            if event.type not in UNSEQUENCED and not (
                isinstance(event.payload, AssistantAnswered) and event.payload.to == "user"
            ):
                seq += 1
                event.seq = seq
            if reply_to is not None:
                field = "question_seq" if isinstance(event.payload, AssistantAnswered) else "to_seq"
                event.payload = dataclasses.replace(event.payload, **{field: reply_to.seq})
            out.append(event)
        return out

    # --- what a viewer does ---------------------------------------------------------------------------

    def viewer(self, n: int, returning_share: float = 0.3) -> Viewer:
        nick = self.rng.choice(NICKNAMES) + (str(self.rng.randint(1, 99)) if self.rng.random() < 0.5 else "")
        return Viewer(f"{self.room}-v{n:03d}", nick, self.rng.choice([0, 0, 1, 2, 3, 5, 8, 12, 18, 25]))

    def enter(self, v: Viewer, ts: int, returning: bool) -> None:
        self.add(ts, v.user, ViewerEntered(v.nickname, v.level, "viewer", returning))

    def leave(self, v: Viewer, entered: int, ts: int) -> None:
        self.add(ts, v.user, ViewerLeft(ts - entered, 1000))

    def cid(self, v: Viewer) -> str:
        v.actions += 1
        return f"{v.user}-{v.actions}"

    def comment(self, v: Viewer, ts: int, text: str, question: bool = False) -> Event[Any]:
        badge = {"name": self.club, "level": 1, "active": True} if v.fan else None
        cid = self.cid(v)
        return self.add(ts, v.user, CommentPosted(text, cid, question, v.nickname, v.level, "viewer", badge),
                        cid=cid)  # fmt: skip

    def like(self, v: Viewer, ts: int) -> None:
        self.add(ts, v.user, LikeSent(self.rng.randint(1, 12)), cid=self.cid(v))

    def gift(self, v: Viewer, ts: int, gift_id: str) -> None:
        count = 1 if GIFTS[gift_id].coins >= 100 else self.rng.choice([1, 1, 1, 2, 5])
        sent = GiftSent(gift_id, count, GIFTS[gift_id].coins * count, v.nickname, v.level, "viewer")
        event = self.add(ts, v.user, sent, cid=self.cid(v))
        if gift_id == "fanclub_light" and not v.fan:  # the 灯牌 joins the fan club
            v.fan = True
            self.add(ts + 3, v.user, FanJoined(self.club, "gift", v.nickname), parent=event, actor=None)

    def follow(self, v: Viewer, ts: int) -> None:
        if not v.followed:
            v.followed = True
            self.add(ts, v.user, Followed(v.nickname, v.level), cid=f"~follow:{self.id}")

    def join_club(self, v: Viewer, ts: int) -> None:
        if not v.fan:
            v.fan = True
            self.add(ts, v.user, FanJoined(self.club, "free", v.nickname), cid=self.cid(v))

    def host_reply(self, question: Event[Any], ts: int, text: str) -> None:
        assert question.user_id is not None
        ts = min(ts, END - 500)
        self.add(ts, "host", HostReplied(text, f"h-{self.hex()[:8]}", 0, question.user_id, self.host),
                 cid=None, reply_to=question)  # fmt: skip

    def answer(self, question: Event[Any], ts: int, intent: str, text: str, product: str | None = None,
               handoff: bool = False) -> None:  # fmt: skip
        assert question.user_id is not None
        payload = AssistantAnswered(0, question.user_id, intent, product, text, handoff, 0.9, "user")
        self.add(ts, None, payload, parent=question, actor=None, reply_to=question)


# --- 秀场: gifts, likes, follows, fan club joins, comments; a long dwell; a silent viewer ------------------

SHOW_CHATTER = ["主播好美", "来了来了", "唱一首《晴天》吧", "666", "哈哈哈哈", "好听", "再来一首", "打卡",
                "晚上好呀", "声音好温柔", "主播今天好漂亮", "已关注", "灯牌亮起来", "太好听了吧",
                "单曲循环了"]  # fmt: skip
SHOW_QUESTIONS = ["主播多高呀", "这首歌叫什么", "几点下播", "主播是哪里人", "明天还播吗", "怎么加粉丝团"]
SHOW_GIFTS = (["heart"] * 45 + ["lightstick"] * 20 + ["rose"] * 15 + ["fanclub_light"] * 10
              + ["sportscar"] * 4 + ["rocket"] * 1)  # fmt: skip
HOST_SHOW_REPLIES = ["168哦", "《晴天》呀", "十点下播", "明天晚上八点见", "点一下灯牌就加入啦"]


def _act(s: Session, v: Viewer, ts: int, *, gift_share: float) -> None:
    """One step of an active show-room viewer."""
    roll = s.rng.random()
    if roll < 0.42:
        question = s.rng.random() < 0.12
        event = s.comment(v, ts, s.rng.choice(SHOW_QUESTIONS if question else SHOW_CHATTER), question)
        if question and s.rng.random() < 0.5:  # the host answers some, a while later
            s.host_reply(event, ts + s.rng.randint(8_000, 40_000), s.rng.choice(HOST_SHOW_REPLIES))
    elif roll < 0.75:
        s.like(v, ts)
    elif roll < 0.75 + gift_share:
        s.gift(v, ts, s.rng.choice(SHOW_GIFTS))
    elif roll < 0.955:
        s.follow(v, ts)
    else:
        s.join_club(v, ts)


def show_stream(seed: int = 613) -> list[Event[Any]]:
    s = Session("show", seed, "今晚唱歌到十点", "小雨")
    rng = s.rng
    # the long dwell: from the first minute to the last, active all along, a rocket and the 灯牌
    fan = Viewer("show-longstay", "听歌的鹿", 18)
    s.enter(fan, START + 15_000, True)
    t = START + 20_000
    while t < END - 20_000:
        _act(s, fan, t, gift_share=0.1)
        t += int(rng.expovariate(1 / 25) * 1000) + 2_000
    s.gift(fan, START + 300_000, "rocket")
    s.gift(fan, START + 301_000, "fanclub_light")
    s.leave(fan, START + 15_000, END - 5_000)
    # the silent viewer: seven minutes without a comment, a like or a gift
    quiet = Viewer("show-silent", "路过看看", 2)
    s.enter(quiet, START + 60_000, False)
    s.leave(quiet, START + 60_000, START + 480_000)
    # the crowd: arrivals all along, a third bouncing within 3 s
    t, n = START + 2_000, 0
    while True:
        t += int(rng.expovariate(1 / 9) * 1000)
        if t >= END - 10_000:
            break
        n += 1
        v = s.viewer(n)
        s.enter(v, t, rng.random() < 0.3)
        if rng.random() < 0.33:
            s.leave(v, t, t + rng.randint(400, 2_900))
            continue
        leaves = min(t + int(rng.expovariate(1 / 100) * 1000) + 5_000, END - 1_000)
        at = t + rng.randint(2_000, 15_000)
        while at < leaves:
            _act(s, v, at, gift_share=0.07)
            at += int(rng.expovariate(1 / 20) * 1000) + 1_000
        s.leave(v, t, leaves)
    return s.events()


# --- 1V1社交: few viewers, long dwells, questions, a fan club join, an order -------------------------------

ONE_QUESTIONS: list[tuple[str, str, str | None, str]] = [
    ("165 110斤穿什么码", "size", "P01", "亲，165/110斤建议选M码，收腰款穿着刚好～"),
    ("这件有XL码吗", "stock", "P01", "碎花蓝的XL已经卖完啦，碎花黑还有XL哦～"),
    ("包邮吗", "shipping", None, "全国包邮（新疆西藏除外），下单送运费险哦"),
    ("能发顺丰吗", "shipping", None, "默认中通，需要顺丰可以备注补差价哦"),
    ("大衣是纯羊毛的吗", "material", "P04", "羊毛大衣含羊毛90%，保暖不扎～"),
    ("起球吗", "material", "P10", "圆领针织衫做了抗起球处理，正常穿不起球哦"),
    ("能退吗", "returns", None, "支持7天无理由退换，吊牌完好就可以～"),
]
ONE_ASK_HOST = ["我肩宽穿哪件好看", "通勤穿哪件比较好", "梨形身材适合哪条裤子", "约会穿哪套"]
ONE_HOST_REPLIES = ["肩宽选V领或者缎面衬衫，显得利落", "通勤推荐缎面衬衫配高腰牛仔裤",
                    "梨形选高腰阔腿裤，冰丝那条很显瘦", "约会穿碎花连衣裙，温柔又显瘦"]  # fmt: skip
ONE_CHATTER = ["主播好耐心", "谢谢姐姐", "学到了", "好的我去看看", "这个搭配好好看", "已关注", "收藏了"]


def one_on_one_stream(seed: int = 1001) -> list[Event[Any]]:
    s = Session("one_on_one", seed, "1V1 穿搭咨询", "阿宁")
    rng = s.rng
    s.add(START + 5_000, "host", ProductPinned("P01"), actor="user")
    s.add(START + 330_000, "host", ProductPinned("P06"), actor="user")
    viewers = [s.viewer(n) for n in range(1, 10)]
    arrivals = sorted(START + rng.randint(3_000, 420_000) for _ in viewers)
    arrivals[0] = START + 8_000
    for i, (v, t) in enumerate(zip(viewers, arrivals, strict=True)):
        s.enter(v, t, i in (1, 4))
        if i == 7:  # one bounces
            s.leave(v, t, t + 1_800)
            continue
        # the first viewer stays to the end (joins the fan club, buys); the others 3-9 minutes
        leaves = END - 3_000 if i == 0 else min(t + rng.randint(180_000, 540_000), END - 2_000)
        at, asked = t + rng.randint(5_000, 25_000), 0
        while at < leaves:
            roll = rng.random()
            if roll < 0.3 and asked < 4:
                asked += 1
                if rng.random() < 0.7:
                    text, intent, product, reply = rng.choice(ONE_QUESTIONS)
                    question = s.comment(v, at, text, True)
                    s.answer(question, at + rng.randint(300, 1_500), intent, reply, product)
                else:  # a question for a person: the host answers it a minute or two later
                    k = rng.randrange(len(ONE_ASK_HOST))
                    question = s.comment(v, at, ONE_ASK_HOST[k], True)
                    s.answer(question, at + 900, "styling", "这个问题请主播亲自为你解答～", None, True)
                    s.host_reply(question, at + rng.randint(60_000, 120_000), ONE_HOST_REPLIES[k])
            elif roll < 0.55:
                s.comment(v, at, rng.choice(ONE_CHATTER))
            elif roll < 0.8:
                s.like(v, at)
            elif roll < 0.9:
                s.follow(v, at)
            else:
                s.gift(v, at, rng.choice(["heart", "heart", "rose", "lightstick"]))
            at += int(rng.expovariate(1 / 12) * 1000) + 4_000
        s.leave(v, t, leaves)
    first = viewers[0]
    s.join_club(first, START + 200_000)
    _order(s, first, START + 360_000, "P06", "香槟色", "M", 16900)
    return s.events()


def _order(s: Session, v: Viewer, ts: int, product: str, color: str, size: str, price_cents: int) -> None:
    order_id = s.hex()
    items = [{"product_id": product, "color": color, "size": size, "qty": 1, "price_cents": price_cents}]
    placed = OrderPlaced(order_id, "room", items, price_cents, 0, price_cents, None, None, None, "pinned",
                         None, v.nickname)  # fmt: skip
    s.add(ts, v.user, placed, cid=f"o:{order_id}")
    s.add(ts, v.user, StockChanged(product, color, size, 55, -1, "order", 2), cid=f"o:{order_id}:0")
