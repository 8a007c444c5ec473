"""The default gift catalogue (id -> Chinese name, coin value, icon; the tier follows the coins unless given).

A shop's catalog document may list its own (`gifts`, see siyu.catalog.gifts); a shop without one gets these.
Pages read this list from GET /api/protocol and a room's own from GET /api/rooms/{id}/gifts.
"""

from __future__ import annotations

from typing import Any

from siyu.catalog.gifts import BANNER_TIER, EFFECT_TIER, Gift, gift_dict, parse_gifts

__all__ = ["BANNER_TIER", "EFFECT_TIER", "GIFTS", "Gift", "gift_dict", "shop_gifts"]

GIFTS: dict[str, Gift] = {
    g.id: g
    for g in (
        Gift("heart", "小心心", 1, "💗"),
        Gift("fanclub_light", "粉丝团灯牌", 1, "🏮"),  # sending it joins the host's fan club (粉丝团)
        Gift("lightstick", "荧光棒", 10, "🪄"),
        Gift("rose", "玫瑰", 20, "🌹"),
        Gift("sportscar", "跑车", 1200, "🏎️"),
        Gift("rocket", "火箭", 5000, "🚀"),
        Gift("carnival", "嘉年华", 30000, "🎡"),
    )
}


def shop_gifts(doc: dict[str, Any]) -> dict[str, Gift]:
    """A shop's gifts by id, from its catalog document (CatalogError when its `gifts` are invalid)."""
    return {g.id: g for g in parse_gifts(doc.get("gifts"), GIFTS.values())}
