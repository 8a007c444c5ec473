"""Triggers about one viewer's presence and progress: viewer_enter, dwell, silence, engagement, stage_changed.

Dwell and silence are timers over the viewers this node has (their `viewer.entered` was committed here);
engagement and stage changes fire for the viewers here. Each gives a fire-once key per viewer and session.
"""

from __future__ import annotations

import heapq
from typing import Any, ClassVar, Literal

from pydantic import Field

from siyu.events import Event
from siyu.playbooks.model import register_trigger
from siyu.playbooks.runtime import Fire, FireFn, Scope, Unsubscribe, combine
from siyu.playbooks.triggers.base import Trigger
from siyu.playbooks.viewers import STAGE_ZH, Viewer


@register_trigger("viewer")
class ViewerEnter(Trigger):
    """A viewer enters the room: `visit` first (never here before), returning, or any."""

    type: Literal["viewer_enter"]
    visit: Literal["any", "first", "returning"] = "any"

    def attach(self, scope: Scope, fire: FireFn) -> Unsubscribe:
        def entered(event: Event[Any]) -> None:
            p = event.payload
            if p.role != "viewer" or event.user_id is None:
                return
            if (self.visit == "first" and p.returning) or (self.visit == "returning" and not p.returning):
                return
            why = "老朋友回来了" if p.returning else "新朋友进入直播间"
            fire(Fire(self.type, event.user_id, event.ts, event, why=why))

        return scope.on("viewer.entered", entered)


@register_trigger("viewer")
class Dwell(Trigger):
    """The viewer has stayed `seconds` in this visit (once per viewer and session)."""

    type: Literal["dwell"]
    seconds: int = Field(ge=1, le=6 * 3600)

    def horizon_ms(self) -> int:
        return self.seconds * 1000

    def attach(self, scope: Scope, fire: FireFn) -> Unsubscribe:
        due: list[tuple[int, str, int]] = []  # (at, user, entered_at)
        done: set[tuple[str, str | None]] = set()  # (user, session): once per viewer and session

        def entered(event: Event[Any]) -> None:
            fresh = (event.user_id, scope.session_id) not in done
            if event.payload.role == "viewer" and event.user_id and fresh:
                heapq.heappush(due, (event.ts + self.seconds * 1000, event.user_id, event.ts))

        def clock(now: int) -> None:
            while due and due[0][0] <= now:
                at, user, entered_at = heapq.heappop(due)
                v = scope.viewers.viewers.get(user)
                if v is None or v.entered_at != entered_at or (user, scope.session_id) in done:
                    continue  # left (or re-entered: that visit has its own timer)
                done.add((user, scope.session_id))
                key = f"dwell:{self.seconds}:{user}:{scope.session_id}"
                fire(Fire(self.type, user, at, key=key, why=f"停留 {self.seconds} 秒"))

        return combine(scope.on("viewer.entered", entered), scope.every(clock))


@register_trigger("viewer")
class Silence(Trigger):
    """The viewer, here, has done nothing (comment, like, gift, vote …) for `seconds`."""

    type: Literal["silence"]
    seconds: int = Field(ge=5, le=3600)

    def horizon_ms(self) -> int:
        return self.seconds * 1000

    def attach(self, scope: Scope, fire: FireFn) -> Unsubscribe:
        fired_for: dict[str, int] = {}  # user -> the last_active their silence fired for

        def clock(now: int) -> None:
            limit = self.seconds * 1000
            for v in scope.viewers.present():
                quiet_since = max(v.last_active, v.entered_at or 0)
                if now - quiet_since >= limit and fired_for.get(v.user_id) != quiet_since:
                    fired_for[v.user_id] = quiet_since
                    key = f"silence:{self.seconds}:{v.user_id}:{quiet_since}"
                    fire(Fire(self.type, v.user_id, now, key=key, why=f"{self.seconds} 秒没有互动"))

        return scope.every(clock)


@register_trigger("viewer")
class Engagement(Trigger):
    """The viewer's engagement score crosses `at_least` (upwards), while they are here."""

    type: Literal["engagement"]
    at_least: int = Field(ge=1, le=1000)

    def attach(self, scope: Scope, fire: FireFn) -> Unsubscribe:
        def scored(v: Viewer, before: int, after: int, ts: int) -> None:
            if before < self.at_least <= after and v.entered_at is not None:
                key = f"score:{self.at_least}:{v.user_id}:{scope.session_id}"
                fire(Fire(self.type, v.user_id, ts, key=key, why=f"互动分达到 {self.at_least}"))

        scope.viewers.on_score.append(scored)
        return lambda: scope.viewers.on_score.remove(scored)


@register_trigger("viewer")
class StageChanged(Trigger):
    """The viewer moves to stage `to` (immersion / conversion; any: either), while they are here."""

    type: Literal["stage_changed"]
    to: Literal["immersion", "conversion", "any"] = "any"
    variables: ClassVar[frozenset[str]] = frozenset({"from_stage", "to_stage"})

    def attach(self, scope: Scope, fire: FireFn) -> Unsubscribe:
        def staged(v: Viewer, old: str, new: str, ts: int) -> None:
            if (self.to == "any" or self.to == new) and v.entered_at is not None:
                key = f"stage:{new}:{v.user_id}:{scope.session_id}"
                why = f"进入{STAGE_ZH[new]}阶段"
                fire(
                    Fire(
                        self.type,
                        v.user_id,
                        ts,
                        key=key,
                        why=why,
                        vars={"from_stage": STAGE_ZH[old], "to_stage": STAGE_ZH[new]},
                    )
                )

        scope.viewers.on_stage.append(staged)
        return lambda: scope.viewers.on_stage.remove(staged)
