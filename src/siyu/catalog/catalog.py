"""The room's catalog: shop policy, products and coupons, with lookups, live stock and coupon quotes.

The in-memory model the assistant answers from. It is built from the catalog document (the
``catalog.json`` format described in ``shared/data/README.md``; the room builds the same dicts from its
database rows) with :meth:`Catalog.from_document`, or read from a file with :meth:`Catalog.load` (JSON, or
CSV + meta JSON: see :mod:`siyu.catalog.load`).

Live stock changes in place through :meth:`Catalog.adjust`, so answers always reflect the latest orders and
restocks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from siyu.catalog.coupons import Coupon, CouponQuote, best_quote, total
from siyu.catalog.errors import CatalogError, UnknownProductError
from siyu.catalog.gifts import Gift, gift_dict, parse_gifts
from siyu.catalog.load import read_document, write_csv
from siyu.catalog.model import Product
from siyu.catalog.shop import ShopPolicy
from siyu.catalog.stock import StockChange, change_stock

__all__ = ["Catalog"]


class Catalog:
    """Shop policy, products and coupons, with lookups and live stock."""

    def __init__(
        self, shop: ShopPolicy, products: Sequence[Product], coupons: Sequence[Coupon],
        gifts: Sequence[Gift] = (),
    ) -> None:  # fmt: skip
        self.shop = shop
        self.products: list[Product] = list(products)
        self.coupons: list[Coupon] = list(coupons)
        self.gifts: tuple[Gift, ...] = tuple(gifts)  # the shop's own gift list; empty: the default gifts
        self._by_id: dict[str, Product] = {}
        self._by_link: dict[int, Product] = {}
        self._by_short: dict[str, Product] = {}
        self._by_name: dict[str, Product] = {}
        self._by_category: dict[str, list[Product]] = {}
        self._by_color: dict[str, list[Product]] = {}
        for p in self.products:
            if p.id in self._by_id:
                raise CatalogError(f"duplicate product id {p.id!r}")
            if p.link_no in self._by_link:
                raise CatalogError(f"duplicate product link_no {p.link_no!r}")
            if p.short_name in self._by_short:
                raise CatalogError(f"duplicate product short_name {p.short_name!r}")
            self._by_id[p.id] = self._by_link[p.link_no] = self._by_short[p.short_name] = p
            self._by_name.setdefault(p.name, p)
            self._by_category.setdefault(p.category, []).append(p)
            for color in p.colors:
                self._by_color.setdefault(color, []).append(p)
        seen: set[str] = set()
        for c in self.coupons:
            if c.id in seen:
                raise CatalogError(f"duplicate coupon id {c.id!r}")
            seen.add(c.id)

    # -- building ----------------------------------------------------------------------------------

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Catalog:
        """Build from the catalog.json structure: ``{"shop": {...}, "products": [...], "coupons": [...]}``
        and optionally ``"gifts": [...]`` (checked by :func:`siyu.catalog.gifts.parse_gifts`)."""
        if not isinstance(doc, Mapping):
            raise CatalogError("catalog document must be an object")
        shop_raw = doc.get("shop") or {}
        products_raw = doc.get("products")
        coupons_raw = doc.get("coupons") or []
        if not isinstance(shop_raw, Mapping):
            raise CatalogError("shop: expected an object")
        if not isinstance(products_raw, list):
            raise CatalogError("products: expected a list")
        if not isinstance(coupons_raw, list):
            raise CatalogError("coupons: expected a list")
        if not products_raw:
            # Nothing to answer about (the assistant's answers name the link numbers on sale: 现在是1-24号).
            # A shop's rooms work without a live catalog (no assistant, no stock) until it has products.
            raise CatalogError("products: the catalog has no products")
        return cls(
            ShopPolicy.from_dict(shop_raw),
            [Product.from_dict(p) for p in products_raw],
            [Coupon.from_dict(c) for c in coupons_raw],
            parse_gifts(doc.get("gifts"), ()),
        )

    @classmethod
    def load(cls, path: str | Path, *, meta: str | Path | None = None) -> Catalog:
        """Read a ``.json`` catalog document, or a ``.csv`` SKU table plus its meta JSON."""
        return cls.from_document(read_document(path, meta=meta))

    def to_document(self) -> dict[str, Any]:
        doc = {
            "shop": self.shop.to_dict(),
            "products": [p.to_dict() for p in self.products],
            "coupons": [c.to_dict() for c in self.coupons],
        }
        if self.gifts:
            doc["gifts"] = [gift_dict(g) for g in self.gifts]
        return doc

    def write_csv(self, path: str | Path, *, meta: str | Path | None = None) -> Path:
        """Write the SKU table to `path` and shop + coupons to the meta side file; returns the meta path."""
        doc: dict[str, Any] = {"shop": self.shop.to_dict(), "coupons": [c.to_dict() for c in self.coupons]}
        if self.gifts:
            doc["gifts"] = [gift_dict(g) for g in self.gifts]
        return write_csv(path, self.products, doc, meta=meta)

    # -- lookups -----------------------------------------------------------------------------------

    def get(self, product_id: str | None) -> Product | None:
        return None if product_id is None else self._by_id.get(product_id)

    def product(self, product_id: str) -> Product:
        try:
            return self._by_id[product_id]
        except KeyError:
            raise UnknownProductError(product_id) from None

    def by_link_no(self, link_no: int) -> Product | None:
        return self._by_link.get(link_no)

    def by_short_name(self, short_name: str) -> Product | None:
        return self._by_short.get(short_name)

    def by_name(self, name: str) -> Product | None:
        return self._by_name.get(name)

    def by_category(self, category: str) -> list[Product]:
        return list(self._by_category.get(category, ()))

    def by_color(self, color: str) -> list[Product]:
        return list(self._by_color.get(color, ()))

    @property
    def link_numbers(self) -> frozenset[int]:
        return frozenset(self._by_link)

    @property
    def categories(self) -> list[str]:
        return list(self._by_category)

    @property
    def colors(self) -> list[str]:
        return list(self._by_color)

    # -- live stock --------------------------------------------------------------------------------

    def adjust(
        self, product_id: str, color: str, size: str, *, count: int | None = None, delta: int | None = None
    ) -> StockChange:
        """Set one SKU's count (`count`, a stock take) or change it (`delta`: restock > 0, order < 0).

        Exactly one of the two, else StockError (a CatalogError). The count never goes below 0: an order
        that takes more than is left raises OutOfStock and changes nothing. Unknown product or SKU:
        UnknownProductError / UnknownSkuError.
        """
        return change_stock(self.product(product_id), color, size, count=count, delta=delta)

    # -- coupons -----------------------------------------------------------------------------------

    def best_coupon(
        self, product_id: str, quantity: int = 1, *, include_conditional: bool = False
    ) -> CouponQuote | None:
        """The single best coupon for `quantity` pieces of one product (README: 券后价/到手价)."""
        return self.best_coupon_for_basket([(product_id, quantity)], include_conditional=include_conditional)

    def best_coupon_for_basket(
        self, items: Iterable[tuple[str, int]] | Mapping[str, int], *, include_conditional: bool = False
    ) -> CouponQuote | None:
        """The single best coupon for a basket of ``(product_id, quantity)``; coupons never stack.

        A coupon counts the live prices of the products it applies to against its threshold; coupons with
        a ``condition`` (粉丝团, 新客首单) are left out unless `include_conditional`. Ties go to the coupon
        listed first. None when no coupon applies.
        """
        pairs = list(items.items()) if isinstance(items, Mapping) else list(items)
        lines = [(self.product(pid), qty) for pid, qty in pairs if qty > 0]
        return best_quote(self.coupons, lines, include_conditional=include_conditional)

    def basket_total(self, items: Iterable[tuple[str, int]]) -> float:
        return total((self.product(pid), qty) for pid, qty in items)
