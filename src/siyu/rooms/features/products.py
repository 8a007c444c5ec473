"""Products in the room: the pinned product (讲解卡, the assistant's 这件) and live stock."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from siyu.catalog import Catalog, CatalogError, sku_key
from siyu.events import Event, ProductPinned, StockChanged
from siyu.realtime import protocol as wire
from siyu.realtime.protocol import Cid, ClientMessage, ErrorCode, RoomMessage
from siyu.rooms.feature import Feature, committed, follows, handles
from siyu.rooms.room import Member
from siyu.store.stock import Level
from siyu.zh import cn_int

log = logging.getLogger(__name__)


class PinIn(ClientMessage):
    type: Literal["pin"]
    product_id: str | None = Field(None, max_length=64)
    cid: Cid | None = None


@dataclass(slots=True, kw_only=True)
class Pin(RoomMessage):
    type: Literal["pin"] = "pin"
    product: dict[str, Any] | None


@dataclass(slots=True, kw_only=True)
class Stock(RoomMessage):
    type: Literal["stock"] = "stock"
    product_id: str
    color: str
    size: str
    count: int


_LINK = re.compile(
    r"(?:链接|小黄车)?\s*([0-9]{1,4}|[〇零一二两三四五六七八九十百]{1,6})\s*(?:号|#)?\s*(?:链接)?"
)


def catalog_from(doc: dict[str, Any]) -> Catalog | None:
    """The room's catalog, or None (no assistant, no stock answers) when the shop's catalog is incomplete."""
    try:
        return Catalog.from_document(doc)
    except (CatalogError, KeyError, TypeError, ValueError) as exc:
        log.warning("the shop catalog does not load (%s): no live catalog in this room", exc)
        return None


class Products(Feature):
    name = "products"

    def __init__(self, room: Any) -> None:
        super().__init__(room)
        pinned = room.info.pinned_product_id
        self.pinned: dict[str, Any] | None = room.products.get(pinned) if pinned else None
        # (product id, sku) -> the version of the count this node's catalog holds (see store/stock.py)
        self.versions: dict[tuple[str, str], int] = {}

    async def load(self) -> None:
        """The catalog was read with the current counts: follow `stock` changes newer than these."""
        self.versions = await self.room.service.stock_versions(self.room.info.shop_id)

    def learn(self, product_id: str, color: str, size: str, level: Level) -> None:
        """A count the database showed (e.g. to an order it refused): taken if newer than what is held."""
        key = (product_id, sku_key(color, size))
        if self.room.catalog is not None and level.version > self.versions.get(key, 0):
            self.versions[key] = level.version
            self.room.catalog.adjust(product_id, color, size, count=level.count)

    async def reload_stock(self) -> None:
        """Take the counts of the database again (after a stock take that sent no `stock` messages)."""
        catalog = self.room.catalog
        if catalog is None:
            return
        doc = await self.room.service.catalog_document(self.room.info.shop_id)
        for p in doc.get("products", []):
            product = catalog.get(p["id"])
            if product is not None:
                for key, count in (p.get("stock") or {}).items():
                    if key in product.stock:
                        product.stock[key] = int(count)
        self.versions = await self.room.service.stock_versions(self.room.info.shop_id)

    @property
    def pinned_id(self) -> str | None:
        return str(self.pinned["id"]) if self.pinned else None

    def state(self) -> dict[str, Any]:
        return {"pinned": self.pinned}

    def resolve(self, ref: str) -> str | None:
        """The product a host means: its id, its link number as the host sees it (`3`, `3号`, `3号链接`,
        `链接3`, `三号`, `3#`), its short name or name, or a part of one that names a single product."""
        ref = ref.strip()
        cards = self.room.products
        if ref in cards:
            return ref
        m = _LINK.fullmatch(ref)
        if m is not None:
            try:
                n = cn_int(m.group(1))
            except KeyError:
                n = -1
            return next((pid for pid, c in cards.items() if c.get("link_no") == n), None)
        exact = [pid for pid, c in cards.items() if ref in (c.get("short_name"), c.get("name"))]
        if exact:
            return exact[0]
        partial = [pid for pid, c in cards.items() if ref and ref in f"{c.get('short_name')} {c.get('name')}"]
        return partial[0] if len(partial) == 1 else None

    def listing(self) -> list[dict[str, Any]]:
        """The room's products by link number (the 小黄车 list): card, colours, sizes, live stock per
        colour/size, and whether the host is presenting it (讲解中)."""
        out = []
        for pid, card in self.room.products.items():
            item: dict[str, Any] = {**card, "explaining": pid == self.pinned_id}
            product = self.room.catalog.get(pid) if self.room.catalog is not None else None
            if product is not None:
                item.update(colors=list(product.colors), sizes=list(product.sizes), stock=dict(product.stock))
            out.append(item)
        return sorted(out, key=lambda c: (c.get("link_no") is None, c.get("link_no") or 0, c["id"]))

    def pin(self, product_id: str | None, by: Member | None = None, cid: str | None = None) -> bool:
        """Pin a product of the shop (by anything `resolve` understands), or unpin with None; False when
        the shop has no such product."""
        card = None
        if product_id is not None:
            resolved = self.resolve(product_id)
            card = self.room.products.get(resolved) if resolved is not None else None
            if card is None:
                return False
            product_id = resolved
        self.room.record(by, cid, self.room.event_for(by, ProductPinned(product_id)), Pin(product=card))
        return True

    @handles(PinIn)
    def pin_in(self, m: Member, msg: PinIn) -> None:
        if not m.is_staff:
            m.send(wire.reject(msg.cid, ErrorCode.FORBIDDEN_ROLE, "只有主播或场控可以置顶商品"))
            return
        if not self.pin(msg.product_id, m, msg.cid):
            m.send(wire.reject(msg.cid, ErrorCode.UNKNOWN_PRODUCT, f"没有这个商品: {msg.product_id}"))

    @follows(ProductPinned)
    def _pinned(self, event: Event[ProductPinned]) -> None:
        pid = event.payload.product_id
        self.pinned = self.room.products.get(pid) if pid is not None else None

    @committed(ProductPinned)
    def _persist_pin(self, event: Event[ProductPinned]) -> None:
        room = self.room
        room.spawn(room.service.set_room_fields(room.info.id, pinned_product_id=event.payload.product_id))

    @follows(StockChanged)
    def _stock(self, event: Event[StockChanged]) -> None:
        """Every node's catalog takes the count the change committed (idempotent on the node that made it),
        unless it holds a newer one (concurrent orders on two nodes may commit in one order and be
        sequenced in the other; a replay after a restart is older than the catalog it loaded)."""
        p = event.payload
        key = (p.product_id, sku_key(p.color, p.size))
        if p.version and p.version <= self.versions.get(key, 0):
            return
        if p.version:
            self.versions[key] = p.version
        if self.room.catalog is not None:
            try:
                self.room.catalog.adjust(p.product_id, p.color, p.size, count=p.count)
            except CatalogError as exc:
                log.warning("stock update ignored: %s", exc)
