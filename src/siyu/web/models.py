"""Request and response models of the HTTP API: every string, number and list bounded, documented in the
OpenAPI schema, and checked before anything reaches a room or the database."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, model_validator

from siyu.auth import MAX_LEVEL, MAX_NICKNAME, ROOM_ID_PATTERN, Role

__all__ = [
    "ID_PATTERN",
    "LINE_PATTERN",
    "TEXT_PATTERN",
    "AskRequest",
    "CatalogDocument",
    "RoomCreate",
    "SessionStart",
    "StockChange",
    "TemplateUpdate",
    "TokenPublic",
    "TokenRequest",
    "check_json_document",
]

ID_PATTERN = rf"^{ROOM_ID_PATTERN}$"
"""Room and shop ids: what fits a URL path segment and a database key as is."""
LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
"""One line of text: no control characters (C0, DEL, C1)."""
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
"""Text that may span lines: tab, LF and CR allowed, no other control character."""

MAX_MONEY = 100_000_000  # yuan; an int, as in the catalog
MAX_LINK_NO = 100_000
MAX_JSON_DEPTH = 32
MAX_SAFE_INT = 2**53 - 1  # what every JSON reader (and the pages' JavaScript) reads exactly


def _line(max_length: int, min_length: int = 1) -> StringConstraints:
    return StringConstraints(min_length=min_length, max_length=max_length, pattern=LINE_PATTERN)


Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Line20 = Annotated[str, _line(20)]
Line40 = Annotated[str, _line(40)]
Line64 = Annotated[str, _line(64)]
Line100 = Annotated[str, _line(100)]
Line200 = Annotated[str, _line(200)]
Line300 = Annotated[str, _line(300)]
Nickname = Annotated[str, _line(MAX_NICKNAME)]
Question = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=TEXT_PATTERN)]
Template = Annotated[str, StringConstraints(max_length=2000, pattern=TEXT_PATTERN)]


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    room: Line64 = Field(description="room id, or `*` for an operator of every room")
    user: Line64 = Field(description="user id")
    role: Role = Role.VIEWER
    nickname: Nickname | None = Field(None, description="display name; the user id if absent")
    level: StrictInt = Field(0, ge=0, le=MAX_LEVEL, description="fan level")
    ttl_s: StrictInt | None = Field(None, ge=60, le=30 * 24 * 3600, description="lifetime in seconds")


class TokenPublic(BaseModel):
    token: str
    ws_url: str
    page_url: str | None


def check_json_document(value: Any, path: str = "", depth: int = 0) -> None:
    """A free-form JSON document (a catalog's extra fields) stores as is on SQLite and PostgreSQL: no NUL
    in any string or key, integers within ±2^53, at most 32 levels deep. ValueError names the path."""
    where = path or "document"
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"{where}: nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{where}: text must not contain U+0000")
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INT:
            raise ValueError(f"{where}: integer outside ±2^53")
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in str(key):
                raise ValueError(f"{where}: a key must not contain U+0000")
            check_json_document(item, f"{path}.{key}" if path else str(key), depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_json_document(item, f"{path}.{i}" if path else str(i), depth + 1)


class ShopDocument(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: Line200
    host: Annotated[str, _line(100, 0)] = ""


class ProductDocument(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: Line64
    name: Line300
    short_name: Line100 | None = None
    link_no: StrictInt | None = Field(None, ge=0, le=MAX_LINK_NO)
    price: StrictInt = Field(ge=0, le=MAX_MONEY)
    live_price: StrictInt | None = Field(None, ge=0, le=MAX_MONEY)


class CatalogDocument(BaseModel):
    """The format of the shipped demo catalog (`src/siyu/data/catalog.json`); the fields listed are checked
    here, the rest (skus, stock, size charts, coupons, policy …) is kept as given and read by the room's
    catalog, which says whether the assistant can use it."""

    model_config = ConfigDict(extra="allow")
    shop: ShopDocument
    products: list[ProductDocument] = Field(default_factory=list, max_length=5000)

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        check_json_document(data)
        if isinstance(data, dict) and isinstance(data.get("products"), list):
            seen: set[Any] = set()
            for i, p in enumerate(data["products"]):
                pid = p.get("id") if isinstance(p, dict) else None
                if isinstance(pid, str) and pid in seen:
                    raise ValueError(f"products.{i}.id: duplicate product id")
                seen.add(pid)
        return data


class RoomCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Id = Field(description="room id: letters, digits, `_` and `-`, 1..64")
    shop_id: Id
    title: Line200
    welcome_template: Template | None = None
    template: Literal["ecommerce", "show", "one_on_one"] | None = Field(
        None, description="a shipped scenario template: its playbooks (and its welcome, unless one is given)"
    )


class SessionStart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Line200 = "直播中"


class TemplateUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    template: Template | None = None


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: Question
    current_product: Line64 | None = None


class StockChange(BaseModel):
    """`count` sets a SKU (stock take); `delta` adds to it (restock > 0, order < 0). One of the two."""

    model_config = ConfigDict(extra="forbid")
    product_id: Line64
    color: Line40
    size: Line20
    count: StrictInt | None = Field(None, ge=0, le=1_000_000)
    delta: StrictInt | None = Field(None, ge=-1_000_000, le=1_000_000)
    reason: Literal["set", "order", "restock", "return"] = "set"
    user_id: Line64 | None = None  # the buyer, for an order (feeds recommendations)
