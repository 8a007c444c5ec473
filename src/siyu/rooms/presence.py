"""Who is in a room on this node, and the enter/leave flow aggregated per tick."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from siyu.realtime.protocol import UserRef
from siyu.rooms.messages import Enter, PresenceFlow

BANNER_NAMES = 3
PRESENCE_NAMES = 50


@dataclass
class Presence:
    online: Counter[str] = field(default_factory=Counter)
    banner: list[UserRef] = field(default_factory=list)
    entered: list[UserRef] = field(default_factory=list)
    left: list[UserRef] = field(default_factory=list)

    def enter(self, user_id: str, ref: UserRef, *, announce: bool) -> None:
        self.online[user_id] += 1
        self.entered.append(ref)
        if announce:
            self.banner.append(ref)

    def leave(self, user_id: str, ref: UserRef) -> None:
        self.online[user_id] -= 1
        if self.online[user_id] <= 0:
            del self.online[user_id]
        self.left.append(ref)

    @property
    def count(self) -> int:
        """Distinct users online on this node."""
        return len(self.online)

    def take_banner(self, ts: int) -> Enter | None:
        """The aggregated entry banner since the last tick (highest levels named first)."""
        if not self.banner:
            return None
        top = sorted(self.banner, key=lambda u: -u.lvl)[:BANNER_NAMES]
        msg = Enter(ts=ts, users=top, count=len(self.banner))
        self.banner.clear()
        return msg

    def take_flow(self, ts: int, online: int) -> PresenceFlow | None:
        """The enter/leave flow since the last tick, for the host console."""
        if not self.entered and not self.left:
            return None
        msg = PresenceFlow(
            ts=ts,
            entered=self.entered[:PRESENCE_NAMES],
            left=self.left[:PRESENCE_NAMES],
            entered_count=len(self.entered),
            left_count=len(self.left),
            online=online,
        )
        self.entered.clear()
        self.left.clear()
        return msg
