"""HTTP routes of the room assistant: ask, live stock and orders, recommendations."""

from typing import TYPE_CHECKING, Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from siyu.assistant.catalog import CatalogError
from siyu.auth import Claims
from siyu.events import Context, StockChanged
from siyu.realtime.fanout import Priority

if TYPE_CHECKING:
    from siyu.rooms.live import LiveRoom


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
        room: LiveRoom = await live_room(room_id)
        engine = room.assistant.engine
        if engine is None:
            raise api_error(409, "assistant.off", "this room's assistant is off (no usable catalog)")
        a = engine.ask(body.question, body.current_product or room.pinned_id)
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
        room: LiveRoom = await live_room(room_id)
        catalog = room.assistant.catalog
        if catalog is None:
            raise api_error(409, "assistant.off", "this room has no usable catalog")
        if (body.count is None) == (body.delta is None):
            raise api_error(422, "stock.invalid", "give exactly one of count and delta")
        try:
            before = catalog.product(body.product_id).stock_of(body.color, body.size)
            if body.count is not None:
                after = catalog.set_stock(body.product_id, body.color, body.size, body.count)
            else:
                assert body.delta is not None
                after = catalog.adjust_stock(body.product_id, body.color, body.size, body.delta)
        except CatalogError as exc:
            raise api_error(422, "stock.invalid", str(exc)) from exc
        product = catalog.product(body.product_id)
        await room.service.save_stock(room.info.shop_id, body.product_id, dict(product.stock))
        payload = StockChanged(body.product_id, body.color, body.size, after, after - before, body.reason)
        message = {
            "type": "stock",
            "product_id": body.product_id,
            "color": body.color,
            "size": body.size,
            "count": after,
        }
        event = room.event_for(None, payload)
        event.context = Context(actor=claims.user)
        await room.record(None, None, event, message, Priority.LOW)
        if body.reason == "order" and body.user_id:
            ra = room.assistant
            ra.recommender.observe(body.user_id, body.product_id, "bought", event.ts / 1000, body.size)
        return {"product_id": body.product_id, "color": body.color, "size": body.size, "count": after}

    @app.get("/api/rooms/{room_id}/recommendations")
    async def recommendations(
        room_id: str, user: str, c: auth, k: int = 5
    ) -> dict[str, Any]:
        """Products for one viewer (behaviour in this room, popularity first), in stock in their size."""
        need_staff(c, room_id)
        room: LiveRoom = await live_room(room_id)
        ra = room.assistant
        catalog = ra.catalog

        def in_stock(product_id: str, size: str) -> bool:  # the live counts, not the loaded ones
            p = catalog.get(product_id) if catalog is not None else None
            return p is not None and p.size_in_stock(size)

        recs = ra.recommender.recommend(user, max(1, min(k, 20)), in_stock=in_stock)
        return {
            "user": user,
            "items": [
                {"product_id": r.product_id, "score": round(r.score, 4), "reason": r.reason, "text": r.text}
                for r in recs
            ],
        }
