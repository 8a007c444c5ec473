"""Checks across fields of a validated playbook file; each problem names its path and a documented code.

- `playbook.duplicate_id`: two playbooks with one id.
- `action.needs_viewer`: a personal action (send_private, invite …) in a playbook a room trigger can start.
- `template.unknown_variable` / `template.unsafe` / `template.invalid`: a template its runs cannot render.
- `wait.too_long`: the trigger's horizon plus the waits on a path pass the planned live session.
- `invite.before_value`: an invite on entry with no value condition and no `override_value_gate`.
- `invite.budget`: two invites in one run less than the invite gap (10 min) apart.
- `assistant.needs_group`: `ask_assistant: answer_group` without a many_asked trigger.
- `experiment.duplicate_variant`: two variants with one name.
"""

from __future__ import annotations

from typing import Any

from siyu.playbooks.actions.flow import Choose, RandomSplit, Wait
from siyu.playbooks.actions.messages import AskAssistant, InvitePrivateDomain
from siyu.playbooks.model import ACTIONS, TRIGGERS, Playbook, PlaybookFile, validate_list
from siyu.playbooks.render import ROOM_VARS, VIEWER_VARS, TemplateIssue
from siyu.playbooks.render import check as check_template
from siyu.rooms.budget import INVITE_GAP_MS
from siyu.rooms.welcome import WelcomeTemplateError, compile_template

VALUE_CONDITIONS = ("value_felt", "score_min", "stage", "purchased")


def check(doc: PlaybookFile) -> list[dict[str, str]]:
    problems: list[dict[str, str]] = []

    def add(path: str, code: str, message: str) -> None:
        problems.append({"path": path, "message": message, "type": code})

    if doc.welcome is not None:
        try:
            compile_template(doc.welcome)
        except WelcomeTemplateError as exc:
            add("welcome", "template.invalid", str(exc))
    seen: set[str] = set()
    for i, pb in enumerate(doc.playbooks):
        base = f"playbooks[{i}]"
        if pb.id in seen:
            add(f"{base}.id", "playbook.duplicate_id", f"playbook id {pb.id!r} is used twice")
        seen.add(pb.id)
        _playbook(doc, pb, base, add)
    return problems


def _playbook(doc: PlaybookFile, pb: Playbook, base: str, add: Any) -> None:
    viewer_run = pb.subject == "viewer"
    trigger_vars: frozenset[str] | None = None
    for t in pb.trigger:
        got = frozenset(type(t).variables)
        trigger_vars = got if trigger_vars is None else trigger_vars & got
    allowed = (trigger_vars or frozenset()) | ROOM_VARS | {"variant"}
    if viewer_run:
        allowed |= VIEWER_VARS
    horizon = max(t.horizon_ms() for t in pb.trigger)
    limit = doc.planned_minutes * 60_000
    lists: list[tuple[str, list[Any]]] = [(f"{base}.actions", pb.actions)]
    if pb.experiment is not None:
        names = [v.name for v in pb.experiment.variants]
        if len(set(names)) != len(names):
            add(f"{base}.experiment.variants", "experiment.duplicate_variant", "variant names must differ")
        for j, variant in enumerate(pb.experiment.variants):
            if variant.actions is not None:
                try:
                    acts = validate_list("action", variant.actions)
                except ValueError as exc:
                    add(f"{base}.experiment.variants[{j}].actions", "action.invalid", str(exc))
                    continue
                lists.append((f"{base}.experiment.variants[{j}].actions", acts))
    has_group = any(t.type == "many_asked" for t in pb.trigger)
    value_gated = any(_mentions_value(c) for c in pb.conditions)
    for path, actions in lists:
        _actions(actions, path, add, viewer_run, allowed, has_group)
        for waited, path_ in _paths(actions, path, 0):
            if horizon + waited > limit:
                add(
                    path_,
                    "wait.too_long",
                    f"the run may reach {(horizon + waited) // 60_000} min, "
                    f"past the planned {doc.planned_minutes} min",
                )
        entry = all(t.type == "viewer_enter" for t in pb.trigger)
        flagged: set[int] = set()
        too_close: set[int] = set()
        for invites in _invite_paths(actions, 0):
            for a, b in zip(invites, invites[1:], strict=False):
                if b[0] - a[0] < INVITE_GAP_MS and id(b[1]) not in too_close:
                    too_close.add(id(b[1]))
                    add(f"{path}", "invite.budget", "two invites in one run less than 10 minutes apart")
            for _, invite in invites:
                if not entry or value_gated or invite.override_value_gate or id(invite) in flagged:
                    continue
                flagged.add(id(invite))
                add(
                    path,
                    "invite.before_value",
                    "an invite on entry needs a value condition (value_felt, score_min, stage) "
                    "or override_value_gate",
                )


def _actions(
    actions: list[Any], path: str, add: Any, viewer_run: bool, allowed: frozenset[str], group: bool
) -> None:
    for k, action in enumerate(actions):
        here = f"{path}[{k}]"
        if ACTIONS[action.type].subject == "viewer" and not viewer_run:
            add(
                here,
                "action.needs_viewer",
                f"{action.type} needs a viewer; a room trigger can start this playbook",
            )
        if isinstance(action, AskAssistant) and action.kind == "answer_group" and not group:
            add(here, "assistant.needs_group", "answer_group needs a many_asked trigger")
        for name in type(action).templates:
            source = getattr(action, name, None)
            if source:
                try:
                    check_template(source, allowed)
                except TemplateIssue as exc:
                    add(f"{here}.{name}", exc.code, str(exc))
        for sub, child in zip(action.child_paths(), action.children(), strict=True):
            _actions(child, f"{here}.{sub}", add, viewer_run, allowed, group)


def _paths(actions: list[Any], path: str, waited: int) -> list[tuple[int, str]]:
    """The longest wait along each path (only the worst is needed: the list's end)."""
    worst: list[tuple[int, str]] = []
    for k, action in enumerate(actions):
        if isinstance(action, Wait):
            waited += int(action.seconds * 1000)
            worst.append((waited, f"{path}[{k}]"))
        for sub, child in zip(action.child_paths(), action.children(), strict=True):
            worst += _paths(child, f"{path}[{k}].{sub}", waited)
    return worst


Timed = list[tuple[int, InvitePrivateDomain]]


def _invite_paths(actions: list[Any], at: int, limit: int = 64) -> list[Timed]:
    """The invites of each path through the actions (a branch of choose / random_split is one path), with
    the time into the run they happen at (waits add up)."""
    paths: list[tuple[int, Timed]] = [(at, [])]
    for action in actions:
        if isinstance(action, Wait):
            paths = [(t + int(action.seconds * 1000), got) for t, got in paths]
        elif isinstance(action, InvitePrivateDomain):
            paths = [(t, [*got, (t, action)]) for t, got in paths]
        elif isinstance(action, Choose | RandomSplit):
            grown = []
            for t, got in paths:
                for child in action.children():
                    for sub in _invite_paths(child, t, limit):
                        end = max([t, *(x for x, _ in sub)])
                        grown.append((end, got + sub))
            paths = grown[:limit] or paths
    return [got for _, got in paths]


def _mentions_value(condition: Any) -> bool:
    """Whether a condition requires that value was felt: value_felt true, a positive score_min, a stage
    past entry, or a purchase ("not" and "or" do not count: they can let a viewer through without it)."""
    t = getattr(condition, "type", "")
    if t == "and":
        return any(_mentions_value(c) for c in condition.conditions)
    if t != "viewer":
        return False
    stage = condition.stage
    return bool(
        condition.value_felt is True
        or (condition.score_min or 0) > 0
        or (stage and "entry" not in stage)
        or condition.purchased is True
    )


__all__ = ["TRIGGERS", "check"]
