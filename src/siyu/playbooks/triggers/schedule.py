"""The clock of the live session: schedule (T+N s after the start, every N s, N s before the planned end)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from siyu.playbooks.model import register_trigger
from siyu.playbooks.runtime import Fire, FireFn, Scope, Unsubscribe
from siyu.playbooks.triggers.base import Trigger


@register_trigger("room")
class Schedule(Trigger):
    """Exactly one of: `after_start_s` (once, N s after the live session started), `every_s` (every N s of
    the session, first at `offset_s` or N), `before_end_s` (once, N s before the planned end:
    the file's `planned_minutes` after the start)."""

    type: Literal["schedule"]
    after_start_s: int | None = Field(None, ge=0, le=24 * 3600)
    every_s: int | None = Field(None, ge=1, le=24 * 3600)
    offset_s: int | None = Field(None, ge=0, le=24 * 3600)
    before_end_s: int | None = Field(None, ge=1, le=24 * 3600)
    variables: ClassVar[frozenset[str]] = frozenset({"minutes_live", "minutes_left"})

    @model_validator(mode="after")
    def _one(self) -> Schedule:
        given = [x for x in (self.after_start_s, self.every_s, self.before_end_s) if x is not None]
        if len(given) != 1:
            raise ValueError("schedule needs exactly one of after_start_s, every_s, before_end_s")
        if self.offset_s is not None and self.every_s is None:
            raise ValueError("offset_s goes with every_s")
        return self

    def horizon_ms(self) -> int:
        if self.after_start_s is not None:
            return self.after_start_s * 1000
        return (self.offset_s if self.offset_s is not None else self.every_s or 0) * 1000

    def attach(self, scope: Scope, fire: FireFn) -> Unsubscribe:
        state: dict[str, int] = {"n": 0}
        current: list[str | None] = [None]

        def clock(now: int) -> None:
            start, session = scope.session_started_at, scope.session_id
            if start is None:
                return
            if current[0] != session:
                current[0], state["n"] = session, 0
            n = state["n"]
            if self.every_s is not None:
                first = self.offset_s if self.offset_s is not None else self.every_s
                at = start + (first + n * self.every_s) * 1000
                if now < at:
                    return
                # a late clock (a node that was busy or restarted) fires once, then moves past `now`
                state["n"] = n + 1 + max(0, (now - at) // (self.every_s * 1000))
                why = f"每 {self.every_s} 秒"
            elif n:
                return
            elif self.after_start_s is not None:
                at = start + self.after_start_s * 1000
                if now < at:
                    return
                state["n"], why = 1, f"开播 {self.after_start_s} 秒"
            else:
                assert self.before_end_s is not None
                end = scope.planned_end
                if end is None or now < end - self.before_end_s * 1000 or now >= end:
                    return
                at = end - self.before_end_s * 1000
                state["n"], why = 1, f"下播前 {self.before_end_s} 秒"
            left = max(0, (scope.planned_end or now) - now) // 60_000
            fire(
                Fire(
                    self.type,
                    None,
                    now,
                    None,
                    {"minutes_live": (now - start) // 60_000, "minutes_left": left},
                    key=f"schedule:{n}:{at}:{session}",
                    why=why,
                )
            )

        return scope.every(clock)
