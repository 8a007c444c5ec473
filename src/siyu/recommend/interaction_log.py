"""Seeded synthetic interaction logs for a live-room catalog (offline evaluation of recommendations).

Every viewer has latent preferences that the log never states: a gender, two favourite categories, a couple
of favourite style tags, a price band, a letter size and a jeans waist size, plus an idiosyncratic taste
for each product (noise). Viewers come to a few evening live sessions on different days. In a session they
see product cards, part pushed by the host from that day's line-up (weighted by a per-seed product
popularity, so hit products dominate the exposures) and part browsed from the 小黄车 by their own taste.
Each card goes down the funnel viewed → clicked → (asked about a size, claimed a coupon) → carted → bought,
with probabilities that rise with the viewer's affinity for the product. A viewer never buys a product twice
and cannot buy a product that does not make their size or has it sold out in every colour; carted but
unpaid items are sometimes picked up again in a later session (the usual cart follow-up).

The evaluation (``offline.evaluate``) holds out each viewer's last purchase and removes the funnel that led
to it (that product's events in the same session), so the answer is not in the training data; whether the
viewer touched the product in an earlier session is reported separately.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, get_args

from siyu.catalog import ONE_SIZE, canonical_size, split_sku

Kind = Literal["viewed", "clicked", "claimed", "carted", "bought", "asked"]
KINDS: Final[tuple[str, ...]] = get_args(Kind)

# Consecutive events of one viewer closer than this belong to one session; the generator keeps gaps inside a
# session well below it and sessions on different days.
SESSION_GAP_S: Final = 1800.0

# 2024-06-01 00:00 Beijing time: a fixed origin so a seed always gives the same log.
DEFAULT_START_TS: Final = 1_717_171_200.0

_WOMEN_LETTER: Final = (("S", 0.22), ("M", 0.36), ("L", 0.28), ("XL", 0.11), ("XXL", 0.03))
_MEN_LETTER: Final = (("M", 0.18), ("L", 0.34), ("XL", 0.30), ("XXL", 0.12), ("3XL", 0.06))
_WOMEN_WAIST: Final[dict[str, tuple[str, ...]]] = {
    "S": ("26", "27"),
    "M": ("27", "28"),
    "L": ("28", "29", "30"),
    "XL": ("30", "31"),
    "XXL": ("31", "32"),
}
_MEN_WAIST: Final[dict[str, tuple[str, ...]]] = {
    "M": ("29", "30"),
    "L": ("30", "31", "32"),
    "XL": ("32", "33"),
    "XXL": ("33", "34"),
    "3XL": ("34", "36"),
}
# Tags that describe logistics or repeat the gender/season fields, not a style a viewer could prefer.
NON_STYLE_TAGS: Final = frozenset({"预售", "男装", "女装", "夏季", "冬季", "秋冬", "春秋", "春夏", "四季"})


@dataclass(frozen=True, slots=True)
class Interaction:
    """One implicit-feedback event: ``user_id`` did ``kind`` on ``product_id`` at ``ts`` (epoch seconds)."""

    user_id: str
    product_id: str
    kind: str
    ts: float
    size: str | None = None


@dataclass(frozen=True, slots=True)
class Viewer:
    """The latent preferences of one synthetic viewer (never part of the log itself)."""

    user_id: str
    gender: str
    categories: tuple[str, ...]
    style_tags: tuple[str, ...]
    log_price: float
    letter_size: str
    waist_size: str
    activity: float


@dataclass(frozen=True)
class LogConfig:
    days: int = 28
    start_ts: float = DEFAULT_START_TS
    women_share: float = 0.72
    mean_activity: float = 2.2  # mean of the extra sessions per viewer (Poisson with a log-normal rate)
    mean_cards: float = 5.0  # extra product cards per session (Poisson)
    host_push_share: float = 0.5  # share of cards pushed by the host rather than browsed
    lineup_size: int = 10  # products the host features per day
    popularity_sigma: float = 0.6  # log-normal spread of the per-seed product popularity
    taste_noise: float = 0.8  # sd of the per-(viewer, product) idiosyncratic taste
    cart_follow_up: float = 0.25  # chance a session starts by reopening an unpaid carted item
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "category": 1.8,
            "style": 0.9,
            "price": 1.0,  # penalty per price-band width away from the viewer's band
            "popularity": 0.5,
            "gender": 3.5,  # penalty for the other gender's products
        }
    )


def size_system(sizes: Sequence[str]) -> str:
    """``one`` (均码), ``number`` (jeans waist) or ``letter``."""
    if not sizes or all(canonical_size(s) == ONE_SIZE for s in sizes):
        return "one"
    if all(canonical_size(s).isdigit() for s in sizes):
        return "number"
    return "letter"


def size_kind(size: str) -> str:
    s = canonical_size(size)
    if s == ONE_SIZE:
        return "one"
    return "number" if s.isdigit() else "letter"


def has_stock(product: Mapping[str, Any], size: str) -> bool:
    """True when some colour of ``product`` has ``size`` in stock (``stock``: "颜色/尺码" -> count)."""
    want = canonical_size(size)
    stock: Mapping[str, Any] = product.get("stock") or {}
    for key, count in stock.items():
        _, sku_size = split_sku(str(key))
        if canonical_size(sku_size) == want and isinstance(count, int | float) and count > 0:
            return True
    return False


def _weighted_choice(rng: random.Random, items: Sequence[tuple[str, float]]) -> str:
    return rng.choices([i for i, _ in items], weights=[w for _, w in items], k=1)[0]


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _fits_gender(viewer_gender: str, product_gender: str) -> bool:
    return product_gender in (viewer_gender, "中性")


def sample_viewer(
    rng: random.Random, user_id: str, products: Sequence[Mapping[str, Any]], config: LogConfig
) -> Viewer:
    gender = "女" if rng.random() < config.women_share else "男"
    own = [p for p in products if _fits_gender(gender, str(p.get("gender", "")))] or list(products)
    categories = sorted({str(p["category"]) for p in own})
    favourites = tuple(rng.sample(categories, k=min(2, len(categories))))
    tags = sorted({str(t) for p in own for t in p.get("tags", []) if t not in NON_STYLE_TAGS})
    style = tuple(rng.sample(tags, k=min(2, len(tags))))
    anchor = rng.choice(own)
    log_price = math.log(float(anchor.get("live_price") or anchor.get("price") or 1.0)) + rng.gauss(0.0, 0.3)
    letter = _weighted_choice(rng, _WOMEN_LETTER if gender == "女" else _MEN_LETTER)
    waist = rng.choice((_WOMEN_WAIST if gender == "女" else _MEN_WAIST)[letter])
    activity = config.mean_activity * math.exp(rng.gauss(-0.18, 0.6))
    return Viewer(user_id, gender, favourites, style, log_price, letter, waist, activity)


def viewer_size_for(viewer: Viewer, product: Mapping[str, Any]) -> str:
    """The size this viewer would ask for / buy of ``product`` (may be a size the product does not make)."""
    system = size_system([str(s) for s in product.get("sizes", [])])
    if system == "one":
        return ONE_SIZE
    return viewer.waist_size if system == "number" else viewer.letter_size


def _can_buy(viewer: Viewer, product: Mapping[str, Any]) -> bool:
    size = viewer_size_for(viewer, product)
    if size == ONE_SIZE:
        return has_stock(product, ONE_SIZE) or not product.get("stock")
    made = {canonical_size(str(s)) for s in product.get("sizes", [])}
    return size in made and has_stock(product, size)


class _Generator:
    def __init__(self, products: Sequence[Mapping[str, Any]], seed: int, config: LogConfig) -> None:
        if not products:
            raise ValueError("empty catalog")
        self.products = list(products)
        self.config = config
        self.rng = random.Random(seed)
        rng = self.rng
        self.popularity: dict[str, float] = {}
        for p in self.products:
            boost = 1.0
            tags = set(p.get("tags", []))
            if "爆款" in tags:
                boost *= 2.0
            if "引流款" in tags:
                boost *= 1.5
            self.popularity[str(p["id"])] = boost * math.exp(rng.gauss(0.0, config.popularity_sigma))
        total = sum(self.popularity.values())
        self.popularity = {pid: w / total for pid, w in self.popularity.items()}
        self.by_id = {str(p["id"]): p for p in self.products}
        ids = list(self.by_id)
        self.lineups: list[list[str]] = []
        for _ in range(config.days):
            pool = ids[:]
            lineup: list[str] = []
            for _ in range(min(config.lineup_size, len(pool))):
                pick = rng.choices(pool, weights=[self.popularity[i] for i in pool], k=1)[0]
                pool.remove(pick)
                lineup.append(pick)
            self.lineups.append(lineup)

    def affinity(self, viewer: Viewer, taste: Mapping[str, float]) -> dict[str, float]:
        w = self.config.weights
        out: dict[str, float] = {}
        n = len(self.products)
        for pid, p in self.by_id.items():
            a = taste[pid]
            if p["category"] in viewer.categories:
                a += w["category"]
            if set(p.get("tags", [])) & set(viewer.style_tags):
                a += w["style"]
            price = float(p.get("live_price") or p.get("price") or 1.0)
            a -= w["price"] * abs(math.log(price) - viewer.log_price) / 0.4
            a += w["popularity"] * math.log(self.popularity[pid] * n)
            if not _fits_gender(viewer.gender, str(p.get("gender", ""))):
                a -= w["gender"]
            out[pid] = a
        return out

    def viewer_events(self, viewer: Viewer) -> list[Interaction]:
        rng, cfg = self.rng, self.config
        taste = {pid: rng.gauss(0.0, cfg.taste_noise) for pid in self.by_id}
        aff = self.affinity(viewer, taste)
        browse_ids = list(aff)
        browse_w = [math.exp(aff[i]) for i in browse_ids]
        sessions = min(cfg.days, 1 + _poisson(rng, viewer.activity))
        days = sorted(rng.sample(range(cfg.days), k=sessions))
        bought: set[str] = set()
        carted: list[str] = []
        events: list[Interaction] = []
        for day in days:
            ts = cfg.start_ts + day * 86400.0 + 19 * 3600.0 + rng.uniform(0.0, 4.5 * 3600.0)
            lineup = self.lineups[day]
            cards: list[str] = []
            unpaid = [c for c in carted if c not in bought]
            if unpaid and rng.random() < cfg.cart_follow_up:
                cards.append(rng.choice(unpaid))
            for _ in range(1 + _poisson(rng, cfg.mean_cards)):
                if rng.random() < cfg.host_push_share:
                    cards.append(rng.choices(lineup, weights=[self.popularity[i] for i in lineup], k=1)[0])
                else:
                    cards.append(rng.choices(browse_ids, weights=browse_w, k=1)[0])
            for pid in cards:
                ts = self._card(viewer, pid, aff[pid], ts, bought, carted, events)
                ts += rng.uniform(20.0, 240.0)
        return events

    def _card(
        self,
        viewer: Viewer,
        pid: str,
        a: float,
        ts: float,
        bought: set[str],
        carted: list[str],
        out: list[Interaction],
    ) -> float:
        rng = self.rng
        uid = viewer.user_id
        product = self.by_id[pid]
        size = viewer_size_for(viewer, product)

        def emit(kind: str, sz: str | None = None) -> None:
            nonlocal ts
            out.append(Interaction(uid, pid, kind, round(ts, 3), sz))
            ts += rng.uniform(3.0, 60.0)

        emit("viewed")
        if rng.random() >= _sigmoid(a - 0.8):
            return ts
        emit("clicked")
        intent = _sigmoid(1.3 * a - 2.0)
        if size != ONE_SIZE and rng.random() < 0.3:
            emit("asked", size)
        if pid in bought or not _can_buy(viewer, product):
            return ts
        if rng.random() < 0.35 * intent + 0.03:
            emit("claimed")
        if rng.random() < intent:
            emit("carted", size)
            if pid not in carted:
                carted.append(pid)
            if rng.random() < 0.6:
                emit("bought", size)
                bought.add(pid)
        return ts


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method; the rates here are small.
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def generate_viewers(
    products: Sequence[Mapping[str, Any]], viewers: int, seed: int = 0, config: LogConfig | None = None
) -> list[Viewer]:
    """The latent viewers ``generate_log`` uses for the same arguments (for inspection and tests)."""
    cfg = config or LogConfig()
    gen = _Generator(products, seed, cfg)
    return [sample_viewer(gen.rng, f"u{n:05d}", gen.products, cfg) for n in range(viewers)]


def generate_log(
    products: Sequence[Mapping[str, Any]], viewers: int = 1000, seed: int = 0, config: LogConfig | None = None
) -> list[Interaction]:
    """A reproducible interaction log for ``viewers`` synthetic viewers over ``products``, sorted by time."""
    if viewers < 0:
        raise ValueError("viewers must be >= 0")
    cfg = config or LogConfig()
    gen = _Generator(products, seed, cfg)
    people = [sample_viewer(gen.rng, f"u{n:05d}", gen.products, cfg) for n in range(viewers)]
    events: list[Interaction] = []
    for viewer in people:
        events.extend(gen.viewer_events(viewer))
    events.sort(key=lambda e: (e.ts, e.user_id))
    return events
