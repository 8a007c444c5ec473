"""HTTP routes of the room assistant: ask, live stock and orders, recommendations."""

from typing import TYPE_CHECKING, Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from siyu.assistant.feature import AssistantFeature
from siyu.auth import Claims
from siyu.catalog import CatalogError
from siyu.recommend.room import Recommendations
from siyu.rooms.features import Products
from siyu.rooms.services import adjust_stock

if TYPE_CHECKING:
    from siyu.rooms.room import Room


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=200)
    current_product: str | None = Field(None, max_length=64)


class StockChange(BaseModel):
    """`count` sets a SKU (stock take); `delta` adds to it (restock > 0, order < 0). One of the two."""

    model_config = ConfigDict(extra="forbid")
    product_id: str = Field(min_length=1, max_length=64)
    color: str = Field(min_length=1, max_length=40)
    size: str = Field(min_length=1, max_length=20)
    count: int | None = Field(None, ge=0, le=1_000_000)
    delta: int | None = Field(None, ge=-1_000_000, le=1_000_000)
    reason: Literal["set", "order", "restock", "return"] = "set"
    user_id: str | None = Field(None, max_length=64)  # the buyer, for an order (feeds recommendations)


def add_assistant_routes(app: FastAPI, live_room: Any, need_staff: Any, auth: Any, api_error: Any) -> None:
    @app.post("/api/rooms/{room_id}/assistant/ask")
    async def ask(room_id: str, body: AskRequest, c: auth) -> dict[str, Any]:
        """The assistant's answer to a question, as the room would give it (the current product by
        default is the pinned one)."""
        need_staff(c, room_id)
        room: Room = await live_room(room_id)
        feature = room.find(AssistantFeature)
        engine = feature.ra.engine if feature is not None else None
        if engine is None:
            raise api_error(409, "assistant.off", "this room's assistant is off (no usable catalog)")
        a = engine.ask(body.question, body.current_product or room.feature(Products).pinned_id)
        return {
            "intent": a.intent,
            "product_id": a.product_id,
            "answer": a.answer,
            "handoff": a.handoff,
            "confidence": a.confidence,
            "needs_host": a.needs_host,
            "key": a.key,
        }

    @app.post("/api/rooms/{room_id}/stock")
    async def change_stock(
        room_id: str, body: StockChange, c: auth
    ) -> dict[str, Any]:
        """Live stock: every viewer's next answer uses it; the room gets a `stock` message."""
        need_staff(c, room_id)
        claims: Claims = c
        room: Room = await live_room(room_id)
        if room.catalog is None:
            raise api_error(409, "assistant.off", "this room has no usable catalog")
        if (body.count is None) == (body.delta is None):
            raise api_error(422, "stock.invalid", "give exactly one of count and delta")
        try:
            change = await adjust_stock(
                room, body.product_id, body.color, body.size, count=body.count, delta=body.delta,
                reason=body.reason, actor=claims.user, buyer=body.user_id if body.reason == "order" else None,
            )  # fmt: skip
        except CatalogError as exc:
            raise api_error(422, "stock.invalid", str(exc)) from exc
        after = change.after
        return {"product_id": body.product_id, "color": body.color, "size": body.size, "count": after}

    @app.get("/api/rooms/{room_id}/recommendations")
    async def recommendations(
        room_id: str, user: str, c: auth, k: int = 5
    ) -> dict[str, Any]:
        """Products for one viewer (behaviour in this room, popularity first), in stock in their size."""
        need_staff(c, room_id)
        room: Room = await live_room(room_id)
        catalog = room.catalog

        def in_stock(product_id: str, size: str) -> bool:  # the live counts, not the loaded ones
            p = catalog.get(product_id) if catalog is not None else None
            return p is not None and p.size_in_stock(size)

        recs_feature = room.find(Recommendations)
        if recs_feature is None:
            raise api_error(409, "recommend.off", "this node does not run recommendations")
        recommender = recs_feature.recommender
        recs = recommender.recommend(user, max(1, min(k, 20)), in_stock=in_stock)
        return {
            "user": user,
            "items": [
                {"product_id": r.product_id, "score": round(r.score, 4), "reason": r.reason, "text": r.text}
                for r in recs
            ],
        }
