"""Control flow: wait, choose (branches on conditions), random_split (weighted branches, optionally a
deterministic experiment). The engine runs them (engine.py); these are their models."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from siyu.playbooks.actions.base import Action
from siyu.playbooks.model import Id, Strict, register_action, validate_list


def _actions(v: list[Any]) -> list[Any]:
    return validate_list("action", v)


@register_action("any")
class Wait(Action):
    """Wait `seconds` before the next action (bounded by the planned live session)."""

    type: Literal["wait"]
    seconds: float = Field(gt=0, le=24 * 3600)


class Branch(Strict):
    conditions: list[Any] = Field(min_length=1, max_length=20)
    actions: list[Any] = Field(min_length=1, max_length=40)

    @field_validator("conditions")
    @classmethod
    def _conditions(cls, v: list[Any]) -> list[Any]:
        return validate_list("condition", v)

    @field_validator("actions")
    @classmethod
    def _a(cls, v: list[Any]) -> list[Any]:
        return _actions(v)


@register_action("any")
class Choose(Action):
    """The first branch whose conditions all hold runs; else `default`."""

    type: Literal["choose"]
    choices: list[Branch] = Field(min_length=1, max_length=10)
    default: list[Any] = Field(default_factory=list, max_length=40)

    @field_validator("default")
    @classmethod
    def _d(cls, v: list[Any]) -> list[Any]:
        return _actions(v)

    def children(self) -> list[list[Any]]:
        return [b.actions for b in self.choices] + [self.default]

    def child_paths(self) -> list[str]:
        return [f"choices[{j}].actions" for j in range(len(self.choices))] + ["default"]


class Split(Strict):
    name: Id
    weight: float = Field(1.0, gt=0, le=1000)
    actions: list[Any] = Field(default_factory=list, max_length=40)

    @field_validator("actions")
    @classmethod
    def _a(cls, v: list[Any]) -> list[Any]:
        return _actions(v)


@register_action("any")
class RandomSplit(Action):
    """One of `branches` by weight: at random per run, or with `experiment` by the viewer's stable
    assignment (sha256 of viewer and experiment id), whose exposure is logged."""

    type: Literal["random_split"]
    branches: list[Split] = Field(min_length=2, max_length=10)
    experiment: Id | None = None

    def children(self) -> list[list[Any]]:
        return [b.actions for b in self.branches]

    def child_paths(self) -> list[str]:
        return [f"branches[{j}].actions" for j in range(len(self.branches))]
