"""Per-viewer product recommendations from implicit live-room feedback, with a popularity cold start.

Signals: a viewer ``viewed`` a product card, ``clicked`` it, ``asked`` about it (maybe a size), ``claimed`` a
coupon for it, ``carted`` it, ``bought`` it. Each kind has a weight; a viewer's history and the room's
popularity decay exponentially with time (half-lives in ``RecommenderConfig``).

A candidate's score blends four normalised parts:

- ``own``: the viewer's own decayed interest in the product (carted or clicked but not bought);
- ``co``: item-item cosine similarity of co-interest across viewers (each viewer contributes
  ``log1p(weighted events)`` per product; dot products and norms are updated incrementally, so an event
  costs O(per-user history));
- ``content``: catalog similarity (category and category group, gender, style tags, price band, season);
- ``popular``: decayed room popularity.

``co`` and ``content`` are averages over the viewer's history weighted by its decayed interest. The viewer's
size profile (sizes asked about, carted, bought) ranks products that do not make the size, or, when an
``in_stock`` callback is given, have it sold out, after all products that fit. Bought products are excluded.

Memory is bounded: at most ``max_users`` viewers (least recently active evicted), ``max_history`` products,
``max_bought`` purchases and ``max_sizes`` sizes per viewer; item-item statistics are O(catalog²). An evicted
viewer's past contributions stay in the item-item statistics, which describe the population, not the viewer.

``evaluate`` and ``run_offline_eval`` measure hit rate@k offline (leave the last purchase out) against the
popularity baseline on logs from ``interaction_log.generate_log``.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Final, Literal

from siyu.assistant.interaction_log import (
    KINDS,
    NON_STYLE_TAGS,
    ONE_SIZE,
    SESSION_GAP_S,
    Interaction,
    generate_log,
    has_stock,
    normalize_size,
    size_kind,
    size_system,
)

Product = Mapping[str, Any]
InStock = Callable[[str, str], bool]
Reason = Literal["revisit", "similar_style", "co_interest", "popular"]

# Rank of each kind as a sign of interest, for the reason text ("你加购过的…").
_KIND_RANK: Final = {"viewed": 0, "clicked": 1, "asked": 2, "claimed": 3, "carted": 4, "bought": 5}
_KIND_VERB: Final = {
    "viewed": "看过",
    "clicked": "点开过",
    "asked": "咨询过",
    "claimed": "领过券的",
    "carted": "加购过",
    "bought": "买过",
}
_REASON_POPULAR: Final = "直播间热卖"
_NEUTRAL: Final = "中性"
_SIZE_WEIGHT: Final = {"asked": 1.0, "carted": 2.0, "bought": 3.0}
_REANCHOR_EXPONENT: Final = 300.0

# Coarse category groups for content similarity (by keyword, so 男装T恤 is a top like T恤).
_CATEGORY_GROUPS: Final = (
    ("outer", ("外套", "羽绒", "大衣", "风衣", "夹克", "棉服")),
    ("dress", ("连衣裙",)),
    ("bottom", ("裤", "半身裙")),
    ("top", ("T恤", "衬衫", "卫衣", "针织", "毛衣", "上衣", "背心")),
)
_SEASONS: Final = {"春": "春", "夏": "夏", "秋": "秋", "冬": "冬"}


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


@dataclass(slots=True)
class _Touch:
    weight: float = 0.0  # decayed, scaled by exp(lam * (ts - user anchor))
    total: float = 0.0  # undecayed weighted count (for co-interest)
    best: str = "viewed"


@dataclass(slots=True)
class _User:
    anchor: float
    items: dict[str, _Touch] = field(default_factory=dict)
    bought: OrderedDict[str, float] = field(default_factory=OrderedDict)
    sizes: dict[str, float] = field(default_factory=dict)


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


def _price(p: Product) -> float:
    return max(float(p.get("live_price") or p.get("price") or 1.0), 1.0)


def content_similarity(a: Product, b: Product) -> float:
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
    price = math.exp(-abs(math.log(_price(a)) - math.log(_price(b))) / 0.5)
    season = _jaccard(_season_set(str(a.get("season", ""))), _season_set(str(b.get("season", ""))))
    return gender * (0.4 * cat + 0.25 * _jaccard(tags_a, tags_b) + 0.2 * price + 0.15 * season)


def stock_checker(products: Iterable[Product]) -> InStock:
    """``in_stock(product_id, size)`` from the catalog's ``stock`` ("颜色/尺码" -> count) of each product."""
    by_id = {str(p["id"]): p for p in products}

    def in_stock(product_id: str, size: str) -> bool:
        p = by_id.get(product_id)
        return p is not None and has_stock(p, size)

    return in_stock


class Recommender:
    def __init__(self, products: Sequence[Product], config: RecommenderConfig | None = None) -> None:
        self.config = cfg = config or RecommenderConfig()
        unknown = set(cfg.kind_weights) ^ set(KINDS)
        if unknown:
            raise ValueError(f"kind_weights must cover exactly {KINDS}")
        self.products: dict[str, Product] = {str(p["id"]): p for p in products}
        self._order = {pid: n for n, pid in enumerate(self.products)}
        self._sizes: dict[str, frozenset[str]] = {
            pid: frozenset(normalize_size(str(s)) for s in p.get("sizes", []))
            for pid, p in self.products.items()
        }
        self._system = {pid: size_system(sorted(s)) for pid, s in self._sizes.items()}
        self._content: dict[str, dict[str, float]] = {
            a: {b: content_similarity(pa, pb) for b, pb in self.products.items() if b != a}
            for a, pa in self.products.items()
        }
        self._lam_user = math.log(2) / cfg.history_half_life_s
        self._lam_pop = math.log(2) / cfg.popularity_half_life_s
        self._users: OrderedDict[str, _User] = OrderedDict()
        self._pop: dict[str, float] = dict.fromkeys(self.products, 0.0)
        self._pop_anchor: float | None = None
        self._dot: defaultdict[str, defaultdict[str, float]] = defaultdict(lambda: defaultdict(float))
        self._norm2: dict[str, float] = dict.fromkeys(self.products, 0.0)

    # -- feedback ---------------------------------------------------------------------------------------

    def observe(self, user_id: str, product_id: str, kind: str, ts: float, size: str | None = None) -> bool:
        """Record one event; returns False (and ignores it) for a product not in the catalog."""
        if kind not in _KIND_RANK:
            raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
        if product_id not in self.products:
            return False
        cfg = self.config
        w = cfg.kind_weights[kind]
        self._add_popularity(product_id, w, ts)

        user = self._users.get(user_id)
        if user is None:
            user = self._users[user_id] = _User(anchor=ts)
            while len(self._users) > cfg.max_users:
                self._users.popitem(last=False)
        else:
            self._users.move_to_end(user_id)
        if (ts - user.anchor) * self._lam_user > _REANCHOR_EXPONENT:
            self._reanchor_user(user, ts)
        scale = math.exp(min((ts - user.anchor) * self._lam_user, _REANCHOR_EXPONENT))

        touch = user.items.get(product_id)
        if touch is None:
            touch = user.items[product_id] = _Touch()
            if len(user.items) > cfg.max_history:
                weakest = min((p for p in user.items if p != product_id), key=lambda p: user.items[p].weight)
                del user.items[weakest]
        old_r = math.log1p(touch.total)
        touch.weight += w * scale
        touch.total += w
        if _KIND_RANK[kind] > _KIND_RANK[touch.best]:
            touch.best = kind
        self._update_co(user, product_id, old_r, math.log1p(touch.total))

        if kind == "bought":
            user.bought[product_id] = ts
            user.bought.move_to_end(product_id)
            while len(user.bought) > cfg.max_bought:
                user.bought.popitem(last=False)
        if size and kind in _SIZE_WEIGHT:
            s = normalize_size(size)
            user.sizes[s] = user.sizes.get(s, 0.0) + _SIZE_WEIGHT[kind] * scale
            if len(user.sizes) > cfg.max_sizes:
                del user.sizes[min(user.sizes, key=user.sizes.__getitem__)]
        return True

    def _add_popularity(self, product_id: str, w: float, ts: float) -> None:
        if self._pop_anchor is None:
            self._pop_anchor = ts
        if (ts - self._pop_anchor) * self._lam_pop > _REANCHOR_EXPONENT:
            factor = math.exp(-(ts - self._pop_anchor) * self._lam_pop)
            self._pop = {p: v * factor for p, v in self._pop.items()}
            self._pop_anchor = ts
        exponent = min((ts - self._pop_anchor) * self._lam_pop, _REANCHOR_EXPONENT)
        self._pop[product_id] += w * math.exp(exponent)

    def _reanchor_user(self, user: _User, ts: float) -> None:
        factor = math.exp(-(ts - user.anchor) * self._lam_user)
        for t in user.items.values():
            t.weight *= factor
        user.sizes = {s: v * factor for s, v in user.sizes.items()}
        user.anchor = ts

    def _update_co(self, user: _User, product_id: str, old_r: float, new_r: float) -> None:
        delta = new_r - old_r
        if delta == 0.0:
            return
        row = self._dot[product_id]
        for other, t in user.items.items():
            if other == product_id:
                continue
            inc = delta * math.log1p(t.total)
            row[other] += inc
            self._dot[other][product_id] += inc
        self._norm2[product_id] += new_r * new_r - old_r * old_r

    # -- queries ----------------------------------------------------------------------------------------

    def co_similarity(self, a: str, b: str) -> float:
        """Cosine of the two products' co-interest vectors over viewers (0 when unknown)."""
        row = self._dot.get(a)
        if row is None:
            return 0.0
        d = row.get(b, 0.0)
        n = self._norm2.get(a, 0.0) * self._norm2.get(b, 0.0)
        return d / math.sqrt(n) if d > 0.0 and n > 0.0 else 0.0

    def has_user(self, user_id: str) -> bool:
        return user_id in self._users

    def user_count(self) -> int:
        return len(self._users)

    def state_size(self) -> dict[str, int]:
        """Counts of what the recommender holds (all bounded by the config and the catalog size)."""
        return {
            "users": len(self._users),
            "history_entries": sum(len(u.items) for u in self._users.values()),
            "bought_entries": sum(len(u.bought) for u in self._users.values()),
            "item_pairs": sum(len(row) for row in self._dot.values()),
        }

    def history_size(self, user_id: str) -> int:
        user = self._users.get(user_id)
        return len(user.items) if user else 0

    def bought(self, user_id: str) -> set[str]:
        user = self._users.get(user_id)
        return set(user.bought) if user else set()

    def size_profile(self, user_id: str) -> list[str]:
        """The viewer's sizes, most weighted first."""
        user = self._users.get(user_id)
        if user is None:
            return []
        return sorted(user.sizes, key=lambda s: (-user.sizes[s], s))

    def _popularity_rank(self) -> list[str]:
        return sorted(self.products, key=lambda p: (-self._pop[p], self._order[p]))

    def popular(self, k: int = 5, *, exclude: Iterable[str] = ()) -> list[Recommendation]:
        """The k most popular products (decayed), ``exclude`` left out: the baseline and the cold start."""
        skip = set(exclude)
        top = max(self._pop.values(), default=0.0)
        out: list[Recommendation] = []
        for pid in self._popularity_rank():
            if len(out) >= k:
                break
            if pid not in skip:
                score = self._pop[pid] / top if top > 0 else 0.0
                out.append(Recommendation(pid, score, "popular", _REASON_POPULAR))
        return out

    def recommend(
        self,
        user_id: str,
        k: int = 5,
        *,
        exclude: Iterable[str] = (),
        in_stock: InStock | None = None,
        exclude_bought: bool = True,
    ) -> list[Recommendation]:
        """Top-k products for the viewer; an unknown viewer gets the popular products."""
        if k <= 0:
            return []
        user = self._users.get(user_id)
        skip = set(exclude)
        if user is not None and exclude_bought:
            skip |= set(user.bought)
        candidates = [p for p in self.products if p not in skip]
        if not candidates:
            return []
        cfg = self.config
        top_pop = max(self._pop.values(), default=0.0)
        history = {p: t for p, t in (user.items.items() if user else ()) if t.weight > 0.0}
        h_max = max((t.weight for t in history.values()), default=0.0)
        h = {p: t.weight / h_max for p, t in history.items()} if h_max > 0 else {}
        h_sum = sum(h.values())
        sizes = self.size_profile(user_id)
        gender_mass: defaultdict[str, float] = defaultdict(float)
        for j, hj in h.items():
            gender_mass[str(self.products[j].get("gender", ""))] += hj

        parts: dict[str, tuple[float, float, float, float]] = {}
        anchors: dict[str, tuple[str | None, str | None]] = {}
        for pid in candidates:
            own = h.get(pid, 0.0) if pid not in (user.bought if user else {}) else 0.0
            co = content = 0.0
            best_co: tuple[float, str | None] = (0.0, None)
            best_content: tuple[float, str | None] = (0.0, None)
            content_row = self._content[pid]
            for j, hj in h.items():
                if j == pid:
                    continue
                c = hj * self.co_similarity(pid, j)
                s = hj * content_row.get(j, 0.0)
                co += c
                content += s
                if c > best_co[0]:
                    best_co = (c, j)
                if s > best_content[0]:
                    best_content = (s, j)
            if h_sum > 0:
                co /= h_sum
                content /= h_sum
            pop = self._pop[pid] / top_pop if top_pop > 0 else 0.0
            parts[pid] = (own, co, content, pop)
            anchors[pid] = (best_co[1], best_content[1])
        co_max = max((v[1] for v in parts.values()), default=0.0) or 1.0
        content_max = max((v[2] for v in parts.values()), default=0.0) or 1.0

        ranked: list[tuple[int, float, float, int, Recommendation]] = []
        for pid, (own, co, content, pop) in parts.items():
            contrib: dict[Reason, float] = {
                "revisit": cfg.w_own * own,
                "co_interest": cfg.w_co * co / co_max,
                "similar_style": cfg.w_content * content / content_max,
                "popular": cfg.w_popular * pop,
            }
            score = sum(contrib.values()) * self._gender_fit(pid, gender_mass)
            reason: Reason = max(contrib, key=lambda r: contrib[r])
            if contrib[reason] <= 0.0:
                reason = "popular"
            tier, size = self._size_fit(pid, sizes, in_stock)
            text, anchor = self._reason_text(reason, pid, history, anchors[pid])
            if size is not None and in_stock is not None and size != ONE_SIZE:
                text += f"，{size}码有货"
            rec = Recommendation(pid, round(score, 6), reason, text, anchor, size)
            # Products that fit the viewer's size first, then by score; ties by popularity, catalog order.
            ranked.append((tier, -score, -self._pop[pid], self._order[pid], rec))
        ranked.sort(key=lambda r: r[:4])
        return [r[4] for r in ranked[:k]]

    def _gender_fit(self, pid: str, mass: Mapping[str, float]) -> float:
        """Damps products of a gender the viewer's history leans away from (neutral items never)."""
        gender = str(self.products[pid].get("gender", ""))
        if not mass or gender in ("", _NEUTRAL):
            return 1.0
        same = mass.get(gender, 0.0) + mass.get(_NEUTRAL, 0.0)
        other = sum(v for g, v in mass.items() if g not in (gender, _NEUTRAL, ""))
        return 0.25 + 0.75 * (same + 0.5) / (same + other + 0.5)

    def _size_fit(self, pid: str, sizes: Sequence[str], in_stock: InStock | None) -> tuple[int, str | None]:
        """(0, size) when the product fits the viewer (or nothing is known), (1, None) when it does not."""
        system = self._system[pid]
        if system == "one":
            if in_stock is not None and not in_stock(pid, ONE_SIZE):
                return 1, None
            return 0, ONE_SIZE
        same_system = [s for s in sizes if size_kind(s) == system]
        if not same_system:
            return 0, None
        made = [s for s in same_system if s in self._sizes[pid]]
        if not made:
            return 1, None
        if in_stock is None:
            return 0, made[0]
        for s in made:
            if in_stock(pid, s):
                return 0, s
        return 1, None

    def _reason_text(
        self,
        reason: Reason,
        pid: str,
        history: Mapping[str, _Touch],
        anchors: tuple[str | None, str | None],
    ) -> tuple[str, str | None]:
        if reason == "revisit":
            verb = _KIND_VERB[history[pid].best]
            return f"你{verb}的宝贝，直播间价{_price(self.products[pid]):g}元", pid
        if reason == "co_interest" and anchors[0] is not None:
            anchor = anchors[0]
            name = self.products[anchor].get("short_name") or self.products[anchor].get("name") or anchor
            return f"喜欢{name}的人也在看", anchor
        if reason == "similar_style" and anchors[1] is not None:
            anchor = anchors[1]
            verb = _KIND_VERB[history[anchor].best]
            return f"和你{verb}的{self.products[anchor].get('category', '宝贝')}同款风格", anchor
        return _REASON_POPULAR, None


# -- offline evaluation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvalResult:
    k: int
    users: int  # viewers evaluated: a purchase held out and some history before it
    recommender_hits: int
    popularity_hits: int
    heldout_seen: int  # held-out products the viewer had touched in an earlier session
    recommender_hits_unseen: int  # hits among the others (the held-out product never in the history)
    popularity_hits_unseen: int
    cold_users: int  # viewers whose only history was the held-out purchase's funnel (not evaluated)
    events: int

    @property
    def hit_rate(self) -> float:
        return self.recommender_hits / self.users if self.users else 0.0

    @property
    def popularity_hit_rate(self) -> float:
        return self.popularity_hits / self.users if self.users else 0.0

    @property
    def hit_rate_unseen(self) -> float:
        unseen = self.users - self.heldout_seen
        return self.recommender_hits_unseen / unseen if unseen else 0.0

    @property
    def popularity_hit_rate_unseen(self) -> float:
        unseen = self.users - self.heldout_seen
        return self.popularity_hits_unseen / unseen if unseen else 0.0


def _split_last_purchase(
    events: Sequence[Interaction],
) -> tuple[list[Interaction], str | None, list[Interaction]]:
    """One viewer's time-ordered events -> (training events, held-out product or None, its funnel)."""
    last = next((n for n in range(len(events) - 1, -1, -1) if events[n].kind == "bought"), None)
    if last is None:
        return list(events), None, []
    held = events[last].product_id
    start = last
    while start > 0 and events[start].ts - events[start - 1].ts < SESSION_GAP_S:
        start -= 1
    train = [e for n, e in enumerate(events[:last]) if n < start or e.product_id != held]
    funnel = [e for e in events[start:last] if e.product_id == held]
    return train, held, funnel


def evaluate(
    log: Sequence[Interaction],
    k: int = 5,
    *,
    products: Sequence[Product] | None = None,
    in_stock: InStock | None = None,
    config: RecommenderConfig | None = None,
) -> EvalResult:
    """Leave-last-purchase-out hit rate@k of the recommender and of the popularity baseline.

    Per viewer, the last ``bought`` event is held out; training keeps the viewer's events before it, minus
    the funnel that led to it (the held-out product's events in the same session), and drops everything
    after it. One model is trained on all viewers' training events in time order (other viewers' events
    are used whatever their time, for both methods alike); the baseline is the popular products minus what
    the viewer already bought, the same exclusion the recommender applies.
    """
    catalog = list(products) if products is not None else load_catalog_products()
    per_user: dict[str, list[Interaction]] = defaultdict(list)
    for e in sorted(log, key=lambda e: e.ts):
        per_user[e.user_id].append(e)
    train: list[Interaction] = []
    held_out: dict[str, tuple[str, bool]] = {}  # viewer -> (held-out product, touched in training)
    for uid, events in per_user.items():
        user_train, held, _ = _split_last_purchase(events)
        train.extend(user_train)
        if held is not None:
            held_out[uid] = (held, any(e.product_id == held for e in user_train))
    train.sort(key=lambda e: e.ts)
    rec = Recommender(catalog, config)
    for e in train:
        rec.observe(e.user_id, e.product_id, e.kind, e.ts, e.size)

    users = rec_hits = pop_hits = seen = rec_unseen_hits = pop_unseen_hits = cold = 0
    for uid, (held, was_seen) in held_out.items():
        if not rec.has_user(uid):
            cold += 1
            continue
        users += 1
        recs = {r.product_id for r in rec.recommend(uid, k, in_stock=in_stock)}
        pops = {r.product_id for r in rec.popular(k, exclude=rec.bought(uid))}
        rec_hit, pop_hit = held in recs, held in pops
        rec_hits += rec_hit
        pop_hits += pop_hit
        seen += was_seen
        rec_unseen_hits += rec_hit and not was_seen
        pop_unseen_hits += pop_hit and not was_seen
    return EvalResult(k, users, rec_hits, pop_hits, seen, rec_unseen_hits, pop_unseen_hits, cold, len(train))


def load_catalog_products() -> list[dict[str, Any]]:
    """The products of the catalog shipped with siyu (``siyu/data/catalog.json``)."""
    text = resources.files("siyu.data").joinpath("catalog.json").read_text(encoding="utf-8")
    products: list[dict[str, Any]] = json.loads(text)["products"]
    return products


@dataclass(frozen=True)
class OfflineEval:
    viewers: int
    k: int
    seeds: tuple[int, ...]
    results: tuple[EvalResult, ...]

    def _rates(self, attr: str) -> list[float]:
        return [float(getattr(r, attr)) for r in self.results]

    @staticmethod
    def _spread(values: Sequence[float]) -> tuple[float, float]:
        mean = statistics.fmean(values) if values else 0.0
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        return mean, sd

    @property
    def recommender(self) -> tuple[float, float]:
        """(mean, sample standard deviation) of the recommender's hit rate over the seeds."""
        return self._spread(self._rates("hit_rate"))

    @property
    def popularity(self) -> tuple[float, float]:
        return self._spread(self._rates("popularity_hit_rate"))

    @property
    def lift(self) -> tuple[float, float]:
        """(mean, sd) of the per-seed difference recommender - popularity."""
        return self._spread([r.hit_rate - r.popularity_hit_rate for r in self.results])

    @property
    def unseen(self) -> tuple[float, float]:
        """(mean, sd) of the hit rate on viewers whose held-out product is not in their history."""
        return self._spread(self._rates("hit_rate_unseen"))

    @property
    def popularity_unseen(self) -> tuple[float, float]:
        return self._spread(self._rates("popularity_hit_rate_unseen"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "viewers": self.viewers,
            "k": self.k,
            "seeds": list(self.seeds),
            "recommender_hit_rate": {"mean": self.recommender[0], "sd": self.recommender[1]},
            "popularity_hit_rate": {"mean": self.popularity[0], "sd": self.popularity[1]},
            "lift": {"mean": self.lift[0], "sd": self.lift[1]},
            "recommender_hit_rate_unseen": {"mean": self.unseen[0], "sd": self.unseen[1]},
            "popularity_hit_rate_unseen": {
                "mean": self.popularity_unseen[0],
                "sd": self.popularity_unseen[1],
            },
            "per_seed": [
                {
                    "seed": s,
                    "users": r.users,
                    "recommender_hit_rate": r.hit_rate,
                    "popularity_hit_rate": r.popularity_hit_rate,
                    "heldout_seen_share": r.heldout_seen / r.users if r.users else 0.0,
                }
                for s, r in zip(self.seeds, self.results, strict=True)
            ],
        }

    def summary(self) -> str:
        """Chinese report lines for the CLI."""
        (rm, rs), (pm, ps), (lm, ls) = self.recommender, self.popularity, self.lift
        (um, us), (qm, qs) = self.unseen, self.popularity_unseen
        users = statistics.fmean([r.users for r in self.results]) if self.results else 0.0
        seen = sum(r.heldout_seen for r in self.results) / max(sum(r.users for r in self.results), 1)
        return "\n".join(
            [
                f"离线评估：{self.viewers} 位模拟观众，{len(self.seeds)} 个随机种子 {list(self.seeds)}，"
                f"留出每人最后一次购买",
                f"平均评估用户数：{users:.0f}",
                f"推荐 命中率@{self.k}：{rm:.3f} ± {rs:.3f}",
                f"热门基线 命中率@{self.k}：{pm:.3f} ± {ps:.3f}",
                f"提升：{lm:+.3f} ± {ls:.3f}",
                f"留出商品此前接触过的占 {seen:.0%}；其余用户上 推荐 {um:.3f} ± {us:.3f}，"
                f"热门基线 {qm:.3f} ± {qs:.3f}",
            ]
        )


def run_offline_eval(
    viewers: int = 2000,
    seed: int = 0,
    k: int = 5,
    *,
    runs: int = 5,
    products: Sequence[Product] | None = None,
    use_stock: bool = True,
    config: RecommenderConfig | None = None,
) -> OfflineEval:
    """Generate ``runs`` logs (seeds ``seed`` .. ``seed + runs - 1``) and evaluate each; mean ± sd."""
    if runs < 1:
        raise ValueError("runs must be >= 1")
    catalog = list(products) if products is not None else load_catalog_products()
    in_stock = stock_checker(catalog) if use_stock else None
    seeds = tuple(range(seed, seed + runs))
    results = tuple(
        evaluate(generate_log(catalog, viewers, s), k, products=catalog, in_stock=in_stock, config=config)
        for s in seeds
    )
    return OfflineEval(viewers, k, seeds, results)
