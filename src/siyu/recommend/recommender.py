"""Per-viewer product recommendations from implicit live-room feedback, with a popularity cold start.

Signals: a viewer ``viewed`` a product card, ``clicked`` it, ``asked`` about it (maybe a size), ``claimed`` a
coupon for it, ``carted`` it, ``bought`` it. Each kind has a weight; a viewer's history and the room's
popularity decay exponentially with time (half-lives in ``RecommenderConfig``).

A candidate's score blends four normalised parts:

- ``own``: the viewer's own decayed interest in the product (carted or clicked but not bought);
- ``co``: item-item cosine similarity of co-interest across viewers (each viewer contributes
  ``log1p(weighted events)`` per product; dot products and norms are updated incrementally, so an event
  costs O(per-user history));
- ``content``: catalog similarity (``similarity.py``: category and category group, gender, style tags,
  price band, season);
- ``popular``: decayed room popularity.

``co`` and ``content`` are averages over the viewer's history weighted by its decayed interest. The viewer's
size profile (sizes asked about, carted, bought; spelled by :func:`siyu.catalog.canonical_size`) ranks
products that do not make the size, or, when an ``in_stock`` callback is given, have it sold out, after all
products that fit. Bought products are excluded.

Memory is bounded: at most ``max_users`` viewers (least recently active evicted), ``max_history`` products,
``max_bought`` purchases and ``max_sizes`` sizes per viewer; item-item statistics are O(catalog²). An evicted
viewer's past contributions stay in the item-item statistics, which describe the population, not the viewer.
"""

from __future__ import annotations

import math
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from siyu.catalog import ONE_SIZE, canonical_size
from siyu.recommend.interaction_log import KINDS, size_kind, size_system
from siyu.recommend.model import (
    KIND_RANK,
    KIND_VERB,
    REASON_POPULAR,
    InStock,
    ProductDoc,
    ProductLike,
    Reason,
    Recommendation,
    RecommenderConfig,
    as_document,
)
from siyu.recommend.similarity import content_similarity, price_of

__all__ = ["Recommender"]

_NEUTRAL: Final = "中性"
_SIZE_WEIGHT: Final = {"asked": 1.0, "carted": 2.0, "bought": 3.0}
_REANCHOR_EXPONENT: Final = 300.0


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


class Recommender:
    """Learns from viewers' events (``observe``) and ranks the catalog for each of them (``recommend``)."""

    def __init__(self, products: Sequence[ProductLike], config: RecommenderConfig | None = None) -> None:
        self.config = cfg = config or RecommenderConfig()
        unknown = set(cfg.kind_weights) ^ set(KINDS)
        if unknown:
            raise ValueError(f"kind_weights must cover exactly {KINDS}")
        docs = [as_document(p) for p in products]
        self.products: dict[str, ProductDoc] = {str(p["id"]): p for p in docs}
        self._order = {pid: n for n, pid in enumerate(self.products)}
        self._sizes: dict[str, frozenset[str]] = {
            pid: frozenset(canonical_size(str(s)) for s in p.get("sizes", []))
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
        if kind not in KIND_RANK:
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
        if KIND_RANK[kind] > KIND_RANK[touch.best]:
            touch.best = kind
        self._update_co(user, product_id, old_r, math.log1p(touch.total))

        if kind == "bought":
            user.bought[product_id] = ts
            user.bought.move_to_end(product_id)
            while len(user.bought) > cfg.max_bought:
                user.bought.popitem(last=False)
        if size and kind in _SIZE_WEIGHT:
            s = canonical_size(size)
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
                out.append(Recommendation(pid, score, "popular", REASON_POPULAR))
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
            verb = KIND_VERB[history[pid].best]
            return f"你{verb}的宝贝，直播间价{price_of(self.products[pid]):g}元", pid
        if reason == "co_interest" and anchors[0] is not None:
            anchor = anchors[0]
            name = self.products[anchor].get("short_name") or self.products[anchor].get("name") or anchor
            return f"喜欢{name}的人也在看", anchor
        if reason == "similar_style" and anchors[1] is not None:
            anchor = anchors[1]
            verb = KIND_VERB[history[anchor].best]
            return f"和你{verb}的{self.products[anchor].get('category', '宝贝')}同款风格", anchor
        return REASON_POPULAR, None
