"""Helpers of the template tests: the demo catalog in link order, small crafted streams built from the real
payload classes, and an independent reading of the documented engagement table (docs/playbooks.md "Stages
and engagement"), so the value guardrail is checked against the stream, not the engine's own figures."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

import siyu.app  # noqa: F401 - every wing's payload types are registered (event_from_json needs them)
from siyu.events import Context, Event, SessionStarted, ViewerEntered, event_to_json
from siyu.playbooks.dryrun import read_events

STREAMS = Path(__file__).parent / "streams"
T0 = 1_779_969_600_000  # 2026-05-28 20:00 Beijing: outside every template's quiet hours
SESSION = "s-test"


def catalog() -> dict[str, Any]:
    return json.loads(resources.files("siyu.data").joinpath("catalog.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def products_in_link_order() -> dict[str, str]:
    """Product id -> short name, in the shop's link order (1号链接, 2号链接 …): what the rotation follows."""
    items = sorted(catalog()["products"], key=lambda p: p["link_no"])
    return {p["id"]: p["short_name"] for p in items}


def recorded(name: str) -> list[Event[Any]]:
    with open(STREAMS / f"{name}.jsonl", encoding="utf-8") as f:
        return read_events(f)


class Stream:
    """A crafted live session: `add(seconds, user, payload)`, then `events()` (through the export's JSON
    form and back, as `siyu playbook dry-run` reads a file)."""

    def __init__(self, title: str = "测试专场") -> None:
        self._events: list[Event[Any]] = []
        self.add(0, None, SessionStarted(title))

    def add(self, seconds: float, user: str | None, payload: Any, actor: str | None = None) -> Event[Any]:
        event = Event("r", user, payload, SESSION, Context(actor=actor or user), ts=T0 + int(seconds * 1000))
        self._events.append(event)
        return event

    def enter(self, seconds: float, user: str, returning: bool = False, level: int = 0) -> None:
        self.add(seconds, user, ViewerEntered(f"观众{user}", level, "viewer", returning))

    def events(self, *, through_json: bool = True) -> list[Event[Any]]:
        ordered = sorted(self._events, key=lambda e: e.ts)
        if not through_json:
            return ordered
        return read_events(orjson.dumps(event_to_json(e)) for e in ordered)


# --- the engagement table, read independently ---------------------------------------------------------

POINTS = {"viewer.followed": 5, "poll.voted": 3, "luckybag.entered": 3, "coupon.claimed": 4,
          "luckybag.won": 4, "quiz.rewarded": 4, "fanclub.joined": 8, "order.placed": 10}  # fmt: skip
BENEFITS = {"coupon.claimed", "luckybag.won", "quiz.rewarded"}
VALUE_SCORE = 10


@dataclass
class Person:
    points: int = 0
    likes: int = 0
    benefit: bool = False
    stayed_ms: int = 0
    entered_at: int | None = None
    returning: bool | None = None  # as they first entered this session

    def score(self, now: int) -> int:
        here = self.stayed_ms + (now - self.entered_at if self.entered_at is not None else 0)
        return self.points + min(20, here // 30_000)


@dataclass
class Audience:
    """Each viewer's points, benefit and stay as of a moment, from the events alone."""

    events: list[Event[Any]]
    extra: list[tuple[int, str, int]] = field(default_factory=list)  # (ts, user, points) added by playbooks

    def at(self, now: int) -> dict[str, Person]:
        people: dict[str, Person] = {}

        def get(user: str) -> Person:
            return people.setdefault(user, Person())

        for e in self.events:
            if e.ts > now:
                break
            t, p, user = e.type, e.payload, e.user_id
            if t == "assistant.answered":
                if p.to == "user" and p.to_user:
                    get(p.to_user).points += 2
                    get(p.to_user).benefit = True
                continue
            if t == "host.replied":
                get(p.to_user).points += 3
                get(p.to_user).benefit = True
                continue
            if user is None or user.startswith("pb:"):
                continue
            v = get(user)
            if t == "viewer.entered":
                v.returning = p.returning if v.returning is None else v.returning
                v.entered_at = e.ts if v.entered_at is None else v.entered_at
            elif t == "viewer.left" and v.entered_at is not None:
                v.stayed_ms += e.ts - v.entered_at
                v.entered_at = None
            elif t == "comment.posted":
                v.points += 3 if p.question else 2
            elif t == "like.sent" and v.likes < 10:
                v.likes += 1
                v.points += 1
            elif t == "gift.sent":
                v.points += min(30, 3 + p.coins // 10)
            elif t in POINTS:
                v.points += POINTS[t]
                v.benefit = v.benefit or t in BENEFITS
        for ts, user, points in self.extra:
            if ts <= now:
                get(user).points += points
        return people

    def value_felt(self, user: str, now: int) -> bool:
        v = self.at(now).get(user)
        return v is not None and (v.benefit or v.score(now) >= VALUE_SCORE)


def new_viewers(events: Iterable[Event[Any]]) -> set[str]:
    """Viewers whose first entry of the session was a first visit."""
    first: dict[str, bool] = {}
    for e in events:
        if e.type == "viewer.entered" and e.payload.role == "viewer" and e.user_id not in first:
            first[e.user_id] = e.payload.returning  # type: ignore[index]
    return {u for u, returning in first.items() if not returning}
