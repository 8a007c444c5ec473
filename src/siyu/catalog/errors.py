"""What goes wrong with a catalog: invalid documents, unknown products and SKUs, impossible stock."""

from __future__ import annotations

from typing import Any

from siyu.catalog.sizes import sku_key

__all__ = [
    "CatalogError",
    "OutOfStock",
    "StockError",
    "UnknownProductError",
    "UnknownSkuError",
]


class CatalogError(ValueError):
    """The catalog document or file is invalid, or a change to it is impossible."""


class UnknownProductError(CatalogError):
    """No product with that id."""

    def __init__(self, product_id: str) -> None:
        super().__init__(f"unknown product {product_id!r}")
        self.product_id = product_id


class UnknownSkuError(CatalogError):
    """The product does not make that colour/size combination."""

    def __init__(self, product_id: str, color: str, size: str) -> None:
        super().__init__(f"product {product_id} has no SKU {sku_key(color, size)}")
        self.product_id, self.color, self.size = product_id, color, size


class StockError(CatalogError):
    """A stock count is not a whole number >= 0, or a change gives neither or both of count and delta."""


class OutOfStock(StockError):
    """An order (negative delta) takes more than the SKU has left."""

    def __init__(self, product_id: str, color: str, size: str, left: int, wanted: int) -> None:
        super().__init__(f"{product_id} {sku_key(color, size)}: only {left} left, cannot take {wanted}")
        self.product_id, self.color, self.size = product_id, color, size
        self.left, self.wanted = left, wanted


# -- field checks shared by the model modules -------------------------------------------------------


def num(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CatalogError(f"{what}: expected a number, got {value!r}")
    return value


def opt_num(value: Any, what: str) -> float | None:
    return None if value is None else num(value, what)


def strs(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise CatalogError(f"{what}: expected a list of strings, got {value!r}")
    return tuple(value)


def jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value
