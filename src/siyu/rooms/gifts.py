"""The gift catalogue (id -> Chinese name, coin value and icon); pages read it from GET /api/protocol."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Gift:
    id: str
    name: str
    coins: int
    icon: str


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
