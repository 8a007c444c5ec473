"""Per-viewer product recommendations from live-room behaviour, and their offline evaluation.

- ``recommender.py``: :class:`Recommender` (``observe`` events, ``recommend`` for a viewer, ``popular``);
- ``model.py``: its settings and results; ``similarity.py``: catalog similarity and stock checks;
- ``interaction_log.py``: the seeded synthetic interaction log (viewers with latent preferences);
- ``offline.py``: leave-last-purchase-out hit rate@k against the popularity baseline (``run_offline_eval``).

A wing of its own: it imports :mod:`siyu.catalog` and no other wing (assistant, moderation).
"""

from siyu.recommend.interaction_log import (
    KINDS,
    SESSION_GAP_S,
    Interaction,
    LogConfig,
    Viewer,
    generate_log,
    generate_viewers,
    has_stock,
)
from siyu.recommend.model import (
    InStock,
    ProductDoc,
    ProductLike,
    Reason,
    Recommendation,
    RecommenderConfig,
    as_document,
)
from siyu.recommend.offline import (
    EvalResult,
    OfflineEval,
    evaluate,
    load_catalog_products,
    run_offline_eval,
)
from siyu.recommend.recommender import Recommender
from siyu.recommend.similarity import content_similarity, stock_checker

__all__ = [
    "KINDS",
    "SESSION_GAP_S",
    "EvalResult",
    "InStock",
    "Interaction",
    "LogConfig",
    "OfflineEval",
    "ProductDoc",
    "ProductLike",
    "Reason",
    "Recommendation",
    "Recommender",
    "RecommenderConfig",
    "Viewer",
    "as_document",
    "content_similarity",
    "evaluate",
    "generate_log",
    "generate_viewers",
    "has_stock",
    "load_catalog_products",
    "run_offline_eval",
    "stock_checker",
]
