"""The shipped scenario playbooks (YAML in this package): 带货直播 `ecommerce`, 秀场直播 `show`, 1V1社交直播
`one_on_one`. Each is a complete playbook file (docs/playbooks.md "The shipped templates"); a room created
with `--template NAME` starts from a copy of one."""

from __future__ import annotations

from importlib import resources

from siyu.playbooks.model import PlaybookFile, parse_file

TEMPLATES = ("ecommerce", "show", "one_on_one")


def template_text(name: str) -> str:
    """The YAML text of shipped template `name` (ValueError for a name not in TEMPLATES)."""
    if name not in TEMPLATES:
        raise ValueError(f"unknown template {name!r}: one of {', '.join(TEMPLATES)}")
    return resources.files(__name__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def load_template(name: str) -> PlaybookFile:
    """Shipped template `name`, parsed and validated (a PlaybookIssue names `templates/NAME.yaml`)."""
    return parse_file(template_text(name), f"templates/{name}.yaml")


__all__ = ["TEMPLATES", "load_template", "template_text"]
