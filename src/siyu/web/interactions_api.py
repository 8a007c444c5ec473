"""HTTP routes of the room interactions the host console needs: the shop's coupons it can drop."""

# No `from __future__ import annotations`: FastAPI resolves the `Staff` dependency alias at runtime.
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

from siyu.web.errors import responses

if TYPE_CHECKING:
    from siyu.rooms.room import Room


class CouponItem(BaseModel):
    """A coupon of the room's shop, as `coupon_card.coupon` shows it, with what a drop defaults to."""

    id: str
    name: str
    type: str = Field(description="满减 (`amount` off from `threshold`), 立减 (`amount` off), 折扣")
    threshold: float
    amount: float | None
    rate: float | None
    cap: float | None = Field(description="the most a 折扣 coupon takes off")
    applies_to: str | list[str] = Field(description='`"all"` or the product ids it covers')
    condition: str | None = Field(description="what a viewer must meet to claim it (`加入粉丝团`, …)")
    total: int | None = Field(description="a room drop's default quantity")
    per_user_limit: int | None = Field(description="grants per viewer and drop")
    valid_minutes: int | None = Field(description="how long a grant can be used")


class CouponList(BaseModel):
    items: list[CouponItem]


class LiveRoom(BaseModel):
    """A room with a live session now: a partner the host console can invite to a PK (`pk_invite`)."""

    id: str
    title: str
    session_title: str
    started_at: int = Field(description="the live session's start, ms since the epoch")


class LiveRoomList(BaseModel):
    items: list[LiveRoom]


def add_interaction_routes(app: FastAPI, live_room: Any, staff: Any, any_staff: Any, live_rooms: Any) -> None:
    @app.get("/api/live-rooms", response_model=LiveRoomList, responses=responses(401, 403))
    async def list_live_rooms(_c: any_staff) -> LiveRoomList:
        """The rooms live now, newest session first (the PK panel's partner picker; a staff token)."""
        return LiveRoomList(items=[LiveRoom(**r) for r in await live_rooms()])

    @app.get("/api/rooms/{room_id}/coupons", response_model=CouponList, responses=responses(401, 403, 404))
    async def room_coupons(room_id: str, _c: staff) -> CouponList:
        """The coupons of the room's shop catalog that `coupon_push` can drop (empty when the room has no
        usable catalog)."""
        room: Room = await live_room(room_id)
        catalog = room.catalog
        coupons = catalog.coupons if catalog is not None else ()
        return CouponList(
            items=[
                CouponItem(
                    id=c.id,
                    name=c.name,
                    type=c.type,
                    threshold=c.threshold,
                    amount=c.amount,
                    rate=c.rate,
                    cap=c.max_discount,
                    applies_to="all" if c.applies_to is None else list(c.applies_to),
                    condition=c.condition,
                    total=c.total,
                    per_user_limit=c.per_user_limit,
                    valid_minutes=c.valid_minutes,
                )  # fmt: skip
                for c in coupons
            ]
        )
