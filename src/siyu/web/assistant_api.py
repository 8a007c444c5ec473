"""HTTP routes of the room assistant: ask, live stock and orders, recommendations."""

# No `from __future__ import annotations`: FastAPI resolves the `Staff` dependency alias at runtime.
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import FastAPI, Query

from siyu.assistant.feature import AssistantFeature
from siyu.auth import Claims
from siyu.catalog import CatalogError
from siyu.recommend.room import Recommendations
from siyu.rooms.features import Products
from siyu.rooms.services import adjust_stock
from siyu.web.errors import ApiError, responses
from siyu.web.models import LINE_PATTERN, AskRequest, StockChange

if TYPE_CHECKING:
    from siyu.rooms.room import Room


def add_assistant_routes(app: FastAPI, live_room: Any, staff: Any) -> None:
    @app.post("/api/rooms/{room_id}/assistant/ask", responses=responses(400, 401, 403, 404, 409, 413, 422))
    async def ask(room_id: str, body: AskRequest, _c: staff) -> dict[str, Any]:
        """The assistant's answer to a question, as the room would give it (the current product by
        default is the pinned one)."""
        room: Room = await live_room(room_id)
        feature = room.find(AssistantFeature)
        engine = feature.ra.engine if feature is not None else None
        if engine is None:
            raise ApiError(409, "assistant.off", "this room's assistant is off (no usable catalog)")
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

    @app.post("/api/rooms/{room_id}/stock", responses=responses(400, 401, 403, 404, 409, 413, 422))
    async def change_stock(room_id: str, body: StockChange, c: staff) -> dict[str, Any]:
        """Live stock: every viewer's next answer uses it; the room gets a `stock` message."""
        claims: Claims = c
        room: Room = await live_room(room_id)
        if room.catalog is None:
            raise ApiError(409, "assistant.off", "this room has no usable catalog")
        if (body.count is None) == (body.delta is None):
            raise ApiError(422, "stock.invalid", "give exactly one of count and delta")
        try:
            change = await adjust_stock(
                room, body.product_id, body.color, body.size, count=body.count, delta=body.delta,
                reason=body.reason, actor=claims.user, buyer=body.user_id if body.reason == "order" else None,
            )  # fmt: skip
        except CatalogError as exc:
            raise ApiError(422, "stock.invalid", str(exc)) from exc
        after = change.after
        return {"product_id": body.product_id, "color": body.color, "size": body.size, "count": after}

    @app.get("/api/rooms/{room_id}/recommendations", responses=responses(401, 403, 404, 409, 422))
    async def recommendations(
        room_id: str,
        user: Annotated[str, Query(min_length=1, max_length=64, pattern=LINE_PATTERN)],
        _c: staff,
        k: Annotated[int, Query(description="how many, clamped to 1..20")] = 5,
    ) -> dict[str, Any]:
        """Products for one viewer (behaviour in this room, popularity first), in stock in their size."""
        room: Room = await live_room(room_id)
        catalog = room.catalog

        def in_stock(product_id: str, size: str) -> bool:  # the live counts, not the loaded ones
            p = catalog.get(product_id) if catalog is not None else None
            return p is not None and p.size_in_stock(size)

        recs_feature = room.find(Recommendations)
        if recs_feature is None:
            raise ApiError(409, "recommend.off", "this node does not run recommendations")
        recommender = recs_feature.recommender
        recs = recommender.recommend(user, max(1, min(k, 20)), in_stock=in_stock)
        return {
            "user": user,
            "items": [
                {"product_id": r.product_id, "score": round(r.score, 4), "reason": r.reason, "text": r.text}
                for r in recs
            ],
        }
