"""Welcome templates: default wording, badges, custom templates, the sandbox and the run-time fallback."""

from __future__ import annotations

import logging
from typing import Any

import jinja2
import pytest
from jinja2.exceptions import SecurityError

from siyu.rooms.welcome import (
    DEFAULT_TEMPLATE,
    WelcomeContext,
    WelcomeRenderer,
    WelcomeTemplateError,
    compile_template,
    level_badge,
)


def ctx(**changes: Any) -> WelcomeContext:
    base: dict[str, Any] = {
        "nickname": "小明",
        "level": 0,
        "returning": False,
        "visits": 1,
        "room_title": "秋冬上新专场",
        "host_name": "晚晚",
        "shop_name": "晚晚的小店",
    }
    base.update(changes)
    return WelcomeContext(**base)


# --- default template --------------------------------------------------------------------------


def test_default_first_visit() -> None:
    text = WelcomeRenderer(None).render(ctx())
    assert text.startswith("欢迎小明")
    assert "秋冬上新专场" in text
    assert "晚晚" in text
    assert "欢迎回来" not in text
    assert text == text.strip()


def test_default_returning() -> None:
    text = WelcomeRenderer(None).render(ctx(returning=True, visits=5))
    assert text.startswith("欢迎回来，小明")
    assert "第5次" in text
    assert "秋冬上新专场" in text
    assert "新朋友" not in text


@pytest.mark.parametrize("source", [None, ""])
def test_empty_source_means_default(source: str | None) -> None:
    renderer = WelcomeRenderer(source)
    assert renderer.source == DEFAULT_TEMPLATE
    assert renderer.render(ctx()) == WelcomeRenderer(DEFAULT_TEMPLATE).render(ctx())


def test_nickname_is_data_not_template() -> None:
    text = WelcomeRenderer(None).render(ctx(nickname="{{ 7*7 }}<b>"))
    assert "{{ 7*7 }}<b>" in text  # not evaluated, not escaped (plain-text banner)
    assert "49" not in text


# --- badges ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "badge"),
    [
        (-1, None),
        (0, None),
        (1, "Lv1 粉丝"),
        (3, "Lv3 粉丝"),
        (7, "Lv7 粉丝"),
        (8, "Lv8 铁粉"),
        (14, "Lv14 铁粉"),
        (15, "Lv15 钻粉"),
        (50, "Lv50 钻粉"),
    ],
)
def test_level_badge(level: int, badge: str | None) -> None:
    assert level_badge(level) == badge


def test_context_dict_carries_badge() -> None:
    data = ctx(level=8).as_dict()
    assert data["badge"] == "Lv8 铁粉"
    assert set(data) == {
        "nickname",
        "level",
        "badge",
        "returning",
        "visits",
        "room_title",
        "host_name",
        "shop_name",
    }


# --- custom templates --------------------------------------------------------------------------


def test_custom_template_with_badge() -> None:
    renderer = WelcomeRenderer("{% if badge %}[{{ badge }}] {% endif %}{{ nickname }}来{{ shop_name }}啦")
    assert renderer.render(ctx(level=15)) == "[Lv15 钻粉] 小明来晚晚的小店啦"
    assert renderer.render(ctx(level=0)) == "小明来晚晚的小店啦"


def test_custom_template_output_is_stripped() -> None:
    assert WelcomeRenderer("  \n {{ nickname }} \n").render(ctx()) == "小明"


def test_unknown_variable_renders_empty() -> None:
    assert WelcomeRenderer("hi {{ coupon }}!").render(ctx()) == "hi !"


@pytest.mark.parametrize(
    "source",
    ["{% if returning %}欢迎", "{{ nickname ", "{% for x in %}{% endfor %}", "{{ nickname | nosuchfilter }}"],
)
def test_syntax_error(source: str) -> None:
    with pytest.raises(WelcomeTemplateError):
        compile_template(source)
    with pytest.raises(WelcomeTemplateError):
        WelcomeRenderer(source)


def test_error_is_a_value_error() -> None:
    assert issubclass(WelcomeTemplateError, ValueError)


def test_undefined_attribute_refused_at_compile() -> None:
    with pytest.raises(WelcomeTemplateError, match="undefined"):
        compile_template("{{ coupon.amount }}")


def test_length_limit() -> None:
    ok = "x" * 2000
    assert WelcomeRenderer(ok).render(ctx()) == ok[:500]  # a welcome is at most 500 characters
    with pytest.raises(WelcomeTemplateError, match="2000"):
        compile_template("x" * 2001)
    with pytest.raises(WelcomeTemplateError):
        WelcomeRenderer("{{ nickname }}" + " " * 2000)


# --- sandbox -----------------------------------------------------------------------------------


def test_security_error_is_a_template_error() -> None:
    assert issubclass(SecurityError, jinja2.TemplateError)


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ nickname.__class__.__init__.__globals__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os }}",
    ],
)
def test_sandbox_escape_refused_at_compile(source: str) -> None:
    with pytest.raises(WelcomeTemplateError) as info:
        WelcomeRenderer(source)
    message = str(info.value)
    assert "unsafe" in message or "undefined" in message or "no attribute" in message
    assert "<class" not in message
    assert "builtins" not in message
    assert isinstance(info.value.__cause__, jinja2.TemplateError)


@pytest.mark.parametrize(
    "source",
    [
        "{{ nickname.__class__ }}",
        "{{ ''.__class__ }}",
        "{{ nickname.format.__globals__ }}",
    ],
)
def test_sandbox_dunder_renders_nothing(source: str) -> None:
    """Single unsafe attribute lookups compile but evaluate to an empty undefined: nothing leaks."""
    text = WelcomeRenderer(source + "|{{ nickname }}").render(ctx())
    assert text == "|小明"


# --- run-time fallback -------------------------------------------------------------------------


def test_runtime_template_error_falls_back_to_default(caplog: pytest.LogCaptureFixture) -> None:
    # The smoke render uses returning=True, so the broken else-branch only fails for first visits.
    renderer = WelcomeRenderer(
        "{% if returning %}回来啦{{ nickname }}{% else %}{{ coupon.amount }}{% endif %}"
    )
    assert renderer.render(ctx(returning=True, visits=3)) == "回来啦小明"
    with caplog.at_level(logging.ERROR, logger="siyu.rooms.welcome"):
        text = renderer.render(ctx(returning=False))
    assert text == WelcomeRenderer(None).render(ctx(returning=False))
    assert any("using the default" in r.getMessage() for r in caplog.records)


def test_runtime_sandbox_violation_falls_back_to_default(caplog: pytest.LogCaptureFixture) -> None:
    renderer = WelcomeRenderer("{% if visits == 1 %}{{ ''.__class__.__mro__ }}{% endif %}你好{{ nickname }}")
    assert renderer.render(ctx(visits=3)) == "你好小明"
    with caplog.at_level(logging.ERROR, logger="siyu.rooms.welcome"):
        text = renderer.render(ctx(visits=1))
    assert text.startswith("欢迎小明")
    assert "object" not in text
    assert any(isinstance(r.exc_info[1], SecurityError) for r in caplog.records if r.exc_info)


@pytest.mark.parametrize(
    "source",
    ["{{ 1 // (visits - 2) }}", "{{ range(10 ** 9) | list | length }}"],
    ids=["zero-division", "sandbox-range-overflow"],
)
def test_non_template_errors_at_compile_become_welcome_errors(source: str) -> None:
    with pytest.raises(WelcomeTemplateError):
        compile_template(source)


@pytest.mark.parametrize(
    "source",
    ["{{ 1 // (visits - 1) }}", "{% if visits == 1 %}{{ visits * 10000000 }}{% endif %}"],
    ids=["zero-division", "sandbox-big-number"],
)
def test_non_template_runtime_error_falls_back_to_default(source: str) -> None:
    renderer = WelcomeRenderer(source)  # compiles: the smoke render uses visits == 2
    assert renderer.render(ctx(visits=1)) == WelcomeRenderer(None).render(ctx(visits=1))


@pytest.mark.parametrize(
    "source",
    [
        "{% for a in '" + "x" * 900 + "' %}{% for b in '" + "x" * 900 + "' %}{% endfor %}{% endfor %}",
        "{{ 'x' * 1000000000 }}",
        "{{ nickname * 100000 }}",
        "{{ 10 ** 100000 }}",
        "{{ '%0999999999d' % 1 }}",
        "{% set a = nickname ~ nickname %}{% set a = a ~ a %}{{ a }}",
        "{{ nickname.ljust(1000000000) }}",
        "{{ nickname | center(1000000000) }}",
        "{{ nickname | replace('小', '小小小小小小小小') | replace('小', '小小小小小小小小') }}",
        "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
        "{{ range(10) | list }}",
    ],
    ids=["nested-loops", "repeat", "repeat-var", "power", "format-width", "set-doubling", "ljust", "center",
         "replace-chain", "macro", "range"],
)  # fmt: skip
def test_templates_that_could_freeze_or_fill_the_node_are_refused_when_saved(source: str) -> None:
    """A welcome renders on every entry: only conditionals and output, nothing that can run long (issue 9)."""
    with pytest.raises(WelcomeTemplateError) as info:
        compile_template(source)
    assert "unsafe" in str(info.value) or "no filter named" in str(info.value).lower()


def test_a_welcome_is_capped_and_still_does_arithmetic_on_small_numbers() -> None:
    text = WelcomeRenderer("{{ nickname }}" * 40 + "{{ visits * 10 }}").render(ctx(nickname="阿" * 32))
    assert len(text) == 500
    assert WelcomeRenderer("第{{ visits * 10 }}位").render(ctx(visits=3)) == "第30位"
