"""The orders feature's wire: client messages, events, room and personal messages, error codes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from siyu.events import payload
from siyu.realtime import protocol as wire
from siyu.realtime.protocol import Cid, ClientMessage, RoomMessage, ServerMessage

MAX_LINES = 10
MAX_QTY = 99


class OrderCode:
    UNKNOWN_PRODUCT = "order.unknown_product"
    UNKNOWN_SKU = "order.unknown_sku"
    OUT_OF_STOCK = "order.out_of_stock"
    COUPON_UNAVAILABLE = "order.coupon_unavailable"
    COUPON_NOT_APPLICABLE = "order.coupon_not_applicable"
    FLASH_CLOSED = "order.flash_closed"
    FLASH_SOLD_OUT = "order.flash_sold_out"
    FLASH_LIMIT = "order.flash_limit"
    FLASH_MISMATCH = "order.flash_mismatch"
    NO_CATALOG = "order.no_catalog"


TEXT = {
    OrderCode.UNKNOWN_PRODUCT: "没有这个商品",
    OrderCode.UNKNOWN_SKU: "没有这个颜色或尺码",
    OrderCode.OUT_OF_STOCK: "库存不足，换个颜色或尺码试试",
    OrderCode.COUPON_UNAVAILABLE: "这张券已用过或已过期",
    OrderCode.COUPON_NOT_APPLICABLE: "这张券不适用于这笔订单",
    OrderCode.FLASH_CLOSED: "秒杀已结束",
    OrderCode.FLASH_SOLD_OUT: "秒杀已抢光",
    OrderCode.FLASH_LIMIT: "秒杀商品每人限购，你已买过了",
    OrderCode.FLASH_MISMATCH: "秒杀订单只能买这一件商品",
    OrderCode.NO_CATALOG: "直播间暂时不能下单",
}
wire.ERROR_TEXT.update(TEXT)


# --- client messages ---------------------------------------------------------------------------------


class ItemIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    product_id: str = Field(min_length=1, max_length=64)
    color: str = Field(min_length=1, max_length=32)
    size: str = Field(min_length=1, max_length=32)
    qty: int = Field(ge=1, le=MAX_QTY)


class OrderIn(ClientMessage):
    """Buy: the lines, the coupon ("best", "none" or a grant id of the wallet), a flash sale's id."""

    type: Literal["order"]
    items: list[ItemIn] = Field(min_length=1, max_length=MAX_LINES)
    coupon: str = Field("best", min_length=1, max_length=64)
    flash_id: str | None = Field(None, min_length=1, max_length=64)
    via: str | None = Field(None, min_length=1, max_length=64)
    cid: Cid


class QuoteIn(ClientMessage):
    """What an order of these lines would cost (nothing is taken): the answer is in the ack."""

    type: Literal["quote"]
    items: list[ItemIn] = Field(min_length=1, max_length=MAX_LINES)
    coupon: str = Field("best", min_length=1, max_length=64)
    flash_id: str | None = Field(None, min_length=1, max_length=64)
    cid: Cid


class WalletIn(ClientMessage):
    type: Literal["wallet"]
    cid: Cid


class FlashPushIn(ClientMessage):
    """Staff: a flash sale (限时秒杀) of one product at `price` yuan, `quantity` units, for `seconds`."""

    type: Literal["flash_push"]
    product_id: str = Field(min_length=1, max_length=64)
    price: float = Field(gt=0, le=1_000_000, allow_inf_nan=False)
    quantity: int = Field(ge=1, le=100_000)
    seconds: int = Field(60, ge=10, le=3600)
    per_user: int = Field(1, ge=1, le=10)
    cid: Cid | None = None


# --- events ------------------------------------------------------------------------------------------


@payload
@dataclass(frozen=True, slots=True)
class OrderPlaced:
    TYPE: ClassVar[str] = "order.placed"
    order_id: str
    source: str
    items: list[dict[str, Any]]
    subtotal_cents: int
    discount_cents: int
    total_cents: int
    coupon_id: str | None
    grant_id: str | None
    flash_id: str | None
    via: str | None
    external_id: str | None
    nickname: str


@payload
@dataclass(frozen=True, slots=True)
class FlashPushed:
    TYPE: ClassVar[str] = "flash.pushed"
    flash_id: str
    product_id: str
    price_cents: int
    quantity: int
    per_user: int
    opens_at: int
    until: int
    by: str


# --- server messages ---------------------------------------------------------------------------------


@dataclass(slots=True, kw_only=True)
class Purchase(RoomMessage):
    """Someone bought (sequenced, low priority): the room's "xx 刚刚下单" line. No amounts."""

    type: Literal["purchase"] = "purchase"
    nickname: str
    items: list[dict[str, Any]]  # product_id, short_name, qty


@dataclass(slots=True, kw_only=True)
class FlashCard(RoomMessage):
    type: Literal["flash_card"] = "flash_card"
    flash_id: str
    product: dict[str, Any]
    price: float
    quantity: int
    left: int
    per_user: int
    until: int


@dataclass(slots=True, kw_only=True)
class FlashLeft(ServerMessage):
    """How many units of a live flash sale are left (unsequenced, at most once a second)."""

    type: Literal["flash_left"] = "flash_left"
    flash_id: str
    left: int
