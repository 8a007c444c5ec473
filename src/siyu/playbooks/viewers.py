"""Each viewer's stage (入局 entry, 沉浸 immersion, 转化 conversion) and engagement score, from events.

The rules (docs/playbooks.md "Stages and engagement") are one table, applied to every event the room shows
or this node commits, so every node and a restarted one (replaying the session) reach the same figures:

| event                              | points                       | benefit |
|------------------------------------|------------------------------|---------|
| comment.posted                     | 2 (a question: 3)            |         |
| like.sent                          | 1 per event, at most 10      |         |
| gift.sent                          | 3 + coins // 10, at most 30  |         |
| viewer.followed                    | 5                            |         |
| poll.voted / luckybag.entered      | 3                            |         |
| coupon.claimed                     | 4                            | yes     |
| luckybag.won / quiz.rewarded       | 4                            | yes     |
| assistant.answered (to the viewer) | 2                            | yes     |
| host.replied (to the viewer)       | 3                            | yes     |
| fanclub.joined                     | 8                            |         |
| order.placed                       | 10                           |         |
| staying                            | 1 per 30 s, at most 20       |         |

Stage: entry until score >= 5 or 60 s stayed (immersion); conversion at score >= 15, or a benefit and
score >= 8, or an order. A stage never goes back within a session. Value felt (the guardrail before any
contact request): score >= `VALUE_SCORE` or a benefit received.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from siyu.events import Event

STAGES = ("entry", "immersion", "conversion")
STAGE_ZH = {"entry": "入局", "immersion": "沉浸", "conversion": "转化"}
VALUE_SCORE = 10
DWELL_STEP_MS = 30_000
IMMERSION_SCORE, IMMERSION_DWELL_MS = 5, 60_000
CONVERSION_SCORE, CONVERSION_BENEFIT_SCORE = 15, 8

_POINTS: dict[str, int] = {
    "viewer.followed": 5,
    "poll.voted": 3,
    "luckybag.entered": 3,
    "coupon.claimed": 4,
    "luckybag.won": 4,
    "quiz.rewarded": 4,
    "fanclub.joined": 8,
    "order.placed": 10,
}
_BENEFITS = {"coupon.claimed", "luckybag.won", "quiz.rewarded"}


@dataclass(slots=True)
class Viewer:
    user_id: str
    nickname: str = ""
    level: int = 0
    visits: int = 1  # which visit this is (the room's visit count when known, else counted here)
    entries: int = 0
    returning: bool = False
    entered_at: int | None = None  # while here (on this node's count), the entry time (ms)
    last_active: int = 0
    points: int = 0  # from events (dwell points are added on read)
    likes: int = 0
    benefit: str | None = None  # the first benefit received this session
    orders: int = 0
    last_purchase: str | None = None  # the short name of the last order's first product
    last_order_at: int | None = None
    vote: str | None = None  # their option in the latest poll
    fan: bool = False
    tags: set[str] = field(default_factory=set)
    stage: str = "entry"
    dwell_ms: int = 0  # stayed before the current visit (this session)
    extra: int = 0  # points added by playbooks (add_points)
    last_score: int = 0  # the score listeners last heard of

    def stayed(self, now: int) -> int:
        return self.dwell_ms + (now - self.entered_at if self.entered_at is not None else 0)

    def score(self, now: int) -> int:
        return self.points + self.extra + min(20, self.stayed(now) // DWELL_STEP_MS)

    def value_felt(self, now: int) -> bool:
        return self.benefit is not None or self.score(now) >= VALUE_SCORE

    def context(self, now: int) -> dict[str, Any]:
        """What templates and conditions see of this viewer."""
        return {
            "nickname": self.nickname or self.user_id,
            "level": self.level,
            "visits": self.visits,
            "returning": self.returning,
            "score": self.score(now),
            "stage": self.stage,
            "stage_zh": STAGE_ZH[self.stage],
            "fan": self.fan,
            "orders": self.orders,
            "last_purchase": self.last_purchase,
            "poll_vote": self.vote,
            "dwell_s": self.stayed(now) // 1000,
        }


StageListener = Callable[[Viewer, str, str, int], None]
"""(viewer, old stage, new stage, ts) -> None."""


class ViewerBook:
    """Every viewer of the room's current session this engine has seen."""

    def __init__(self) -> None:
        self.viewers: dict[str, Viewer] = {}
        self.on_stage: list[StageListener] = []
        self.on_score: list[Callable[[Viewer, int, int, int], None]] = []  # (viewer, before, after, ts)
        self.product_names: dict[str, str] = {}  # product id -> short name (templates show names)
        self.name_of: Callable[[str], str | None] | None = None  # the shop's product names
        self.poll_options: dict[str, list[str]] = {}
        self.staff: set[str] = set()
        # what the room knows of a viewer beyond this session's events (e.g. an existing fan club membership)
        self.profile: Callable[[str], dict[str, Any]] | None = None

    def get(self, user_id: str) -> Viewer:
        v = self.viewers.get(user_id)
        if v is None:
            v = self.viewers[user_id] = Viewer(user_id)
        return v

    def present(self) -> list[Viewer]:
        return [v for v in self.viewers.values() if v.entered_at is not None]

    def reset(self) -> None:
        """A new live session: stages and scores start over (what people did before is in the log)."""
        self.viewers.clear()

    def observe(self, event: Event[Any]) -> None:
        """Apply one event (each event once: the engine dedupes the stream and the commits)."""
        user, t, p, ts = event.user_id, event.type, event.payload, event.ts
        if t == "assistant.answered":
            if p.to == "user" and p.to_user:
                self._add(self.get(p.to_user), 2, ts, benefit="answered")
            return
        if t == "host.replied":
            self._add(self.get(p.to_user), 3, ts, benefit="replied")
            return
        if t == "poll.started":
            self.poll_options[p.poll_id] = [str(o) for o in p.options]
            return
        if user is None or user.startswith("pb:") or user in self.staff:
            return
        if t == "viewer.entered" and p.role != "viewer":
            self.staff.add(user)  # the host and the room's staff are not viewers: no stage, no playbooks
            self.viewers.pop(user, None)
            return
        v = self.get(user)
        if t == "viewer.entered":
            v.nickname, v.level, v.returning = p.nickname, p.level, p.returning
            v.entries += 1
            v.visits = max(v.visits, v.entries + (1 if p.returning else 0))  # returning: here before
            if self.profile is not None:
                known = self.profile(user)
                v.fan = bool(known.get("fan", v.fan))
                v.tags |= set(known.get("tags", ()))
                v.visits = max(v.visits, int(known.get("visits", 0)))
            if v.entered_at is None:
                v.entered_at = ts
            v.last_active = ts
            self._check(v, ts)
            return
        if t == "viewer.left":
            if v.entered_at is not None:
                v.dwell_ms += max(0, ts - v.entered_at)
            v.entered_at = None
            return
        if t == "comment.posted":
            if p.role != "viewer":
                return
            v.nickname = p.nickname or v.nickname
            self._add(v, 3 if p.question else 2, ts)
        elif t == "like.sent":
            if v.likes < 10:
                v.likes += 1
                self._add(v, 1, ts)
        elif t == "gift.sent":
            self._add(v, min(30, 3 + int(p.coins) // 10), ts)
        elif t in _POINTS:
            if t == "fanclub.joined":
                v.fan = True
            elif t == "order.placed":
                v.orders += 1
                v.last_order_at = ts
                items = getattr(p, "items", None) or []
                if items and isinstance(items[0], dict):
                    pid = str(items[0].get("product_id") or "")
                    name = self.name_of(pid) if self.name_of is not None and pid else None
                    v.last_purchase = name or self.product_names.get(pid, pid) or None
            elif t == "poll.voted":
                options = self.poll_options.get(p.poll_id, [])
                v.vote = options[p.option] if 0 <= p.option < len(options) else None
            self._add(v, _POINTS[t], ts, benefit=t if t in _BENEFITS else None)
        else:
            return
        v.last_active = ts

    def add_points(self, user_id: str, points: int, ts: int) -> None:
        v = self.get(user_id)
        before = v.score(ts)
        v.extra += points
        self._scored(v, before, ts)

    def tick(self, now: int) -> None:
        """Dwell points (an engagement crossing by staying) and dwell-driven stages of the viewers here."""
        for v in self.present():
            score = v.score(now)
            if score != v.last_score:
                before, v.last_score = v.last_score, score
                for listener in tuple(self.on_score):
                    listener(v, before, score, now)
            self._check(v, now)

    def _add(self, v: Viewer, points: int, ts: int, benefit: str | None = None) -> None:
        before = v.score(ts)
        v.points += points
        if benefit is not None and v.benefit is None:
            v.benefit = benefit
        self._scored(v, before, ts)

    def _scored(self, v: Viewer, before: int, ts: int) -> None:
        after = v.score(ts)
        before = min(before, v.last_score)  # what listeners last heard (a dwell point may be in between)
        v.last_score = after
        if after != before:
            for listener in tuple(self.on_score):
                listener(v, before, after, ts)
        self._check(v, ts)

    def _check(self, v: Viewer, now: int) -> None:
        score = v.score(now)
        stage = v.stage
        if stage == "entry" and (score >= IMMERSION_SCORE or v.stayed(now) >= IMMERSION_DWELL_MS):
            stage = "immersion"
        if stage != "conversion" and (
            score >= CONVERSION_SCORE
            or (v.benefit is not None and score >= CONVERSION_BENEFIT_SCORE)
            or v.orders > 0
        ):
            stage = "conversion"
        if stage != v.stage:
            old, v.stage = v.stage, stage
            for listener in tuple(self.on_stage):
                listener(v, old, stage, now)
