"""The gift catalogue (id -> Chinese name and coin value)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Gift:
    id: str
    name: str
    coins: int

    def to_wire(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "coins": self.coins}


GIFTS: dict[str, Gift] = {
    g.id: g
    for g in (
        Gift("heart", "小心心", 1),
        Gift("lightstick", "荧光棒", 10),
        Gift("rose", "玫瑰", 20),
        Gift("sportscar", "跑车", 1200),
        Gift("rocket", "火箭", 5000),
        Gift("carnival", "嘉年华", 30000),
    )
}
