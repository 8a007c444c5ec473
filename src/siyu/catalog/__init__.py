"""The product catalog of a room: products, SKUs and live stock, size charts, coupons, shop policy.

A domain package below the room core and the assistant: it imports nothing from siyu but :mod:`siyu.zh`.

- :class:`Catalog` (``catalog.py``): lookups by id, link number, name, category, colour; loading from
  ``catalog.json`` or CSV (``load.py``); live stock through :meth:`Catalog.adjust` (``stock.py``, one
  :class:`StockChange` per change, :class:`OutOfStock` below zero); the best coupon of a basket
  (``coupons.py``).
- :class:`Product` and :class:`SizeRow` (``model.py``); a product's shapes are ``to_dict()`` (the document),
  ``card()`` (the room's product card) and ``details()``.
- ``sizes.py``: :func:`canonical_size` (THE size normaliser), :func:`sku_key` (``颜色/尺码``), ``ONE_SIZE``.
- ``shop.py``: the shop policy sections and FAQ.
"""

from siyu.catalog.catalog import Catalog
from siyu.catalog.coupons import Coupon, CouponQuote, money
from siyu.catalog.errors import CatalogError, OutOfStock, StockError, UnknownProductError, UnknownSkuError
from siyu.catalog.load import meta_path_for
from siyu.catalog.model import Product, SizeRow
from siyu.catalog.shop import FaqEntry, ShopPolicy
from siyu.catalog.sizes import LETTER_ORDER, ONE_SIZE, SKU_SEP, canonical_size, sku_key, split_sku
from siyu.catalog.stock import StockChange, check_stock_change

__all__ = [
    "LETTER_ORDER",
    "ONE_SIZE",
    "SKU_SEP",
    "Catalog",
    "CatalogError",
    "Coupon",
    "CouponQuote",
    "FaqEntry",
    "OutOfStock",
    "Product",
    "ShopPolicy",
    "SizeRow",
    "StockChange",
    "StockError",
    "UnknownProductError",
    "UnknownSkuError",
    "canonical_size",
    "check_stock_change",
    "meta_path_for",
    "money",
    "sku_key",
    "split_sku",
]
