"""Per-room welcome templates, rendered in a Jinja2 sandbox that can neither escape nor run long.

A welcome is rendered on the hot path of every entry, from a template a host may write. Jinja2's sandbox
stops attribute escapes but not work: two nested loops, `"x" * 10**9`, `{% set a = a ~ a %}` repeated or
`nickname.ljust(10**9)` each froze or filled the node (issue 9). So a welcome template is conditionals and
output only: no loops, no assignments, no macros or includes, no function or method calls, no `*` `**` `%`
on anything but small numbers, and a short list of filters. Its output is capped at MAX_OUTPUT characters.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from jinja2 import Template, TemplateError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

log = logging.getLogger(__name__)

MAX_OUTPUT = 500
_REFUSED = {
    nodes.For: "loops", nodes.Assign: "assignments ({% set %})", nodes.AssignBlock: "assignments ({% set %})",
    nodes.Macro: "macros", nodes.CallBlock: "call blocks", nodes.FilterBlock: "filter blocks",
    nodes.Call: "function or method calls", nodes.Include: "includes", nodes.Import: "imports",
    nodes.FromImport: "imports", nodes.Extends: "extends", nodes.Block: "blocks", nodes.With: "with blocks",
}  # fmt: skip
_FILTERS = {"default", "d", "upper", "lower", "title", "capitalize", "trim", "truncate", "length", "count",
            "e", "escape", "string", "int", "abs", "round", "first", "last"}  # fmt: skip
_SMALL = 1_000_000


class _WelcomeSandbox(SandboxedEnvironment):
    """`*`, `**` and `%` only on small numbers (no string repetition, no formatting width, no huge powers)."""

    intercepted_binops = frozenset(["*", "**", "%"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        small = all(isinstance(x, int | float) and not isinstance(x, bool) and abs(x) <= _SMALL
                    for x in (left, right))  # fmt: skip
        if not small or (operator == "**" and abs(right) > 8):
            raise SecurityError(f"unsafe template: {operator} is only for small numbers")
        return super().call_binop(context, operator, left, right)

DEFAULT_TEMPLATE = (
    "{% if returning %}欢迎回来，{{ nickname }}！"
    "这是你第{{ visits }}次来{{ room_title }}，{{ host_name }}一直在等你～"
    "{% else %}欢迎{{ nickname }}来到{{ room_title }}！"
    "我是{{ host_name }}，新朋友点个关注，好物福利不错过～"
    "{% endif %}"
)

_env = _WelcomeSandbox(autoescape=False, trim_blocks=True, lstrip_blocks=True)
_env.globals.clear()  # no range, lipsum, cycler, joiner, namespace, dict
_env.filters = {name: f for name, f in _env.filters.items() if name in _FILTERS}


class WelcomeTemplateError(ValueError):
    """The template does not compile or render (`template.invalid`)."""


def level_badge(level: int) -> str | None:
    """Fan-club style badge for a viewer level; None below level 1."""
    if level <= 0:
        return None
    tier = "钻粉" if level >= 15 else "铁粉" if level >= 8 else "粉丝"
    return f"Lv{level} {tier}"


@dataclass(frozen=True, slots=True)
class WelcomeContext:
    nickname: str
    level: int
    returning: bool
    visits: int
    room_title: str
    host_name: str
    shop_name: str

    def as_dict(self) -> dict[str, object]:
        return {
            "nickname": self.nickname,
            "level": self.level,
            "badge": level_badge(self.level),
            "returning": self.returning,
            "visits": self.visits,
            "room_title": self.room_title,
            "host_name": self.host_name,
            "shop_name": self.shop_name,
        }


class WelcomeRenderer:
    """A compiled room template; falls back to the default one if rendering fails at run time."""

    def __init__(self, source: str | None) -> None:
        self.source = source or DEFAULT_TEMPLATE
        self._template = compile_template(self.source)
        self._fallback = compile_template(DEFAULT_TEMPLATE)

    def render(self, ctx: WelcomeContext) -> str:
        try:
            return self._template.render(ctx.as_dict()).strip()[:MAX_OUTPUT]
        except Exception:  # any failure of an operator's template must not cost the viewer a welcome
            log.exception("welcome template failed; using the default")
            return self._fallback.render(ctx.as_dict()).strip()


def check_safe(source: str) -> None:
    """Refuse what a sandboxed template may not use (loops, assignments, calls …): SecurityError."""
    for kind, what in _REFUSED.items():
        if next(_env.parse(source).find_all(kind), None) is not None:
            raise SecurityError(f"unsafe template: {what} are not allowed in a welcome")


SANDBOX = _env
"""The environment of every operator-written template (welcomes, playbook messages)."""


def compile_template(source: str) -> Template:
    """Compile and smoke-render a template so errors surface when it is saved, not on entry."""
    if len(source) > 2000:
        raise WelcomeTemplateError("template longer than 2000 characters")
    try:
        check_safe(source)
        template = _env.from_string(source)
        template.render(WelcomeContext("测试", 3, True, 2, "直播间", "主播", "店铺").as_dict())
    except TemplateError as exc:
        raise WelcomeTemplateError(str(exc)) from exc
    except Exception as exc:  # e.g. ZeroDivisionError in an expression: still the template's fault
        raise WelcomeTemplateError(f"{type(exc).__name__}: {exc}") from exc
    return template
