"""A shop's gift catalogue: the gifts its rooms accept, their coin values and their tier.

The catalog document may carry ``"gifts": [{"id", "name", "coins", "icon", "tier"?}, …]``; without it a
shop's rooms take the default list (``siyu.rooms.gifts.GIFTS``). :func:`parse_gifts` checks every entry
and raises :class:`CatalogError` naming the bad one (``gifts[2] ("rocket"): …``).

Tiers say how big a gift looks in the room:

- 1 small: a line in the stream; normal priority (sampled with the comments under load);
- 2 medium: also the gift banner; high priority;
- 3 big: also a full-screen effect (``effect: "fullscreen"`` on the wire); high priority.

A tier left out follows the coins (:func:`tier_for`: < 100 coins 1, < 1,000 2, else 3).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from siyu.catalog.errors import CatalogError

__all__ = [
    "BANNER_TIER",
    "EFFECT_TIER",
    "MAX_COINS",
    "MAX_GIFTS",
    "TIERS",
    "Gift",
    "gift_dict",
    "parse_gifts",
    "tier_for",
]

TIERS = (1, 2, 3)
EFFECT_TIER = 3
"""A gift of this tier or above is sent with high priority and a full-screen `effect`."""
BANNER_TIER = 2
"""A gift of this tier or above is shown in the gift banner and sent with high priority."""
MAX_GIFTS = 40
MAX_COINS = 1_000_000
_ID = re.compile(r"^[a-z0-9_-]{1,32}$")  # the gift frame's gift_id takes up to 32 characters
_ENTRY_KEYS = {"id", "name", "coins", "icon", "tier"}


def tier_for(coins: int) -> int:
    """The tier of a gift whose entry gives none: by its coin value."""
    return 1 if coins < 100 else 2 if coins < 1000 else 3


@dataclass(frozen=True, slots=True)
class Gift:
    """One gift a room accepts. `tier` 0 (left out) becomes the tier of its coins."""

    id: str
    name: str
    coins: int
    icon: str
    tier: int = field(default=0)

    def __post_init__(self) -> None:
        if self.tier == 0:
            object.__setattr__(self, "tier", tier_for(self.coins))

    @property
    def effect(self) -> str | None:
        """The room effect of this gift on the wire: "fullscreen" from EFFECT_TIER up, else None."""
        return "fullscreen" if self.tier >= EFFECT_TIER else None


def gift_dict(g: Gift) -> dict[str, Any]:
    """A gift as pages and catalog documents have it."""
    return {"id": g.id, "name": g.name, "coins": g.coins, "icon": g.icon, "tier": g.tier}


def _entry(i: int, raw: Any) -> Gift:
    where = f"gifts[{i}]"
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: expected an object {{id, name, coins, icon, tier?}}, got {raw!r:.60}")
    gid = raw.get("id")
    if isinstance(gid, str):
        where = f"{where} ({gid!r:.40})"
    unknown = sorted(set(raw) - _ENTRY_KEYS)
    if unknown:
        raise CatalogError(f"{where}: unknown field(s) {unknown}")
    if not isinstance(gid, str) or not _ID.match(gid):
        raise CatalogError(f"{where}: id must be 1-32 characters of a-z, 0-9, _ or -")
    name, icon, coins, tier = raw.get("name"), raw.get("icon"), raw.get("coins"), raw.get("tier")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 20:
        raise CatalogError(f"{where}: name must be 1-20 characters")
    if isinstance(coins, bool) or not isinstance(coins, int) or not 1 <= coins <= MAX_COINS:
        raise CatalogError(f"{where}: coins must be a whole number from 1 to {MAX_COINS:,}")
    if not isinstance(icon, str) or not 1 <= len(icon) <= 16:
        raise CatalogError(f"{where}: icon must be 1-16 characters (an emoji)")
    if tier is not None and (isinstance(tier, bool) or tier not in TIERS):
        raise CatalogError(f"{where}: tier must be 1, 2 or 3 (or left out: by coins)")
    return Gift(gid, name.strip(), coins, icon, int(tier or 0))


def parse_gifts(raw: Any, default: Iterable[Gift]) -> tuple[Gift, ...]:
    """The gifts of a catalog document's `gifts` value (None or absent: `default`), checked entry by entry."""
    if raw is None:
        return tuple(default)
    if not isinstance(raw, list):
        raise CatalogError("gifts: expected a list of {id, name, coins, icon, tier?}")
    if not 1 <= len(raw) <= MAX_GIFTS:
        raise CatalogError(f"gifts: 1 to {MAX_GIFTS} gifts (leave `gifts` out for the default list)")
    gifts: list[Gift] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        gift = _entry(i, item)
        if gift.id in seen:
            raise CatalogError(f"gifts[{i}] ({gift.id!r}): duplicate gift id")
        seen.add(gift.id)
        gifts.append(gift)
    return tuple(gifts)
