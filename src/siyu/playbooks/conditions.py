"""Conditions: models compiled once into checkers `(Check) -> (passed, reading)`.

`reading` is what the trace shows for the verdict ("等级 3 ≥ 2"). And / or / not nest other conditions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator

from siyu.playbooks.model import Clock, Id, Strict, register_condition, validate_list
from siyu.playbooks.runtime import Scope
from siyu.playbooks.viewers import Viewer

TZ = ZoneInfo("Asia/Shanghai")


@dataclass(slots=True)
class Check:
    """What a condition sees: the run's viewer (None for a room run), the room, now, the viewer's variants."""

    scope: Scope
    viewer: Viewer | None
    now: int
    variants: dict[str, str] = field(default_factory=dict)  # experiment id -> variant (or "holdout")
    budget_left: Callable[[str], bool] | None = None


Checker = Callable[[Check], tuple[bool, str]]


@register_condition
class ViewerIs(Strict):
    """The run's viewer: every given field must hold."""

    type: Literal["viewer"]
    new: bool | None = None
    level_min: int | None = Field(None, ge=0, le=100)
    level_max: int | None = Field(None, ge=0, le=100)
    fan: bool | None = None
    tags_any: list[str] | None = Field(None, max_length=20)
    tags_none: list[str] | None = Field(None, max_length=20)
    purchased: bool | None = None
    stage: list[Literal["entry", "immersion", "conversion"]] | None = None
    score_min: int | None = Field(None, ge=0, le=10_000)
    score_max: int | None = Field(None, ge=0, le=10_000)
    value_felt: bool | None = None

    def compile(self) -> Checker:
        def check(c: Check) -> tuple[bool, str]:
            v = c.viewer
            if v is None:
                return False, "没有观众（房间级触发）"
            score = v.score(c.now)
            tests: list[tuple[bool, str]] = []
            if self.new is not None:
                tests.append(((not v.returning) == self.new, "新观众" if not v.returning else "老观众"))
            if self.level_min is not None:
                tests.append((v.level >= self.level_min, f"等级 {v.level} ≥ {self.level_min}"))
            if self.level_max is not None:
                tests.append((v.level <= self.level_max, f"等级 {v.level} ≤ {self.level_max}"))
            if self.fan is not None:
                tests.append((v.fan == self.fan, "粉丝团成员" if v.fan else "非粉丝团"))
            if self.tags_any is not None:
                tests.append((bool(v.tags & set(self.tags_any)), f"标签 {sorted(v.tags)}"))
            if self.tags_none is not None:
                tests.append((not v.tags & set(self.tags_none), f"标签 {sorted(v.tags)}"))
            if self.purchased is not None:
                tests.append(((v.orders > 0) == self.purchased, f"下单 {v.orders} 次"))
            if self.stage is not None:
                tests.append((v.stage in self.stage, f"阶段 {v.stage}"))
            if self.score_min is not None:
                tests.append((score >= self.score_min, f"互动分 {score} ≥ {self.score_min}"))
            if self.score_max is not None:
                tests.append((score <= self.score_max, f"互动分 {score} ≤ {self.score_max}"))
            if self.value_felt is not None:
                felt = v.value_felt(c.now)
                tests.append((felt == self.value_felt, "已感受到价值" if felt else "尚未感受到价值"))
            return _all(tests)

        return check


@register_condition
class RoomIs(Strict):
    """The room now: online viewers, likes, the host's status, a product pinned."""

    type: Literal["room"]
    online_min: int | None = Field(None, ge=0, le=10**8)
    online_max: int | None = Field(None, ge=0, le=10**8)
    likes_min: int | None = Field(None, ge=0, le=10**10)
    host_status: list[Literal["live", "busy", "away"]] | None = None
    pinned: bool | None = None

    def compile(self) -> Checker:
        def check(c: Check) -> tuple[bool, str]:
            s = c.scope
            tests: list[tuple[bool, str]] = []
            if self.online_min is not None:
                tests.append((s.online >= self.online_min, f"在线 {s.online} ≥ {self.online_min}"))
            if self.online_max is not None:
                tests.append((s.online <= self.online_max, f"在线 {s.online} ≤ {self.online_max}"))
            if self.likes_min is not None:
                tests.append((s.likes >= self.likes_min, f"点赞 {s.likes} ≥ {self.likes_min}"))
            if self.host_status is not None:
                tests.append((s.host_status in self.host_status, f"主播状态 {s.host_status}"))
            if self.pinned is not None:
                tests.append(((s.pinned is not None) == self.pinned, f"讲解中 {s.pinned or '无'}"))
            return _all(tests)

        return check


@register_condition
class TimeIs(Strict):
    """The session's age (`after_start_s_min/max`) and the wall clock (`between` HH:MM–HH:MM, Beijing)."""

    type: Literal["time"]
    after_start_s_min: int | None = Field(None, ge=0, le=24 * 3600)
    after_start_s_max: int | None = Field(None, ge=0, le=24 * 3600)
    between: tuple[Clock, Clock] | None = None

    def compile(self) -> Checker:
        def check(c: Check) -> tuple[bool, str]:
            tests: list[tuple[bool, str]] = []
            start = c.scope.session_started_at
            age = (c.now - start) // 1000 if start is not None else -1
            if self.after_start_s_min is not None:
                tests.append((age >= self.after_start_s_min, f"开播 {age} 秒"))
            if self.after_start_s_max is not None:
                tests.append((0 <= age <= self.after_start_s_max, f"开播 {age} 秒"))
            if self.between is not None:
                clock = dt.datetime.fromtimestamp(c.now / 1000, TZ).strftime("%H:%M")
                tests.append((in_window(clock, *self.between), f"时间 {clock}"))
            return _all(tests)

        return check


@register_condition
class InVariant(Strict):
    """The viewer's variant of experiment `id` is one of `variants` ("holdout" names the holdout)."""

    type: Literal["experiment"]
    id: Id
    variants: list[str] = Field(min_length=1, max_length=10)

    def compile(self) -> Checker:
        def check(c: Check) -> tuple[bool, str]:
            got = c.variants.get(self.id)
            return got in self.variants, f"实验 {self.id}: {got or '未分组'}"

        return check


@register_condition
class BudgetLeft(Strict):
    """The viewer's contact budget allows a `kind` contact now (this node's reading; the action's own
    spend is what decides)."""

    type: Literal["budget"]
    kind: Literal["message", "card", "coupon", "invite"]

    def compile(self) -> Checker:
        def check(c: Check) -> tuple[bool, str]:
            ok = c.budget_left is not None and c.budget_left(self.kind)
            return ok, f"触达额度（{self.kind}）{'有' if ok else '已用完'}"

        return check


class _Group(Strict):
    conditions: list[Any] = Field(min_length=1, max_length=20)

    @field_validator("conditions")
    @classmethod
    def _inner(cls, v: list[Any]) -> list[Any]:
        return validate_list("condition", v)


@register_condition
class All(_Group):
    type: Literal["and"]

    def compile(self) -> Checker:
        inner = [compile_condition(x) for x in self.conditions]
        return lambda c: _all([f(c) for f in inner])


@register_condition
class AnyOf(_Group):
    type: Literal["or"]

    def compile(self) -> Checker:
        inner = [compile_condition(x) for x in self.conditions]

        def check(c: Check) -> tuple[bool, str]:
            results = [f(c) for f in inner]
            return any(ok for ok, _ in results), " 或 ".join(r for _, r in results)

        return check


@register_condition
class Not(_Group):
    type: Literal["not"]

    def compile(self) -> Checker:
        inner = All(type="and", conditions=self.conditions).compile()

        def check(c: Check) -> tuple[bool, str]:
            ok, reading = inner(c)
            return not ok, f"非（{reading}）"

        return check


def compile_condition(model: Any) -> Checker:
    return model.compile()  # type: ignore[no-any-return]


def _all(tests: list[tuple[bool, str]]) -> tuple[bool, str]:
    return all(ok for ok, _ in tests), "，".join(r for _, r in tests)


def in_window(clock: str, start: str, end: str) -> bool:
    """Whether HH:MM `clock` is in [start, end) (a window may pass midnight: 23:00–08:00)."""
    return start <= clock < end if start <= end else clock >= start or clock < end
