"""The action contract: a model with `run(ctx)`, and the Effects an engine acts through.

Effects is the only way out: live it is the service layer (playbooks/live.py), in a dry run a recorder
(playbooks/dryrun.py). An action returns a short reading for the trace or raises ActionFailed with a
documented code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from siyu.playbooks.model import Strict
from siyu.playbooks.render import render
from siyu.playbooks.runtime import Scope
from siyu.playbooks.viewers import Viewer


class ActionFailed(Exception):
    """An action could not be done: `code` (docs/playbooks.md "Reasons") and a reading."""

    def __init__(self, code: str, reading: str = "") -> None:
        super().__init__(f"{code}: {reading}")
        self.code = code
        self.reading = reading


class Effects(Protocol):
    """What actions may do to the room (and what the engine needs of it)."""

    async def claim(self, playbook_id: str, key: str) -> bool: ...

    async def say_to(self, run: RunCtx, user_id: str, text: str, **extra: Any) -> None: ...

    async def say(self, run: RunCtx, text: str, **extra: Any) -> None: ...

    async def card(self, run: RunCtx, user_id: str | None, card: dict[str, Any]) -> None: ...

    async def act(self, run: RunCtx, frame: dict[str, Any]) -> dict[str, Any]: ...

    async def pin(self, run: RunCtx, product_id: str | None) -> bool: ...

    async def invite(
        self, run: RunCtx, user_id: str, channel: str, incentive: str, text: str
    ) -> dict[str, Any]: ...

    async def assistant(self, run: RunCtx, kind: str, to: str) -> str | None: ...

    async def notify(self, run: RunCtx, text: str, level: str) -> None: ...

    async def tag(self, run: RunCtx, user_id: str, tag: str) -> None: ...

    async def record(
        self, run: RunCtx, type_name: str, body: dict[str, Any], user_id: str | None
    ) -> None: ...

    async def purchased(self, user_id: str, ts: int) -> None:
        """A purchase: the contact budget's quiet period after it starts (on every node's reading)."""
        ...

    async def spend(
        self, run: RunCtx, user_id: str, kind: str, *, value_felt: bool, override: bool
    ) -> str | None:
        """Spend one contact of `kind` from the viewer's budget: None when allowed, else the reason."""
        ...

    def products(self) -> list[str]: ...

    def product_name(self, product_id: str) -> str | None: ...


@dataclass(slots=True)
class RunCtx:
    """One run of one playbook: who it is about, its template context, where its events come from."""

    effects: Effects
    scope: Scope
    playbook_id: str
    run_id: str
    viewer: Viewer | None
    now: int
    parent: str | None = None  # the trigger event's id (the Context parent of what the run does)
    vars: dict[str, Any] = field(default_factory=dict)
    variant: str | None = None
    override_value_gate: bool = False

    @property
    def actor(self) -> str:
        return f"pb:{self.playbook_id}"

    def text(self, source: str) -> str:
        return render(source, self.vars)

    @property
    def user_id(self) -> str:
        if self.viewer is None:
            raise ActionFailed("action.needs_viewer", "这个动作需要一位观众，而触发没有")
        return self.viewer.user_id


class Action(Strict):
    """An action model. `contact`: the budget kind it spends (None: not a personal contact). `templates`:
    its fields that are Jinja2 templates (checked at validation against the run's variables)."""

    contact: ClassVar[str | None] = None
    templates: ClassVar[tuple[str, ...]] = ()

    async def run(self, ctx: RunCtx) -> str:
        raise NotImplementedError

    def children(self) -> list[list[Any]]:
        """Nested action lists (choose, random_split) for validation and the trace."""
        return []

    def child_paths(self) -> list[str]:
        """Where each of `children()` is in the document, relative to this action."""
        return []
