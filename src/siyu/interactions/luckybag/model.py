"""Lucky bags on the wire and in the log: error codes, client messages, room and personal messages, events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from siyu.events import payload
from siyu.realtime import protocol as wire
from siyu.realtime.protocol import Cid, ClientMessage, RoomMessage, ServerMessage

MIN_SECONDS, MAX_SECONDS = 30, 3600  # a bag's countdown
MAX_WINNERS = 1000
MAX_WATCH_MINUTES = 180
DRAW_GRACE_MS = 2000  # joins end at `until`; the draw waits this long for joins still being committed


class LuckyBagCode:
    UNKNOWN = "luckybag.unknown"
    CLOSED = "luckybag.closed"
    CONDITION = "luckybag.condition"
    ALREADY_OPEN = "luckybag.already_open"
    PRIZE = "luckybag.prize"
    STAFF = "luckybag.staff"


TEXT = {
    LuckyBagCode.UNKNOWN: "没有这个福袋",
    LuckyBagCode.CLOSED: "福袋已停止参与",
    LuckyBagCode.CONDITION: "暂不满足参与条件",
    LuckyBagCode.ALREADY_OPEN: "已有进行中的福袋",
    LuckyBagCode.PRIZE: "店铺没有这个奖品",
    LuckyBagCode.STAFF: "主播和场控不能参与福袋",
}
wire.ERROR_TEXT.update(TEXT)  # pages read every code's text from GET /api/protocol


# --- client messages -------------------------------------------------------------------------------


class _Part(BaseModel):
    """A part of a frame: as strict as the frame (no unknown field, strict types)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


ItemId = Annotated[str, Field(min_length=1, max_length=64)]
Phrase = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[^\x00-\x1f\x7f]+$")]


class CouponPrizeIn(_Part):
    kind: Literal["coupon"]
    coupon_id: ItemId


class ProductPrizeIn(_Part):
    kind: Literal["product"]
    product_id: ItemId


class PhraseEntryIn(_Part):
    kind: Literal["phrase"]
    phrase: Phrase


class WatchEntryIn(_Part):
    kind: Literal["watch"]
    minutes: int = Field(ge=1, le=MAX_WATCH_MINUTES)


class FollowEntryIn(_Part):
    kind: Literal["follow"]


class FanClubEntryIn(_Part):
    kind: Literal["fanclub"]


class LuckyBagStartIn(ClientMessage):
    """Staff: start the room's lucky bag: `winners` of `prize` drawn after `seconds` among who met `entry`."""

    type: Literal["luckybag_start"]
    prize: CouponPrizeIn | ProductPrizeIn
    entry: PhraseEntryIn | WatchEntryIn | FollowEntryIn | FanClubEntryIn
    winners: int = Field(1, ge=1, le=MAX_WINNERS)
    seconds: int = Field(180, ge=MIN_SECONDS, le=MAX_SECONDS)
    cid: Cid | None = None


class LuckyBagJoinIn(ClientMessage):
    type: Literal["luckybag_join"]
    bag_id: str = Field(min_length=1, max_length=64)
    cid: Cid


class LuckyBagDrawIn(ClientMessage):
    """Staff: stop the entries now and draw (after the grace), before the countdown ends."""

    type: Literal["luckybag_draw"]
    bag_id: str = Field(min_length=1, max_length=64)
    cid: Cid | None = None


# --- what the room shows ---------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class Prize:
    """The prize as the bag shows it: a shop coupon or a product (`text`: its value in a few words)."""

    kind: str
    id: str
    name: str
    text: str

    @classmethod
    def of(cls, d: dict[str, Any]) -> Prize:
        return cls(str(d["kind"]), str(d["id"]), str(d["name"]), str(d["text"]))

    def plain(self) -> dict[str, Any]:
        """As an event payload keeps it."""
        return {"kind": self.kind, "id": self.id, "name": self.name, "text": self.text}


@dataclass(slots=True, frozen=True)
class Entry:
    """How to enter: `phrase` (send the 口令 `phrase` as a comment), `watch` (`minutes` in the room this
    live session), `follow` (follow the host this session), `fanclub`; `text` says it in Chinese."""

    kind: str
    phrase: str | None
    minutes: int | None
    text: str

    @classmethod
    def of(cls, d: dict[str, Any]) -> Entry:
        minutes = d.get("minutes")
        return cls(str(d["kind"]), d.get("phrase"), None if minutes is None else int(minutes), str(d["text"]))


@dataclass(slots=True, frozen=True)
class Winner:
    id: str
    nick: str


@dataclass(slots=True, kw_only=True)
class LuckyBagCard(RoomMessage):
    """A lucky bag opened (sequenced): show the floating bag with its countdown until `until`."""

    type: Literal["luckybag"] = "luckybag"
    bag_id: str
    prize: Prize
    winners: int
    until: int
    entry: Entry
    seed_hash: str


@dataclass(slots=True, kw_only=True)
class LuckyBagClosed(RoomMessage):
    """The staff stopped the entries early (sequenced): the draw follows after the grace."""

    type: Literal["luckybag_closed"] = "luckybag_closed"
    bag_id: str
    at: int


@dataclass(slots=True, kw_only=True)
class LuckyBagResult(RoomMessage):
    """The draw (sequenced): the seed revealed, the winners in draw order, the entries counted and hashed."""

    type: Literal["luckybag_result"] = "luckybag_result"
    bag_id: str
    prize: Prize
    seed: str
    seed_hash: str
    entries: int
    entries_hash: str
    winners: list[Winner]


@dataclass(slots=True, kw_only=True)
class LuckyBagCount(ServerMessage):
    """The open bag's entries so far (unsequenced, at most once a second, only when it changed)."""

    type: Literal["luckybag_count"] = "luckybag_count"
    bag_id: str
    entries: int


@dataclass(slots=True, kw_only=True)
class LuckyBagMine(ServerMessage):
    """Personal: where this viewer stands (after the welcome, and when a 口令 comment entered them)."""

    type: Literal["luckybag_mine"] = "luckybag_mine"
    bag_id: str
    joined: bool
    won: bool | None = None


@dataclass(slots=True, kw_only=True)
class LuckyBagWon(ServerMessage):
    """Personal, to each winner: the prize (and for a coupon, the grant now in their wallet)."""

    type: Literal["luckybag_won"] = "luckybag_won"
    bag_id: str
    prize: Prize
    grant: dict[str, Any] | None


@dataclass(slots=True, frozen=True)
class BagView:
    """The open bag in the room `state` (the card's fields, and whether entries are over)."""

    bag_id: str
    prize: Prize
    winners: int
    until: int
    entry: Entry
    seed_hash: str
    closed: bool


# --- events ------------------------------------------------------------------------------------------


@payload
@dataclass(frozen=True, slots=True)
class BagStarted:
    TYPE: ClassVar[str] = "luckybag.started"
    bag_id: str
    prize: dict[str, Any]
    entry: dict[str, Any]
    winners: int
    opens_at: int
    until: int
    seed_hash: str
    by: str


@payload
@dataclass(frozen=True, slots=True)
class BagEntered:
    TYPE: ClassVar[str] = "luckybag.entered"
    bag_id: str
    nickname: str
    via: str  # "join" (luckybag_join) or "phrase" (a comment)


@payload
@dataclass(frozen=True, slots=True)
class BagClosed:
    TYPE: ClassVar[str] = "luckybag.closed"
    bag_id: str
    at: int
    by: str


@payload
@dataclass(frozen=True, slots=True)
class BagDrawn:
    TYPE: ClassVar[str] = "luckybag.drawn"
    bag_id: str
    seed: str
    seed_hash: str
    entries: int
    entries_hash: str
    winners: list[dict[str, str]]
    prize: dict[str, Any]


@payload
@dataclass(frozen=True, slots=True)
class BagWon:
    TYPE: ClassVar[str] = "luckybag.won"
    bag_id: str
    prize: dict[str, Any]
    grant: dict[str, Any] | None


def card_of(p: BagStarted) -> LuckyBagCard:
    return LuckyBagCard(
        bag_id=p.bag_id, prize=Prize.of(p.prize), winners=p.winners, until=p.until, entry=Entry.of(p.entry),
        seed_hash=p.seed_hash,
    )  # fmt: skip
