"""One run of one playbook: experiment arm, conditions, then the actions in order, each traced.

A failing action is traced with its code and the rest go on. Personal contacts ask quiet hours and the
contact budget first. Waits sleep on the engine's clock (live: the room tick; dry run: the recorded `ts`).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from siyu.playbooks.actions.base import ActionFailed, RunCtx
from siyu.playbooks.actions.flow import Choose, RandomSplit, Wait
from siyu.playbooks.conditions import TZ, Check, Checker, compile_condition, in_window
from siyu.playbooks.experiments import assign
from siyu.playbooks.model import Playbook, QuietHours, validate_list
from siyu.rooms.budget import AFTER_PURCHASE_MS

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Trace:
    """What a run did and why (the 自动化日志 row; `GET …/playbooks/runs`)."""

    id: str
    playbook: str
    user_id: str | None
    trigger: dict[str, Any]
    started_at: int
    context: dict[str, Any]
    status: str = "running"  # ok | partial | refused | failed | conditions_failed | holdout | skipped
    variant: str | None = None
    conditions: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    finished_at: int | None = None
    note: str | None = None  # e.g. "override_value_gate" or the skip reason
    nickname: str | None = None  # the viewer's, as this node knows it

    def wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "playbook": self.playbook,
            "user_id": self.user_id,
            "nickname": self.nickname,
            "trigger": self.trigger,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "status": self.status,
            "variant": self.variant,
            "conditions": self.conditions,
            "actions": self.actions,
            "context": self.context,
            "note": self.note,
        }


Sleep = Callable[[int], Awaitable[None]]
"""Sleep until a time (ms): the engine's clock decides when it is reached."""


class Runner:
    """Runs one playbook's runs (compiled once per playbook version)."""

    def __init__(self, pb: Playbook, quiet: QuietHours | None, shop_id: str, budget_left: Any) -> None:
        self.pb = pb
        self.quiet = quiet
        self.shop_id = shop_id
        self.checks: list[tuple[str, Checker]] = [(c.type, compile_condition(c)) for c in pb.conditions]
        self.budget_left = budget_left
        self.exposed: set[tuple[str, str]] = set()
        self.exposures: dict[str, dict[str, int]] = {}  # experiment -> variant -> viewers (this node)

    def exposure_counts(self) -> dict[str, dict[str, int]]:
        return {k: dict(v) for k, v in self.exposures.items()}

    def arm(self, user_id: str | None) -> str | None:
        exp = self.pb.experiment
        if exp is None or user_id is None:
            return None
        return assign(exp.id, user_id, [(v.name, v.weight) for v in exp.variants], exp.holdout)

    def checker(self, ctx: RunCtx) -> Check:
        viewer = ctx.viewer
        variants: dict[str, str] = {}
        if viewer is not None and self.pb.experiment is not None and ctx.variant is not None:
            variants[self.pb.experiment.id] = ctx.variant

        def left(kind: str) -> bool:
            return viewer is not None and bool(self.budget_left(viewer, kind, ctx.now))

        return Check(ctx.scope, viewer, ctx.now, variants, left)

    def conditions(self, ctx: RunCtx, trace: Trace) -> bool:
        """The playbook's conditions, in order, each verdict in the trace; False at the first that fails."""
        check = self.checker(ctx)
        for kind, checker in self.checks:
            ok, reading = checker(check)
            trace.conditions.append({"type": kind, "passed": ok, "reading": reading})
            if not ok:
                return False
        return True

    async def run(self, ctx: RunCtx, trace: Trace, sleep: Sleep) -> None:
        """After the conditions held: the experiment's exposure (the holdout stops here), then the actions."""
        exp = self.pb.experiment
        if exp is not None and ctx.viewer is not None and ctx.variant is not None:
            await self._expose(ctx, exp.id, ctx.variant)
            if ctx.variant == "holdout":
                trace.status = "holdout"
                return
        actions = self.pb.actions
        if exp is not None and ctx.variant is not None:
            chosen = next((v for v in exp.variants if v.name == ctx.variant), None)
            if chosen is not None and chosen.actions is not None:
                actions = validate_list("action", chosen.actions)
        await self.actions(ctx, trace, actions, sleep)
        trace.status = outcome(trace.actions)

    async def actions(self, ctx: RunCtx, trace: Trace, actions: list[Any], sleep: Sleep) -> None:
        for action in actions:
            step: dict[str, Any] = {"type": action.type, "status": "ok", "reading": ""}
            trace.actions.append(step)
            started = time.perf_counter()
            try:
                if isinstance(action, Wait):
                    ms = int(action.seconds * 1000)
                    await sleep(ctx.now + ms)
                    ctx.now += ms
                    step["reading"] = f"等待 {action.seconds:g} 秒"
                elif isinstance(action, Choose):
                    await self._choose(ctx, trace, action, step, sleep)
                elif isinstance(action, RandomSplit):
                    await self._split(ctx, trace, action, step, sleep)
                else:
                    await self._one(ctx, action, step)
            except ActionFailed as exc:
                step.update(status="failed", code=exc.code, reading=exc.reading)
            except Exception as exc:  # noqa: BLE001 - one action's bug must not stop the others
                log.exception("playbook %s: action %s failed", self.pb.id, action.type)
                step.update(status="failed", code="action.error", reading=f"{type(exc).__name__}")
            step["ms"] = round((time.perf_counter() - started) * 1000, 2)

    async def _one(self, ctx: RunCtx, action: Any, step: dict[str, Any]) -> None:
        kind = getattr(action, "contact", None)
        if kind is not None and ctx.viewer is not None:
            if self.quiet is not None and self._quiet(ctx.now):
                step.update(
                    status="refused",
                    code="quiet_hours",
                    reading=f"免打扰时段 {self.quiet.start}-{self.quiet.end}",
                )
                return
            bought = ctx.viewer.last_order_at
            if kind == "invite" and bought is not None and 0 <= ctx.now - bought < AFTER_PURCHASE_MS:
                code = "budget.after_purchase"
                step.update(status="refused", code=code, reading=_REASONS[code])
                return
            override = bool(getattr(action, "override_value_gate", False))
            felt = ctx.viewer.value_felt(ctx.now)
            reason = await ctx.effects.spend(
                ctx, ctx.viewer.user_id, kind, value_felt=felt, override=override
            )
            if reason is not None:
                step.update(status="refused", code=reason, reading=_REASONS.get(reason, reason))
                return
            if kind == "invite" and override and not felt:
                step["note"] = "override_value_gate: 未感受到价值，按剧本显式放行"
        step["reading"] = await action.run(ctx)

    async def _choose(
        self, ctx: RunCtx, trace: Trace, action: Choose, step: dict[str, Any], sleep: Sleep
    ) -> None:
        check = self.checker(ctx)
        for i, branch in enumerate(action.choices):
            results = [compile_condition(c)(check) for c in branch.conditions]
            if all(ok for ok, _ in results):
                step["reading"] = f"分支 {i + 1}：" + "，".join(r for _, r in results)
                await self.actions(ctx, trace, branch.actions, sleep)
                return
        step["reading"] = "默认分支"
        await self.actions(ctx, trace, action.default, sleep)

    async def _split(
        self, ctx: RunCtx, trace: Trace, action: RandomSplit, step: dict[str, Any], sleep: Sleep
    ) -> None:
        arms = [(b.name, b.weight) for b in action.branches]
        if action.experiment is not None and ctx.viewer is not None:
            name = assign(action.experiment, ctx.viewer.user_id, arms)
            await self._expose(ctx, action.experiment, name)
        else:
            name = random.choices([a for a, _ in arms], weights=[w for _, w in arms])[0]  # noqa: S311
        step["reading"] = f"分流 → {name}"
        branch = next(b for b in action.branches if b.name == name)
        await self.actions(ctx, trace, branch.actions, sleep)

    async def _expose(self, ctx: RunCtx, experiment: str, variant: str) -> None:
        assert ctx.viewer is not None
        key = (experiment, ctx.viewer.user_id)
        if key in self.exposed:
            return
        self.exposed.add(key)
        counts = self.exposures.setdefault(experiment, {})
        counts[variant] = counts.get(variant, 0) + 1
        body = {"experiment": experiment, "variant": variant, "playbook": self.pb.id}
        await ctx.effects.record(ctx, "experiment.exposed", body, ctx.viewer.user_id)

    def _quiet(self, now: int) -> bool:
        assert self.quiet is not None
        clock = dt.datetime.fromtimestamp(now / 1000, TZ).strftime("%H:%M")
        return in_window(clock, self.quiet.start, self.quiet.end)


def outcome(steps: list[dict[str, Any]]) -> str:
    """ok (every action done), partial (some), refused (none: the budget or quiet hours said no), failed."""
    bad = [a for a in steps if a["status"] in ("failed", "refused")]
    if not bad:
        return "ok"
    if len(bad) < len(steps):
        return "partial"
    return "refused" if all(a["status"] == "refused" for a in bad) else "failed"


_REASONS = {
    "budget.before_value": "观众还没感受到价值，先不邀约",
    "budget.after_purchase": "刚下单 5 分钟内不邀约",
    "budget.gap": "距上次同类触达太近",
    "budget.session_cap": "本场同类触达已达上限",
    "budget.rate": "一分钟内触达太多",
    "budget.contended": "额度争用，稍后再试",
}
