"""Live stock: one way to change a SKU's count, with the before/after of every change.

``Catalog.adjust(product_id, color, size, count=N)`` sets a count (a stock take); ``delta=D`` adds to it
(a restock > 0, an order < 0). Counts are whole numbers and never go below 0: an order that takes more than
is left raises :class:`~siyu.catalog.errors.OutOfStock` and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from siyu.catalog.errors import OutOfStock, StockError, UnknownSkuError
from siyu.catalog.model import Product
from siyu.catalog.sizes import sku_key

__all__ = ["StockChange", "change_stock", "check_stock_change"]


@dataclass(slots=True, frozen=True)
class StockChange:
    """One applied change of one SKU's count."""

    product_id: str
    color: str
    size: str
    before: int
    after: int

    @property
    def delta(self) -> int:
        return self.after - self.before


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_stock_change(count: int | None, delta: int | None, what: str = "stock") -> None:
    """Exactly one of `count` (a whole number >= 0) and `delta` (a whole number), else StockError."""
    if (count is None) == (delta is None):
        raise StockError(f"{what}: give exactly one of count and delta")
    if count is not None and (not _whole(count) or count < 0):
        raise StockError(f"{what} must be a whole number >= 0, got {count!r}")
    if delta is not None and not _whole(delta):
        raise StockError(f"stock change must be a whole number, got {delta!r}")


def change_stock(
    product: Product, color: str, size: str, *, count: int | None = None, delta: int | None = None
) -> StockChange:
    """Set (`count`) or change (`delta`) the count of one SKU of `product`; exactly one of the two."""
    key = sku_key(color, size)
    if key not in product.stock:
        raise UnknownSkuError(product.id, color, size)
    check_stock_change(count, delta, f"stock of {product.id} {key}")
    before = product.stock[key]
    if count is not None:
        after = count
    else:
        assert delta is not None
        after = before + delta
        if after < 0:
            raise OutOfStock(product.id, color, size, before, -delta)
    product.stock[key] = after
    return StockChange(product.id, color, size, before, after)
