"""HTTP routes of orders: the shop system's signed order webhook.

`POST /api/orders` is called by the shop (抖店, 有赞, 微信小店 …), not by a person: it carries no bearer token
but a signature of its exact body, `X-Siyu-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
"<t>.<body>")>` with the shared `[orders] webhook_secret` (the scheme Stripe and others use). The signature is
checked before the body is parsed; a timestamp older than `webhook_tolerance_s` is refused (replays).
"""

# No `from __future__ import annotations`: FastAPI reads the route signatures at runtime.
import hashlib
import hmac
import time
from typing import TYPE_CHECKING, Annotated, Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from siyu.interactions.orders import OrderCode, Orders, OrderStore, Refused
from siyu.interactions.orders.shop import ShopItem, ShopOrder, place_shop_order
from siyu.rooms.features import catalog_from
from siyu.web.errors import ApiError, responses
from siyu.web.models import Id, Line20, Line40, Line64, Nickname

if TYPE_CHECKING:
    from siyu.app import Node

__all__ = ["SIGNATURE_HEADER", "ShopOrderIn", "add_order_routes", "sign"]

SIGNATURE_HEADER = "X-Siyu-Signature"
Money = Annotated[float, Field(ge=0, le=100_000_000, allow_inf_nan=False)]


def sign(secret: str, body: bytes, t: int | None = None) -> str:
    """The header value a shop sends with `body` (for shops' integrations and the tests)."""
    t = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


class ShopItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_id: Line64
    color: Line40
    size: Line20
    qty: StrictInt = Field(ge=1, le=999)
    price: Money | None = Field(None, description="unit price paid (yuan); the live price when absent")


class ShopOrderIn(BaseModel):
    """An order placed in the shop. `order_id` is the shop's: the same id posted again is placed once."""

    model_config = ConfigDict(extra="forbid")
    order_id: Line64
    shop_id: Id
    room_id: Id | None = Field(None, description="the live room it came from (attribution), if any")
    user_id: Line64 | None = Field(None, description="the buyer's siyu user id, if the shop knows it")
    nickname: Nickname | None = None
    items: list[ShopItemIn] = Field(min_length=1, max_length=50)
    total: Money | None = Field(None, description="what the buyer paid (yuan); the lines' sum if absent")
    coupon_id: Line64 | None = None
    via: Line64 | None = Field(None, description="the interaction that led to it (flash:<id>, poll:<id> …)")


_STATUS = {
    OrderCode.OUT_OF_STOCK: 409,
    OrderCode.UNKNOWN_PRODUCT: 422,
    OrderCode.UNKNOWN_SKU: 422,
    OrderCode.NO_CATALOG: 409,
}


def _verify(secret: str, tolerance_s: int, header: str, body: bytes) -> None:
    if not secret:
        raise ApiError(403, "order.webhook_off", "the order webhook is off ([orders] webhook_secret unset)")
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    t, mac = parts.get("t", ""), parts.get("v1", "")
    if not t.isdigit() or len(t) > 12 or not mac:
        raise ApiError(401, "order.bad_signature", f"{SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex> required")
    if abs(time.time() - int(t)) > tolerance_s:
        raise ApiError(401, "order.stale_signature", f"the signed time is more than {tolerance_s} s away")
    want = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, mac):
        raise ApiError(401, "order.bad_signature", "the signature does not match the body")


def add_order_routes(app: FastAPI, node: "Node", live_room: Any) -> None:
    settings = node.settings.orders
    store = OrderStore(node.db)

    @app.post(
        "/api/orders", status_code=201, responses=responses(400, 401, 403, 404, 409, 413, 422),
        openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
            "schema": ShopOrderIn.model_json_schema(ref_template="#/components/schemas/{model}")}}}},
    )  # fmt: skip
    async def shop_order(request: Request) -> JSONResponse:
        """A shop's order (signed webhook, idempotent by the shop's order id): 201 placed, 200 placed
        before (`duplicate: true`); stock is taken once, an order over stock is 409 `order.out_of_stock`."""
        body = await request.body()
        _verify(settings.webhook_secret, settings.webhook_tolerance_s,
                request.headers.get(SIGNATURE_HEADER, ""), body)  # fmt: skip
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ApiError(400, "request.bad_json", f"the body is not strict JSON: {exc}") from exc
        try:
            got = ShopOrderIn.model_validate(data)
        except ValidationError as exc:
            raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from exc
        order = ShopOrder(
            order_id=got.order_id, shop_id=got.shop_id, room_id=got.room_id, user_id=got.user_id,
            nickname=got.nickname, total=got.total, coupon_id=got.coupon_id, via=got.via,
            items=[ShopItem(i.product_id, i.color, i.size, i.qty, i.price) for i in got.items],
        )  # fmt: skip
        room_orders, catalog = None, None
        if got.room_id is not None:
            room = await live_room(got.room_id)
            if room.info.shop_id != got.shop_id:
                raise ApiError(422, "order.wrong_shop", f"room {got.room_id} is not of shop {got.shop_id}")
            room_orders = room.find(Orders)
        else:
            doc = await node.rooms.catalog_document(got.shop_id)
            if "shop" not in doc:
                raise ApiError(404, "shop_not_found", f"no shop {got.shop_id}")
            catalog = catalog_from(doc)
        try:
            placed, new = await place_shop_order(store, order, room_orders=room_orders, catalog=catalog,
                                                 log=node.eventlog)  # fmt: skip
        except Refused as no:
            raise ApiError(_STATUS.get(no.code, 409), no.code, f"{no.code} {no.detail}") from no
        answer = {"order": placed.wire(), "duplicate": not new}
        return JSONResponse(answer, status_code=201 if new else 200)
