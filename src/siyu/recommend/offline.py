"""Offline evaluation: leave-last-purchase-out hit rate@k of the recommender against the popularity
baseline, on synthetic logs from ``interaction_log.generate_log``, over several seeds.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from siyu.recommend.interaction_log import SESSION_GAP_S, Interaction, generate_log
from siyu.recommend.model import InStock, ProductLike, RecommenderConfig, as_document
from siyu.recommend.recommender import Recommender
from siyu.recommend.similarity import stock_checker

__all__ = ["EvalResult", "OfflineEval", "evaluate", "load_catalog_products", "run_offline_eval"]


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
    products: Sequence[ProductLike] | None = None,
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
    catalog = [as_document(p) for p in products] if products is not None else load_catalog_products()
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
    products: Sequence[ProductLike] | None = None,
    use_stock: bool = True,
    config: RecommenderConfig | None = None,
) -> OfflineEval:
    """Generate ``runs`` logs (seeds ``seed`` .. ``seed + runs - 1``) and evaluate each; mean ± sd."""
    if runs < 1:
        raise ValueError("runs must be >= 1")
    catalog = [as_document(p) for p in products] if products is not None else load_catalog_products()
    in_stock = stock_checker(catalog) if use_stock else None
    seeds = tuple(range(seed, seed + runs))
    results = tuple(
        evaluate(generate_log(catalog, viewers, s), k, products=catalog, in_stock=in_stock, config=config)
        for s in seeds
    )
    return OfflineEval(viewers, k, seeds, results)
