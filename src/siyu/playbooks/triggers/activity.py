"""Triggers on what people do: comment, question_unanswered, many_asked, like_count, gift, follow,
fanclub_join, coupon_claimed, mic_requested, poll_voted, order_placed, product_changed, pk_started, pk_ended.

They fire on the node that committed the event (one node per event), except like_count (a room counter:
every node watches it and claims the crossing) and question_unanswered (a timer on the asker's node that
the room stream cancels when anyone answers).
"""

from __future__ import annotations

import heapq
import re
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from siyu.events import Event
from siyu.playbooks.model import register_trigger
from siyu.playbooks.runtime import Fire, FireFn, Scope, Unsubscribe, combine
from siyu.playbooks.triggers.base import Trigger

Keyword = Field(min_length=1, max_length=20)


def _simple(type_name: str, event_type: str, why: str, variables: frozenset[str] = frozenset()) -> Any:
    """A trigger that fires on every committed event of one type about a viewer."""

    class Simple(Trigger):
        __doc__ = why

        def attach(self, scope: Scope, fire: FireFn) -> Unsubscribe:
            def seen(event: Event[Any]) -> None:
                if event.user_id and not event.user_id.startswith("pb:") and self.matches(event):
                    kind = str(getattr(self, "type", type_name))
                    fire(Fire(kind, event.user_id, event.ts, event, self.vars(event), why=why))

            return scope.on(event_type, seen)

        def matches(self, event: Event[Any]) -> bool:
            return True

        def vars(self, event: Event[Any]) -> dict[str, Any]:
            return {}

    Simple.variables = variables
    return Simple


@register_trigger("viewer")
class Comment(_simple("comment", "comment.posted", "评论命中")):  # type: ignore[misc]
    """A viewer's comment containing one of `keywords`, matching `regex`, or read by the assistant as `intent`
    (size, stock, price, … : the intent of its answer). At least one of the three."""

    type: Literal["comment"]
    keywords: list[str] = Field(default_factory=list, max_length=50)
    regex: str | None = Field(None, max_length=200)
    intent: str | None = Field(None, max_length=40)
    variables: ClassVar[frozenset[str]] = frozenset({"comment"})

    @field_validator("regex")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"regex does not compile: {exc}") from exc
        return v

    @model_validator(mode="after")
    def _one(self) -> Comment:
        if not self.keywords and self.regex is None and self.intent is None:
            raise ValueError("comment needs keywords, regex or intent")
        return self

    def attach(self, scope: Scope, fire: FireFn) -> Unsubscribe:
        words = super().attach(scope, fire) if self.keywords or self.regex else (lambda: None)
        if self.intent is None:
            return words

        def answered(event: Event[Any]) -> None:  # the assistant's reading of the viewer's comment
            p = event.payload
            if p.to == "user" and p.intent == self.intent and p.to_user:
                fire(Fire(self.type, p.to_user, event.ts, event, {"comment": ""}, why=f"意图 {self.intent}"))

        return combine(words, scope.on("assistant.answered", answered))

    def matches(self, event: Event[Any]) -> bool:
        p = event.payload
        if p.role != "viewer":
            return False
        text = p.text
        if any(k in text for k in self.keywords):
            return True
        return self.regex is not None and re.search(self.regex, text) is not None

    def vars(self, event: Event[Any]) -> dict[str, Any]:
        return {"comment": event.payload.text}


@register_trigger("viewer")
class Gift(_simple("gift", "gift.sent", "送出礼物", frozenset({"gift_id", "coins"}))):  # type: ignore[misc]
    """A viewer sends a gift worth at least `min_coins` (of `gift_id`, if given)."""

    type: Literal["gift"]
    min_coins: int = Field(0, ge=0, le=10_000_000)
    gift_id: str | None = Field(None, max_length=40)

    def matches(self, event: Event[Any]) -> bool:
        p = event.payload
        return p.coins >= self.min_coins and (self.gift_id is None or p.gift_id == self.gift_id)

    def vars(self, event: Event[Any]) -> dict[str, Any]:
        return {"gift_id": event.payload.gift_id, "coins": event.payload.coins}


@register_trigger("viewer")
class Follow(_simple("follow", "viewer.followed", "关注了主播")):  # type: ignore[misc]
    """A viewer follows the room (once per session)."""

    type: Literal["follow"]


@register_trigger("viewer")
class FanClubJoin(_simple("fanclub_join", "fanclub.joined", "加入粉丝团")):  # type: ignore[misc]
    """A viewer joins the shop's fan club (粉丝团)."""

    type: Literal["fanclub_join"]


@register_trigger("viewer")
class CouponClaimed(_simple("coupon_claimed", "coupon.claimed", "领取了优惠券", frozenset({"coupon_id"}))):  # type: ignore[misc]
    """A viewer claims (or is given) a coupon (`coupon_id`, if given)."""

    type: Literal["coupon_claimed"]
    coupon_id: str | None = Field(None, max_length=64)

    def matches(self, event: Event[Any]) -> bool:
        return self.coupon_id is None or event.payload.coupon_id == self.coupon_id

    def vars(self, event: Event[Any]) -> dict[str, Any]:
        return {"coupon_id": event.payload.coupon_id}


@register_trigger("viewer")
class MicRequested(_simple("mic_requested", "mic.requested", "申请连麦", frozenset({"fan_member"}))):  # type: ignore[misc]
    """A viewer asks for the co-host mic (连麦, docs/protocol.md section 12); `fan_member` whether they are a
    lit fan-club member (the mic ranks them first when the host chose so)."""

    type: Literal["mic_requested"]

    def vars(self, event: Event[Any]) -> dict[str, Any]:
        return {"fan_member": bool(getattr(event.payload, "member", False))}


@register_trigger("viewer")
class PollVoted(_simple("poll_voted", "poll.voted", "参与了投票")):  # type: ignore[misc]
    """A viewer votes in a poll."""

    type: Literal["poll_voted"]


@register_trigger("viewer")
class OrderPlaced(_simple("order_placed", "order.placed", "下单了", frozenset({"total_yuan"}))):  # type: ignore[misc]
    """A viewer places an order of at least `min_total_yuan`."""

    type: Literal["order_placed"]
    min_total_yuan: float = Field(0, ge=0, le=10_000_000)

    def matches(self, event: Event[Any]) -> bool:
        return bool(event.payload.total_cents >= self.min_total_yuan * 100)

    def vars(self, event: Event[Any]) -> dict[str, Any]:
        return {"total_yuan": event.payload.total_cents / 100}


@register_trigger("room")
class ProductChanged(Trigger):
    """The host pins another product (讲解卡)."""

    type: Literal["product_changed"]
    variables: ClassVar[frozenset[str]] = frozenset({"product_id"})

    def attach(self, scope: Scope, fire: FireFn) -> Unsubscribe:
        def pinned(event: Event[Any]) -> None:
            pid = event.payload.product_id
            if pid is not None:
                fire(Fire(self.type, None, event.ts, event, {"product_id": pid}, why="换品讲解"))

        return scope.on("product.pinned", pinned)


@register_trigger("room")
class LikeCount(Trigger):
    """The session's likes reach `at` (once), or each multiple of `every`."""

    type: Literal["like_count"]
    at: int | None = Field(None, ge=1, le=10**9)
    every: int | None = Field(None, ge=10, le=10**9)
    variables: ClassVar[frozenset[str]] = frozenset({"likes"})

    @model_validator(mode="after")
    def _one(self) -> LikeCount:
        if (self.at is None) == (self.every is None):
            raise ValueError("like_count needs exactly one of at, every")
        return self

    def attach(self, scope: Scope, fire: FireFn) -> Unsubscribe:
        last = {"mark": 0}
        current: list[str | None] = [None]

        def clock(now: int) -> None:
            if current[0] != scope.session_id:  # a new live session counts from zero
                current[0], last["mark"] = scope.session_id, 0
            step = self.every or self.at or 1
            mark = scope.likes // step if self.every else int(scope.likes >= step)
            if mark > last["mark"]:
                last["mark"] = mark
                key = f"likes:{step}:{mark}:{scope.session_id}"
                fire(
                    Fire(
                        self.type,
                        None,
                        now,
                        None,
                        {"likes": scope.likes},
                        key=key,
                        why=f"点赞达到 {mark * step if self.every else step}",
                    )
                )

        return scope.every(clock)


@register_trigger("viewer")
class QuestionUnanswered(Trigger):
    """A viewer's question has had no answer (host reply, assistant answer, dismissal) for `seconds`."""

    type: Literal["question_unanswered"]
    seconds: int = Field(ge=5, le=3600)
    variables: ClassVar[frozenset[str]] = frozenset({"question"})

    def attach(self, scope: Scope, fire: FireFn) -> Unsubscribe:
        due: list[tuple[int, int, str, str]] = []  # (at, seq, user, text)
        answered: set[int] = set()

        def asked(event: Event[Any]) -> None:
            p = event.payload
            if p.question and p.role == "viewer" and event.seq is not None and event.user_id:
                heapq.heappush(due, (event.ts + self.seconds * 1000, event.seq, event.user_id, p.text))

        def done(event: Event[Any]) -> None:
            p = event.payload
            seq = getattr(p, "to_seq", None) or getattr(p, "question_seq", None) or getattr(p, "seq", None)
            if isinstance(seq, int):
                answered.add(seq)

        def clock(now: int) -> None:
            while due and due[0][0] <= now:
                at, seq, user, text = heapq.heappop(due)
                if seq not in answered:
                    fire(
                        Fire(
                            self.type,
                            user,
                            at,
                            None,
                            {"question": text},
                            key=f"unanswered:{seq}",
                            why=f"提问 {self.seconds} 秒无人回复",
                        )
                    )

        return combine(
            scope.on("comment.posted", asked),
            *(
                scope.on(t, done, everywhere=True)
                for t in ("host.replied", "question.dismissed", "assistant.answered")
            ),
            scope.every(clock),
        )


@register_trigger("room")
class ManyAsked(Trigger):
    """At least `count` viewers asked the same thing (the assistant's question group), then again each
    time the group grew after `every_s`. Needs the assistant (its `question.grouped` signal)."""

    type: Literal["many_asked"]
    count: int = Field(3, ge=2, le=10_000)
    every_s: int = Field(60, ge=5, le=3600)
    variables: ClassVar[frozenset[str]] = frozenset(
        {"question", "answer", "asked", "intent", "key", "product_id"}
    )

    def attach(self, scope: Scope, fire: FireFn) -> Unsubscribe:
        last: dict[str, int] = {}
        window = self.every_s * 1000

        def grouped(event: Event[Any]) -> None:
            p = event.payload
            if p.asked < self.count:
                return
            at = last.get(p.key)
            if at is not None and event.ts - at < window:
                return
            last[p.key] = event.ts
            detail = {"question": p.question, "answer": p.answer, "asked": p.asked, "intent": p.intent,
                      "key": p.key, "product_id": p.product_id}  # fmt: skip
            # askers on two nodes: each node's signal may fire; the claim on the window keeps one answer
            key = f"asked:{p.key}:{event.ts // window}"
            fire(Fire(self.type, None, event.ts, event, detail, key=key, why=f"{p.asked} 人在问"))

        def answered(event: Event[Any]) -> None:  # a room answer from any node counts as the last one
            p = event.payload
            if p.to == "room" and p.key:
                last[p.key] = max(last.get(p.key, 0), event.ts)

        return combine(
            scope.on("question.grouped", grouped), scope.on("assistant.answered", answered, everywhere=True)
        )


@register_trigger("room")
class PkStarted(Trigger):
    """A PK battle (连麦PK) starts in this room. It follows the `pk.started` events by type name (the wings
    do not import each other)."""

    type: Literal["pk_started"]
    variables: ClassVar[frozenset[str]] = frozenset({"pk_id", "partner"})

    def attach(self, scope: Scope, fire: FireFn) -> Unsubscribe:
        def started(event: Event[Any]) -> None:
            p = event.payload
            partner = p.room_b if event.room_id == p.room_a else p.room_a
            fire(Fire(self.type, None, event.ts, event, {"pk_id": p.pk_id, "partner": partner}, why="PK开始"))

        return scope.on("pk.started", started)


@register_trigger("room")
class PkEnded(Trigger):
    """A PK battle of this room has its result (`pk.ended`): `won` true fires only when this room won, false
    only when it lost (a draw is neither), null (default) always."""

    type: Literal["pk_ended"]
    won: bool | None = None
    variables: ClassVar[frozenset[str]] = frozenset({"pk_id", "won", "score", "partner_score"})

    def attach(self, scope: Scope, fire: FireFn) -> Unsubscribe:
        def ended(event: Event[Any]) -> None:
            p = event.payload
            won = None if p.winner == "draw" else p.winner == event.room_id
            if self.won is not None and won is not self.won:
                return
            mine = int(p.scores.get(event.room_id, 0))
            theirs = sum(int(v) for k, v in p.scores.items() if k != event.room_id)
            detail = {"pk_id": p.pk_id, "won": won, "score": mine, "partner_score": theirs}
            why = "PK获胜" if won else "PK惜败" if won is False else "PK平局"
            fire(Fire(self.type, None, event.ts, event, detail, why=why))

        return scope.on("pk.ended", ended)
