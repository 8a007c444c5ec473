"""The trigger base model."""

from __future__ import annotations

from typing import ClassVar

from siyu.playbooks.model import Strict
from siyu.playbooks.runtime import FireFn, Scope, Unsubscribe


class Trigger(Strict):
    """A trigger model. `variables`: what it adds to the template context of its runs."""

    variables: ClassVar[frozenset[str]] = frozenset()

    def attach(self, scope: Scope, fire: FireFn) -> Unsubscribe:
        raise NotImplementedError

    def horizon_ms(self) -> int:
        """How far after the session start this trigger may first fire (validation bounds waits with it)."""
        return 0
