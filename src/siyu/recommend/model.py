"""What the recommender works with: product documents, its settings, and a recommendation."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from siyu.catalog import Product

__all__ = [
    "KIND_RANK",
    "KIND_VERB",
    "REASON_POPULAR",
    "InStock",
    "ProductDoc",
    "ProductLike",
    "Reason",
    "Recommendation",
    "RecommenderConfig",
    "as_document",
]

ProductDoc = Mapping[str, Any]
"""A product as the catalog document has it (``Product.to_dict()``, a ``catalog.json`` product)."""
InStock = Callable[[str, str], bool]
"""``in_stock(product_id, size)``."""
ProductLike = Product | ProductDoc
"""A catalog :class:`~siyu.catalog.Product`, or its document (``Product.to_dict()``, ``catalog.json``)."""
Reason = Literal["revisit", "similar_style", "co_interest", "popular"]

# Rank of each kind as a sign of interest, for the reason text ("你加购过的…").
KIND_RANK: Final = {"viewed": 0, "clicked": 1, "asked": 2, "claimed": 3, "carted": 4, "bought": 5}
KIND_VERB: Final = {
    "viewed": "看过",
    "clicked": "点开过",
    "asked": "咨询过",
    "claimed": "领过券的",
    "carted": "加购过",
    "bought": "买过",
}
REASON_POPULAR: Final = "直播间热卖"


def as_document(product: ProductLike) -> ProductDoc:
    """The catalog document of a product (a document is returned as is)."""
    return product.to_dict() if isinstance(product, Product) else product


def _default_kind_weights() -> dict[str, float]:
    return {"viewed": 0.3, "clicked": 1.0, "asked": 2.0, "claimed": 2.0, "carted": 3.0, "bought": 4.0}


@dataclass(frozen=True)
class RecommenderConfig:
    kind_weights: dict[str, float] = field(default_factory=_default_kind_weights)
    history_half_life_s: float = 7 * 86400.0
    popularity_half_life_s: float = 3 * 86400.0
    w_own: float = 0.3
    w_co: float = 0.3
    w_content: float = 0.3
    w_popular: float = 0.2
    max_users: int = 100_000
    max_history: int = 50
    max_bought: int = 100
    max_sizes: int = 6


@dataclass(frozen=True, slots=True)
class Recommendation:
    product_id: str
    score: float
    reason: Reason
    text: str  # short Chinese reason shown to the viewer
    anchor: str | None = None  # the history product the reason refers to
    size: str | None = None  # the viewer's size, when the product makes it (and has stock, if checked)
