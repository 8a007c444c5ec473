"""Fan club rules (粉丝团): XP per source with daily caps, levels 1..20, the idle pause, the club's name.

Pure functions and values only; docs/protocol.md ("Fan club and levels") has them as tables. Days (for the
daily caps and the idle pause) are Beijing days (UTC+8), as on Douyin.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DAY_MS = 86_400_000
MINUTE_MS = 60_000
TZ_OFFSET_MS = 8 * 3_600_000  # Beijing time: a day's caps reset at 00:00 UTC+8
IDLE_DAYS = 7  # a member whose last activity is more than 7 days ago is paused (熄灭)
JOIN_GIFT = "fanclub_light"  # 粉丝团灯牌, 1 coin: sending it joins the sender
MAX_AWARD = 1_000_000_000  # the most units one award may carry (odd input is refused, never stored)


@dataclass(frozen=True, slots=True)
class Source:
    """One way to gain XP: `xp` XP for every `per` units, at most `cap` XP a day (None: no cap)."""

    name: str
    xp: int
    per: int
    cap: int | None
    relights: bool  # an action of this source re-lights a paused membership (watching alone does not)

    @property
    def cap_units(self) -> int | None:
        """The most units that count in a day."""
        return None if self.cap is None else self.cap * self.per // self.xp

    def xp_of(self, units: int) -> int:
        return units * self.xp // self.per


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source("watch", 1, 1, 30, relights=False),  # 1 XP per full minute watched, 30 a day
        Source("comment", 2, 1, 20, relights=True),  # 2 XP per comment, 20 a day (10 comments)
        Source("like", 1, 10, 10, relights=True),  # 1 XP per 10 likes, 10 a day (100 likes)
        Source("gift", 1, 1, None, relights=True),  # 1 XP per coin, no cap (paid, as on Douyin)
        Source("purchase", 1, 1, 500, relights=True),  # 1 XP per yuan, 500 a day (orders can be returned)
    )
}

# The XP a member needs for levels 1..20 (index 0 is level 1): growing steps, 50 -> 5,000.
LEVELS: tuple[int, ...] = (
    0, 50, 150, 300, 500, 800, 1200, 1700, 2300, 3000,
    4000, 5200, 6600, 8200, 10000, 12500, 15500, 19000, 23000, 28000,
)  # fmt: skip
MAX_LEVEL = len(LEVELS)


def level_of(xp: int) -> int:
    """The level for `xp`: the highest level whose threshold `xp` reaches (1..20)."""
    return max(1, bisect.bisect_right(LEVELS, xp))


def level_xp(level: int) -> int:
    return LEVELS[min(max(level, 1), MAX_LEVEL) - 1]


def next_xp(level: int) -> int | None:
    """The XP the next level needs (None at the top)."""
    return LEVELS[level] if level < MAX_LEVEL else None


def day_of(ms: int) -> int:
    """The Beijing day number of a time (ms since the epoch)."""
    return (ms + TZ_OFFSET_MS) // DAY_MS


def minute_of(ms: int) -> int:
    return ms // MINUTE_MS


def is_lit(last_active_day: int, today: int) -> bool:
    """Active (lit) unless the last activity was more than IDLE_DAYS days before today."""
    return today - last_active_day <= IDLE_DAYS


@dataclass(frozen=True, slots=True)
class ClubConfig:
    """A shop's club: its name, whether joining is free, and the gift that joins."""

    name: str
    free_join: bool = True
    join_gift: str = JOIN_GIFT

    @classmethod
    def of(cls, shop: Mapping[str, Any], host_name: str, shop_name: str) -> ClubConfig:
        """From the shop document: `fan_club_name` (else the host's first two characters + 家, e.g.
        晚晚家), `fan_club_free_join` (default true), `fan_club_gift` (default fanclub_light)."""
        name = shop.get("fan_club_name")
        if not isinstance(name, str) or not name.strip() or len(name) > 12:
            base = (host_name or shop_name).strip()
            name = f"{base[:2]}家" if base else "粉丝团"
        free = shop.get("fan_club_free_join")
        gift = shop.get("fan_club_gift")
        return cls(
            name=name.strip(),
            free_join=free if isinstance(free, bool) else True,
            join_gift=gift if isinstance(gift, str) and gift else JOIN_GIFT,
        )

    def wire(self) -> dict[str, Any]:
        return {"name": self.name, "free_join": self.free_join, "gift": self.join_gift}


@dataclass(frozen=True, slots=True)
class FanRecord:
    """One membership as the database keeps it (`units`: today's units per source, for `day`)."""

    user_id: str
    nickname: str
    joined_at: int
    via: str
    xp: int
    level: int
    last_active_day: int
    day: int
    units: dict[str, int] = field(default_factory=dict)

    def active(self, today: int) -> bool:
        return is_lit(self.last_active_day, today)

    def today_xp(self, today: int) -> dict[str, int]:
        """The XP gained today per source (0 when the counters are of an earlier day)."""
        same = self.day == today
        return {name: (s.xp_of(self.units.get(name, 0)) if same else 0) for name, s in SOURCES.items()}

    def badge(self, club: str, today: int) -> dict[str, Any]:
        return {"name": club, "level": self.level, "active": self.active(today)}

    def top(self, today: int) -> dict[str, Any]:
        return {"id": self.user_id, "nick": self.nickname, "level": self.level, "xp": self.xp,
                "active": self.active(today)}  # fmt: skip


def me(club: ClubConfig, rec: FanRecord | None, today: int) -> dict[str, Any]:
    """A viewer's own membership as the pages show it (`member` false: not in the club)."""
    out: dict[str, Any] = {**club.wire(), "member": rec is not None}
    if rec is None:
        return out
    gained = rec.today_xp(today)
    tasks = [{"source": n, "xp": gained[n], "cap": s.cap} for n, s in SOURCES.items()]
    return {
        **out, "level": rec.level, "xp": rec.xp, "level_xp": level_xp(rec.level),
        "next_xp": next_xp(rec.level), "active": rec.active(today), "joined_at": rec.joined_at,
        "badge": rec.badge(club.name, today), "tasks": tasks,
    }  # fmt: skip
