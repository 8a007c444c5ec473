"""Catalog similarity of two products (category and category group, gender, style tags, price band,
season), and the stock check of a product document.

Products here are catalog documents (``Product.to_dict()``, or a ``catalog.json`` product).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Final

from siyu.recommend.interaction_log import NON_STYLE_TAGS, has_stock
from siyu.recommend.model import InStock, ProductDoc

__all__ = ["content_similarity", "price_of", "stock_checker"]

# Coarse category groups for content similarity (by keyword, so 男装T恤 is a top like T恤).
_CATEGORY_GROUPS: Final = (
    ("outer", ("外套", "羽绒", "大衣", "风衣", "夹克", "棉服")),
    ("dress", ("连衣裙",)),
    ("bottom", ("裤", "半身裙")),
    ("top", ("T恤", "衬衫", "卫衣", "针织", "毛衣", "上衣", "背心")),
)
_SEASONS: Final = {"春": "春", "夏": "夏", "秋": "秋", "冬": "冬"}


def _category_group(category: str) -> str | None:
    for group, keys in _CATEGORY_GROUPS:
        if any(k in category for k in keys):
            return group
    return None


def _season_set(season: str) -> frozenset[str]:
    if "四季" in season:
        return frozenset(_SEASONS.values())
    return frozenset(v for k, v in _SEASONS.items() if k in season)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def price_of(p: ProductDoc) -> float:
    return max(float(p.get("live_price") or p.get("price") or 1.0), 1.0)


def content_similarity(a: ProductDoc, b: ProductDoc) -> float:
    """Catalog similarity in [0, 1]: category (and group), style tags, price band, season; gender gates."""
    ga, gb = str(a.get("gender", "")), str(b.get("gender", ""))
    if ga == gb:
        gender = 1.0
    elif "中性" in (ga, gb):
        gender = 0.7
    else:
        gender = 0.15
    ca, cb = str(a.get("category", "")), str(b.get("category", ""))
    if ca == cb:
        cat = 1.0
    else:
        group = _category_group(ca)
        cat = 0.35 if group is not None and group == _category_group(cb) else 0.0
    tags_a = frozenset(str(t) for t in a.get("tags", []) if t not in NON_STYLE_TAGS)
    tags_b = frozenset(str(t) for t in b.get("tags", []) if t not in NON_STYLE_TAGS)
    price = math.exp(-abs(math.log(price_of(a)) - math.log(price_of(b))) / 0.5)
    season = _jaccard(_season_set(str(a.get("season", ""))), _season_set(str(b.get("season", ""))))
    return gender * (0.4 * cat + 0.25 * _jaccard(tags_a, tags_b) + 0.2 * price + 0.15 * season)


def stock_checker(products: Iterable[ProductDoc]) -> InStock:
    """``in_stock(product_id, size)`` from the catalog's ``stock`` ("颜色/尺码" -> count) of each product."""
    by_id = {str(p["id"]): p for p in products}

    def in_stock(product_id: str, size: str) -> bool:
        p = by_id.get(product_id)
        return p is not None and has_stock(p, size)

    return in_stock
