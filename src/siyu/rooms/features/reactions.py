"""Likes (a session counter, no room message per like), gifts (the shop's gift catalogue) and follows."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from siyu.catalog import CatalogError
from siyu.events import Event, Followed, GiftSent, LikeSent
from siyu.realtime import protocol as wire
from siyu.realtime.fanout import Priority
from siyu.realtime.protocol import Cid, ClientMessage, ErrorCode, RoomMessage, UserRef
from siyu.rooms.feature import Feature, committed, follows, handles
from siyu.rooms.gifts import BANNER_TIER, GIFTS, Gift, gift_dict, shop_gifts
from siyu.rooms.room import Member, member_ref

log = logging.getLogger(__name__)


class LikeIn(ClientMessage):
    type: Literal["like"]
    count: int = Field(1, ge=1, le=100)
    cid: Cid | None = None


class GiftIn(ClientMessage):
    type: Literal["gift"]
    gift_id: str = Field(min_length=1, max_length=32)
    count: int = Field(1, ge=1, le=99)
    cid: Cid | None = None


class FollowIn(ClientMessage):
    type: Literal["follow"]
    cid: Cid | None = None


@dataclass(slots=True, frozen=True)
class GiftRef:
    """A gift on the wire (its icon and tier are in the room's list, GET /api/rooms/{id}/gifts)."""

    id: str
    name: str
    coins: int

    @classmethod
    def of(cls, gift: Gift) -> GiftRef:
        return cls(gift.id, gift.name, gift.coins)


@dataclass(slots=True, kw_only=True)
class GiftMessage(RoomMessage):
    type: Literal["gift"] = "gift"
    user: UserRef
    gift: GiftRef
    count: int
    effect: str | None = None  # "fullscreen" for a gift of EFFECT_TIER or above


@dataclass(slots=True, kw_only=True)
class FollowMessage(RoomMessage):
    type: Literal["follow"] = "follow"
    user: UserRef


def like_cost(msg: LikeIn) -> int:
    return msg.count


class Reactions(Feature):
    name = "reactions"
    rates = {"like": lambda limits: limits.like_rate, "comment": lambda limits: limits.comment_rate}

    def __init__(self, room: Any) -> None:
        super().__init__(room)
        self.likes = room.counter("likes")
        self.gifts = room.counter("gifts")
        self.gift_coins = room.counter("gift_coins")
        self.followed: set[str] = set()
        self.shop_gifts: dict[str, Gift] = dict(GIFTS)  # the shop's gifts (load() reads them)

    async def load(self) -> None:
        room = self.room
        try:
            self.shop_gifts = shop_gifts(await room.service.catalog_document(room.info.shop_id))
        except CatalogError as exc:  # stored before gifts were checked: the room still takes gifts
            log.warning("room %s: the shop's gifts do not load (%s): the default gifts", room.info.id, exc)
        if room.session is not None:
            self.followed = await room.service.followers_in_session(room.info.id, room.session.id)
            figures = await room.service.session_figures(room.info.id, room.session.id)
            counters = {"likes": self.likes, "gifts": self.gifts, "gift_coins": self.gift_coins}
            for name, counter in counters.items():
                await room.seed(counter, figures[name])

    def on_session(self, session_id: str | None) -> None:
        self.likes = self.room.counter("likes")
        self.gifts = self.room.counter("gifts")
        self.gift_coins = self.room.counter("gift_coins")
        self.followed = set()

    def state(self) -> dict[str, Any]:
        """This live session's figures (a new session starts them at 0)."""
        return {"likes": self.likes.value, "gifts": self.gifts.value, "gift_coins": self.gift_coins.value}

    @handles(LikeIn, rate="like", cost=like_cost)
    def like(self, m: Member, msg: LikeIn) -> None:
        self.room.record(m, msg.cid, self.room.event_for(m, LikeSent(msg.count)), None)

    @committed(LikeSent)
    def _liked(self, event: Event[LikeSent]) -> None:
        """Counted on the node that committed it; the broker sums the nodes."""
        self.likes.add(event.payload.count)

    @committed(GiftSent)
    def _gifted(self, event: Event[GiftSent]) -> None:
        self.gifts.add(event.payload.count)
        self.gift_coins.add(event.payload.coins)

    def gift_list(self) -> list[dict[str, Any]]:
        """The room's gifts as the gift picker shows them (GET /api/rooms/{id}/gifts)."""
        return [gift_dict(g) for g in self.shop_gifts.values()]

    @handles(GiftIn, rate="comment")
    def gift(self, m: Member, msg: GiftIn) -> None:
        gift = self.shop_gifts.get(msg.gift_id)
        if gift is None:  # not in this room's shop catalogue
            m.send(wire.reject(msg.cid, ErrorCode.UNKNOWN_GIFT, f"没有这个礼物: {msg.gift_id}"))
            return
        message = GiftMessage(user=member_ref(m), gift=GiftRef.of(gift), count=msg.count, effect=gift.effect)
        sent = GiftSent(gift.id, msg.count, gift.coins * msg.count, m.nickname, m.level, m.role.value)
        event = self.room.event_for(m, sent)
        # a small gift travels like a comment (sampled for viewers under load); a banner or effect goes first
        prio = Priority.HIGH if gift.tier >= BANNER_TIER else Priority.NORMAL
        self.room.record(m, msg.cid, event, message, prio)

    @handles(FollowIn, rate="comment")
    def follow(self, m: Member, msg: FollowIn) -> None:
        if m.user_id in self.followed:  # followed already (on any node: the stream tells every node)
            if msg.cid is not None:
                m.send(wire.ack_ok(msg.cid, None))
            return
        self.followed.add(m.user_id)
        message = FollowMessage(user=member_ref(m))
        event = self.room.event_for(m, Followed(m.nickname, m.level))
        session = self.room.session.id if self.room.session else "-"
        # once per live session per user, also when two nodes get it at the same moment (the log's key)
        self.room.record(m, msg.cid, event, message, Priority.NORMAL, once=f"follow:{session}")

    @follows(Followed)
    def _followed(self, event: Event[Followed]) -> None:
        if event.user_id is not None:
            self.followed.add(event.user_id)
