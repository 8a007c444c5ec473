"""What a simulated viewer sees of the room's interactions and how it answers them: it claims coupon
drops, votes in polls, sends gifts for its host during a PK battle, grabs flash sales and sometimes buys
the product being presented.

`Seen` follows the room's messages (the welcome's state, then room messages in batches); `next_action`
picks at most one interaction per step, with the shares of `ShopperConfig`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

PK_GIFTS = ["heart", "lightstick", "rose", "sportscar"]
PK_GIFT_WEIGHTS = [40, 32, 25, 3]  # a 跑车 (1200 coins) now and then turns a battle


@dataclass
class ShopperConfig:
    claim_share: float = 0.6  # of viewers who see a live drop, who claim it
    vote_share: float = 0.6  # of viewers who see an open poll, who vote
    flash_share: float = 0.3  # of viewers who see a live flash sale, who try to buy it
    buy_share: float = 0.04  # chance per step of buying the product being presented
    bag_share: float = 0.7  # of viewers who see an open lucky bag, who enter it
    fan_share: float = 0.03  # chance per step of joining the fan club (once)
    pk_gift_share: float = 0.4  # chance per step of a gift while the room fights a PK battle (为主播助力)


@dataclass
class Seen:
    drops: dict[str, int] = field(default_factory=dict)  # batch id -> until
    poll: tuple[str, int, int] | None = None  # poll id, options, until
    flashes: dict[str, tuple[str, int]] = field(default_factory=dict)  # flash id -> (product id, until)
    pinned: str | None = None
    bag: tuple[str, str | None, int] | None = None  # bag id, its 口令 (None: a task entry), until
    pk_until: int = 0  # the end of the PK battle this room fights (0: none live)
    done: set[str] = field(default_factory=set)  # drops claimed, polls voted, flashes tried

    def take(self, frame: dict[str, Any]) -> None:
        if frame.get("type") == "welcome":
            self._state(frame.get("state") or {})
            return
        for m in frame.get("msgs", ()) if frame.get("type") == "batch" else (frame,):
            self._message(m)

    def _state(self, st: dict[str, Any]) -> None:
        pinned = st.get("pinned")
        self.pinned = str(pinned["id"]) if isinstance(pinned, dict) else None
        for d in st.get("coupons") or ():
            self.drops[str(d["batch_id"])] = int(d["until"])
        poll = st.get("poll")
        if isinstance(poll, dict):
            self.poll = (str(poll["poll_id"]), len(poll.get("options") or ()), int(poll["until"]))
        for f in st.get("flash") or ():
            self.flashes[str(f["flash_id"])] = (str(f["product"]["id"]), int(f["until"]))
        if "pk" in st:
            self._pk(st["pk"])

    def _pk(self, pk: Any) -> None:
        live = isinstance(pk, dict) and pk.get("phase") == "live"
        self.pk_until = int(pk["ends_at"]) if live else 0

    def _message(self, m: dict[str, Any]) -> None:
        kind = m.get("type")
        if kind == "state":
            self._state(m)
        elif kind == "pin":
            product = m.get("product")
            self.pinned = str(product["id"]) if isinstance(product, dict) else None
        elif kind == "coupon_card":  # a room drop, or a personal one (a playbook's 新人券)
            self.drops[str(m["batch_id"])] = int(m["until"])
        elif kind == "poll":
            self.poll = (str(m["poll_id"]), len(m.get("options") or ()), int(m["until"]))
        elif kind == "poll_result":
            self.poll = None
        elif kind == "luckybag":
            entry = m.get("entry") or {}
            phrase = entry.get("phrase") if entry.get("kind") == "phrase" else None
            self.bag = (str(m["bag_id"]), phrase, int(m["until"]))
        elif kind in ("luckybag_closed", "luckybag_result"):
            self.bag = None
        elif kind == "pk":
            self._pk(m)
        elif kind == "flash_card":
            self.flashes[str(m["flash_id"])] = (str(m["product"]["id"]), int(m["until"]))


def pick_sku(product: dict[str, Any], rng: random.Random) -> tuple[str, str] | None:
    """A colour and size of `product` (a 小黄车 listing item) that has stock, or None."""
    skus = [k for k, n in (product.get("stock") or {}).items() if n > 0]
    if not skus:
        return None
    color, _, size = rng.choice(skus).rpartition("/")
    return color, size


def next_action(seen: Seen, products: dict[str, dict[str, Any]], cfg: ShopperConfig, rng: random.Random,
                now_ms: int) -> tuple[str, dict[str, Any]] | None:  # fmt: skip
    """At most one interaction for this step: (kind, frame without cid), or None."""
    for batch_id, until in seen.drops.items():
        if until > now_ms and batch_id not in seen.done:
            seen.done.add(batch_id)
            if rng.random() < cfg.claim_share:
                return "claim", {"type": "claim", "batch_id": batch_id}
    if seen.poll is not None and seen.poll[2] > now_ms and seen.poll[0] not in seen.done:
        poll_id, options, _until = seen.poll
        seen.done.add(poll_id)
        if options and rng.random() < cfg.vote_share:
            return "vote", {"type": "vote", "poll_id": poll_id, "option": rng.randrange(options)}
    if seen.bag is not None and seen.bag[2] > now_ms and seen.bag[0] not in seen.done:
        bag_id, phrase, _until = seen.bag
        seen.done.add(bag_id)
        if rng.random() < cfg.bag_share:
            if phrase is not None:  # the 口令 is a comment
                return "comment", {"type": "comment", "text": phrase}
            return "luckybag", {"type": "luckybag_join", "bag_id": bag_id}
    for flash_id, (product_id, until) in seen.flashes.items():
        if until > now_ms and flash_id not in seen.done:
            seen.done.add(flash_id)
            sku = pick_sku(products.get(product_id, {}), rng)
            if sku is not None and rng.random() < cfg.flash_share:
                return "order", {"type": "order", "flash_id": flash_id, "items": [
                    {"product_id": product_id, "color": sku[0], "size": sku[1], "qty": 1}]}  # fmt: skip
    if seen.pk_until > now_ms and rng.random() < cfg.pk_gift_share:
        gift = rng.choices(PK_GIFTS, PK_GIFT_WEIGHTS)[0]
        return "gift", {"type": "gift", "gift_id": gift}
    if "fanclub" not in seen.done and rng.random() < cfg.fan_share:
        seen.done.add("fanclub")
        return "fanclub", {"type": "fanclub_join"}
    if seen.pinned is not None and rng.random() < cfg.buy_share:
        sku = pick_sku(products.get(seen.pinned, {}), rng)
        if sku is not None:
            qty = rng.choice([1, 1, 1, 2])
            return "order", {"type": "order", "via": "pinned", "items": [
                {"product_id": seen.pinned, "color": sku[0], "size": sku[1], "qty": qty}]}  # fmt: skip
    return None
