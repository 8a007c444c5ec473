"""Validation of playbook documents: types, fields, the semantic codes, error paths, templates, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import siyu
import siyu.playbooks.registry  # noqa: F401 - fills the trigger / condition / action tables
from siyu.playbooks.model import ACTIONS, CONDITIONS, TRIGGERS, PlaybookIssue, parse_file
from tests.playbooks import streamkit  # noqa: F401 - the wings' frame models validate interaction actions


def one(
    actions: str = "[{type: broadcast, text: hi}]",
    trigger: str = "{type: comment, keywords: [go]}",
    more: str = "",
    head: str = "",
) -> str:
    return f"{head}playbooks:\n  - id: a\n    trigger: {trigger}\n    actions: {actions}\n{more}"


def issues(text: str) -> list[dict[str, str]]:
    with pytest.raises(PlaybookIssue) as info:
        parse_file(text, "room.yaml")
    assert str(info.value).startswith("room.yaml: ")
    return info.value.errors


def found(text: str) -> set[tuple[str, str]]:
    """(path, code) of each problem."""
    return {(e["path"], e["type"]) for e in issues(text)}


def test_a_valid_document() -> None:
    doc = parse_file(one(more="    conditions: [{type: viewer, new: true}]\n", head="planned_minutes: 60\n"))
    assert doc.planned_minutes == 60 and doc.playbooks[0].trigger[0].type == "comment"


# --- types and fields --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path", "tag"),
    [
        (one(trigger="{type: teleport}"), "playbooks[0].trigger", "teleport"),
        (one(actions="[{type: broadcast, text: hi}, {type: explode}]"), "playbooks[0].actions[1]", "explode"),
        (one(more="    conditions: [{type: weather}]\n"), "playbooks[0].conditions[0]", "weather"),
    ],
)
def test_unknown_types(text: str, path: str, tag: str) -> None:
    (err,) = issues(text)
    assert (err["path"], err["type"]) == (path, "union_tag_invalid")
    assert f"'{tag}'" in err["message"] and "expected tags" in err["message"]


def test_the_tables_name_every_type() -> None:
    assert {"viewer_enter", "dwell", "silence", "schedule", "many_asked", "like_count"} <= set(TRIGGERS)
    assert {"viewer", "room", "time", "experiment", "budget", "and", "or", "not"} == set(CONDITIONS)
    assert {"send_private", "invite_private_domain", "wait", "choose", "random_split"} <= set(ACTIONS)


@pytest.mark.parametrize(
    ("text", "end", "code"),
    [
        (one(trigger="{type: dwell, seconds: long}"), "seconds", "int_parsing"),
        (one(actions="[{type: wait, seconds: soon}]"), "seconds", "float_parsing"),
        (one(actions="[{type: broadcast, text: [a, b]}]"), "text", "string_type"),
        (one(trigger="{type: comment, keywords: 扣1}"), "keywords", "list_type"),
        (one(more="    mode: sometimes\n"), "mode", "literal_error"),
        (one(head="planned_minutes: 2\n"), "planned_minutes", "greater_than_equal"),
    ],
)
def test_wrong_field_types(text: str, end: str, code: str) -> None:
    (err,) = issues(text)
    assert err["path"].endswith(end) and err["type"] == code, err


@pytest.mark.parametrize(
    ("text", "end"),
    [
        (one(more="    colour: red\n"), "playbooks[0].colour"),
        (one(actions="[{type: broadcast, text: hi, loud: true}]"), "loud"),
        (one(trigger="{type: follow, twice: true}"), "twice"),
        (one(more="    conditions: [{type: viewer, lvl: 3}]\n"), "lvl"),
        ("playbook: []\n", "playbook"),
    ],
)
def test_extra_fields(text: str, end: str) -> None:
    (err,) = issues(text)
    assert err["path"].endswith(end) and err["type"] == "extra_forbidden", err


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (
            one(actions="[{type: broadcast, text: hi}, {type: broadcast, text: [x]}]"),
            "playbooks[0].actions[1].text",
        ),
        (one(trigger="[{type: follow}, {type: dwell, seconds: x}]"), "playbooks[0].trigger[1].seconds"),
        (
            one(more="    conditions: [{type: room}, {type: viewer, new: 3}]\n"),
            "playbooks[0].conditions[1].new",
        ),
        (
            one(
                actions="[{type: choose, choices: [{conditions: [{type: viewer, new: true}], "
                "actions: [{type: wait, seconds: 1}, {type: broadcast, text: [x]}]}]}]"
            ),
            "playbooks[0].actions[0].choices[0].actions[1].text",
        ),
    ],
)
def test_error_paths_name_the_list_index(text: str, path: str) -> None:
    assert [e["path"] for e in issues(text)] == [path]


# --- semantics.py codes -------------------------------------------------------------------------------


def test_duplicate_playbook_id() -> None:
    text = one() + "  - id: a\n    trigger: {type: follow}\n    actions: [{type: broadcast, text: hi}]\n"
    assert found(text) == {("playbooks[1].id", "playbook.duplicate_id")}


def test_personal_action_needs_a_viewer_trigger() -> None:
    text = one(
        trigger="{type: schedule, every_s: 60}",
        actions="[{type: broadcast, text: hi}, {type: send_private, text: hi}, {type: tag_viewer, tag: x}]",
    )
    assert found(text) == {
        ("playbooks[0].actions[1]", "action.needs_viewer"),
        ("playbooks[0].actions[2]", "action.needs_viewer"),
    }
    mixed = one(
        trigger="[{type: follow}, {type: product_changed}]", actions="[{type: send_private, text: hi}]"
    )
    assert found(mixed) == {("playbooks[0].actions[0]", "action.needs_viewer")}


def test_wait_longer_than_the_session() -> None:
    text = one(
        head="planned_minutes: 10\n",
        trigger="{type: dwell, seconds: 300}",
        actions="[{type: wait, seconds: 200}, {type: broadcast, text: hi}, {type: wait, seconds: 200}]",
    )
    assert found(text) == {("playbooks[0].actions[2]", "wait.too_long")}
    assert parse_file(text.replace("seconds: 300", "seconds: 100"))


def test_invite_before_value() -> None:
    invite = "[{type: invite_private_domain, channel: wecom_contact, text: 加我}]"
    text = one(trigger="{type: viewer_enter}", actions=invite)
    assert found(text) == {("playbooks[0].actions", "invite.before_value")}
    assert parse_file(text + "    conditions: [{type: viewer, value_felt: true}]\n")
    assert parse_file(text.replace("text: 加我", "text: 加我, override_value_gate: true"))
    assert parse_file(one(trigger="{type: dwell, seconds: 30}", actions=invite))  # the budget decides


def test_a_negated_value_condition_is_no_value_gate() -> None:
    text = one(
        trigger="{type: viewer_enter}",
        actions="[{type: invite_private_domain, channel: wecom_contact, text: 加我}]",
        more="    conditions: [{type: not, conditions: [{type: viewer, value_felt: true}]}]\n",
    )
    assert ("playbooks[0].actions", "invite.before_value") in found(text)


def test_two_invites_closer_than_the_gap() -> None:
    def invites(wait: int) -> str:
        invite = "{type: invite_private_domain, channel: community_group, text: 进群}"
        return one(
            trigger="{type: dwell, seconds: 30}",
            actions=f"[{invite}, {{type: wait, seconds: {wait}}}, {invite}]",
        )

    assert found(invites(60)) == {("playbooks[0].actions", "invite.budget")}
    assert parse_file(invites(600))


def test_answer_group_needs_many_asked() -> None:
    text = one(actions="[{type: ask_assistant, kind: answer_group}]")
    assert found(text) == {("playbooks[0].actions[0]", "assistant.needs_group")}
    assert parse_file(
        one(trigger="{type: many_asked}", actions="[{type: ask_assistant, kind: answer_group}]")
    )


def test_duplicate_variant() -> None:
    text = one(more="    experiment: {id: e, variants: [{name: x}, {name: x}]}\n")
    assert found(text) == {("playbooks[0].experiment.variants", "experiment.duplicate_variant")}


def test_variant_actions_are_checked_too() -> None:
    text = one(
        more="    experiment: {id: e, variants: "
        "[{name: x, actions: [{type: broadcast, text: '{{ nope }}'}]}]}\n"
    )
    assert found(text) == {
        ("playbooks[0].experiment.variants[0].actions[0].text", "template.unknown_variable")
    }


def test_semantic_paths_inside_choose_name_the_document() -> None:
    text = one(
        actions="[{type: choose, choices: [{conditions: [{type: viewer, new: true}], "
        "actions: [{type: broadcast, text: '{{ nope }}'}]}]}]"
    )
    assert found(text) == {
        ("playbooks[0].actions[0].choices[0].actions[0].text", "template.unknown_variable")
    }


# --- templates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "code"),
    [
        ("{% for x in [1, 2] %}{{ x }}{% endfor %}", "template.unsafe"),
        ("{{ nickname.upper() }}", "template.unsafe"),
        ("{% set a = 1 %}{{ a }}", "template.unsafe"),
        ("{{ nope }}", "template.unknown_variable"),
        ("{{ nickname ", "template.invalid"),
    ],
)
def test_template_refused(template: str, code: str) -> None:
    text = one(
        actions=f"[{{type: broadcast, text: hi}}, {{type: send_private, text: {json.dumps(template)}}}]"
    )
    assert found(text) == {("playbooks[0].actions[1].text", code)}


def test_template_attribute_escape_refused_at_validation() -> None:
    text = one(actions='[{type: send_private, text: "{{ nickname.__class__ }}"}]')
    assert found(text) == {("playbooks[0].actions[0].text", "template.unsafe")}


def test_trigger_variables_only_with_their_trigger() -> None:
    assert parse_file(one(actions='[{type: send_private, text: "{{ comment }}"}]'))
    assert found(one(trigger="{type: follow}", actions='[{type: send_private, text: "{{ comment }}"}]')) == {
        ("playbooks[0].actions[0].text", "template.unknown_variable")
    }
    assert parse_file(one(trigger="{type: gift}", actions='[{type: send_private, text: "{{ coins }}"}]'))
    # two triggers: only what both give
    both = one(
        trigger="[{type: gift}, {type: follow}]", actions='[{type: send_private, text: "{{ coins }}"}]'
    )
    assert found(both) == {("playbooks[0].actions[0].text", "template.unknown_variable")}
    # a room run has no viewer
    room = one(
        trigger="{type: schedule, after_start_s: 5}", actions='[{type: broadcast, text: "{{ nickname }}"}]'
    )
    assert found(room) == {("playbooks[0].actions[0].text", "template.unknown_variable")}
    assert parse_file(one(trigger="{type: many_asked}", actions='[{type: broadcast, text: "{{ answer }}"}]'))


@pytest.mark.parametrize("name", ["product_id", "key"])
def test_trigger_only_names_refused_elsewhere(name: str) -> None:
    text = one(actions=f'[{{type: send_private, text: "{{{{ {name} }}}}"}}]')
    assert found(text) == {("playbooks[0].actions[0].text", "template.unknown_variable")}


def test_welcome_template_checked() -> None:
    assert found('welcome: "{{ nickname "\nplaybooks: []\n') == {("welcome", "template.invalid")}


# --- bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (one(actions="[{type: wait, seconds: .nan}]"), "seconds"),
        (one(actions="[{type: wait, seconds: .inf}]"), "seconds"),
        (one(more="    cooldown_s: .nan\n"), "cooldown_s"),
        (one(trigger="{type: order_placed, min_total_yuan: .nan}"), "min_total_yuan"),
        (one(more="    experiment: {id: e, variants: [{name: x, weight: .nan}]}\n"), "weight"),
        (one(more=f"    max: {10**30}\n"), "max"),
        (one(actions=f"[{{type: add_points, points: {10**30}}}]"), "points"),
        (one(trigger=f"{{type: gift, min_coins: {-(10**30)}}}"), "min_coins"),
        (f"planned_minutes: {10**30}\nplaybooks: []\n", "planned_minutes"),
        (one(actions='[{type: broadcast, text: "a\\ud800b"}]'), "text"),
        (one(actions='[{type: start_poll, question: q, options: ["\\udfff", b]}]'), "options[0]"),
        ('title: "' + "长" * 300_000 + '"\nplaybooks: []\n', "(document)"),  # playbook.too_large
        ("playbooks: [\n", "line 2, column 1"),
        ("- just\n- a list\n", "(document)"),
    ],
)
def test_odd_input_refused_clearly(text: str, path: str) -> None:
    errors = issues(text)
    assert errors and errors[0]["path"].endswith(path), errors
    assert all(e["message"] for e in errors)


@pytest.mark.parametrize(
    "text",
    [
        one(trigger='{type: comment, keywords: ["\\ud800"]}'),
        one(more='    conditions: [{type: viewer, tags_any: ["\\ud800"]}]\n'),
        one(more='    conditions: [{type: experiment, id: e, variants: ["\\udc00"]}]\n'),
    ],
)
def test_lone_surrogates_in_lists_refused(text: str) -> None:
    assert issues(text)


def _big_document() -> str:
    pb = (
        '  - id: p{i}\n    description: "' + "很" * 480 + '"\n    trigger: {{type: follow}}\n'
        "    actions: [{{type: broadcast, text: hi}}]\n"
    )
    text = "playbooks:\n" + "".join(pb.format(i=i) for i in range(200))
    assert len(text.encode()) > 300_000
    return text


def test_a_300_kb_document_refused() -> None:
    assert issues(_big_document())


CHILD = """
import sys
from siyu.playbooks.model import PlaybookIssue, parse_file
try:
    parse_file(sys.stdin.read(), "cycle.yaml")
except PlaybookIssue as exc:
    print(exc.errors[0]["path"], exc.errors[0]["type"])
    sys.exit(3)
print("accepted")
"""


def _in_child(text: str) -> subprocess.CompletedProcess[str]:
    """parse_file in a fresh interpreter, with a timeout (a recursion must not hang the suite)."""
    env = {**os.environ, "PYTHONPATH": str(Path(siyu.__file__).parents[1])}
    return subprocess.run(
        [sys.executable, "-c", CHILD], input=text, text=True, capture_output=True, timeout=120, env=env
    )


def test_child_reports_an_issue() -> None:
    done = _in_child(one(trigger="{type: teleport}"))
    assert (done.returncode, done.stdout.split()) == (3, ["playbooks[0].trigger", "union_tag_invalid"])


@pytest.mark.parametrize(
    "text",
    [
        "playbooks: [{id: a, trigger: {type: follow}, actions: &a [{type: choose, choices: "
        "[{conditions: [{type: viewer, new: true}], actions: *a}]}]}]\n",
        "playbooks: [{id: a, trigger: {type: follow}, actions: [{type: broadcast, text: hi}], "
        "conditions: &c [{type: not, conditions: *c}]}]\n",
        "playbooks: " + "[" * 5000 + "]" * 5000 + "\n",
    ],
    ids=["choose-cycle", "not-cycle", "deep-nesting"],
)
def test_recursive_documents_refused(text: str) -> None:
    done = _in_child(text)
    assert "Traceback" not in done.stderr, done.stderr[-400:]
    assert done.returncode == 3
