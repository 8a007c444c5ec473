"""Per-room welcome templates, rendered in a Jinja2 sandbox."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from jinja2 import Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

log = logging.getLogger(__name__)

DEFAULT_TEMPLATE = (
    "{% if returning %}欢迎回来，{{ nickname }}！"
    "这是你第{{ visits }}次来{{ room_title }}，{{ host_name }}一直在等你～"
    "{% else %}欢迎{{ nickname }}来到{{ room_title }}！"
    "我是{{ host_name }}，新朋友点个关注，好物福利不错过～"
    "{% endif %}"
)

_env = SandboxedEnvironment(autoescape=False, trim_blocks=True, lstrip_blocks=True)


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
            return self._template.render(ctx.as_dict()).strip()
        except Exception:  # any failure of an operator's template must not cost the viewer a welcome
            log.exception("welcome template failed; using the default")
            return self._fallback.render(ctx.as_dict()).strip()


def compile_template(source: str) -> Template:
    """Compile and smoke-render a template so errors surface when it is saved, not on entry."""
    if len(source) > 2000:
        raise WelcomeTemplateError("template longer than 2000 characters")
    try:
        template = _env.from_string(source)
        template.render(WelcomeContext("测试", 3, True, 2, "直播间", "主播", "店铺").as_dict())
    except TemplateError as exc:
        raise WelcomeTemplateError(str(exc)) from exc
    except Exception as exc:  # e.g. ZeroDivisionError in an expression: still the template's fault
        raise WelcomeTemplateError(f"{type(exc).__name__}: {exc}") from exc
    return template
