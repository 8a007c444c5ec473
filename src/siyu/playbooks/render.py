"""Message templates: the welcome's Jinja2 sandbox (no loops, calls or attribute escapes; output capped),
with the variables a playbook run has. A template naming a variable its runs cannot have is refused at
validation (`template.unknown_variable`), not rendered empty."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Template, TemplateError, meta, nodes
from jinja2.exceptions import SecurityError

from siyu.rooms.welcome import MAX_OUTPUT, SANDBOX, check_safe

VIEWER_VARS = frozenset(
    {
        "nickname",
        "level",
        "badge",
        "visits",
        "returning",
        "score",
        "stage",
        "stage_zh",
        "fan",
        "orders",
        "last_purchase",
        "poll_vote",
        "dwell_s",
    }
)
ROOM_VARS = frozenset(
    {"room_title", "host_name", "shop_name", "current_product", "online", "likes", "incentive"}
)


class TemplateIssue(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@lru_cache(maxsize=2048)
def compiled(source: str) -> Template:
    try:
        check_safe(source)
        return SANDBOX.from_string(source)
    except SecurityError as exc:
        raise TemplateIssue("template.unsafe", str(exc)) from exc
    except TemplateError as exc:
        raise TemplateIssue("template.invalid", str(exc)) from exc


def check(source: str, allowed: frozenset[str]) -> None:
    """Compile `source` and refuse variables outside `allowed` (TemplateIssue)."""
    if len(source) > 2000:
        raise TemplateIssue("template.invalid", "template longer than 2000 characters")
    compiled(source)
    try:
        tree = SANDBOX.parse(source)
        names = meta.find_undeclared_variables(tree)
    except TemplateError as exc:
        raise TemplateIssue("template.invalid", str(exc)) from exc
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):  # the variables are plain values
        key = getattr(node, "arg", None)
        attr = node.attr if isinstance(node, nodes.Getattr) else getattr(key, "value", None)
        raise TemplateIssue("template.unsafe", f"unsafe template: attribute or item {attr!r} is not allowed")
    unknown = sorted(names - allowed)
    if unknown:
        raise TemplateIssue("template.unknown_variable", f"unknown variable(s): {', '.join(unknown)}")


def render(source: str, values: dict[str, Any]) -> str:
    """Render in the sandbox; a template without `{` is returned as it is."""
    if "{" not in source:
        return source[:MAX_OUTPUT]
    try:
        return compiled(source).render(values).strip()[:MAX_OUTPUT]
    except Exception as exc:  # noqa: BLE001 - an operator's template failing is the run's failure
        from siyu.playbooks.actions.base import ActionFailed

        raise ActionFailed("template.failed", f"{type(exc).__name__}: {exc}") from exc
