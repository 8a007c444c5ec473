"""``siyu playbook validate | schema | dry-run``: a good file and each kind of bad one (with the path and code
printed), the JSON Schema, and a dry run of a hand-written recorded session (events made with the real
payload classes and `event_to_json`) printed in order and as JSON; the error exits (1 / 2, no traceback).

The tests after the cycle case were bugs of the playbook engine found here (fixed since)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner, Result

import siyu.app  # noqa: F401 - every wing's event payload types
from siyu.cli import app
from siyu.events import (
    CommentPosted,
    Event,
    GiftSent,
    HostReplied,
    SessionStarted,
    ViewerEntered,
    ViewerLeft,
    event_to_json,
)
from siyu.playbooks import registry  # noqa: F401 - registers every trigger, condition and action
from siyu.playbooks.model import ACTIONS, TRIGGERS, PlaybookIssue, parse_file

runner = CliRunner()
T0 = 1_750_000_000_000  # the session's start (ms)

GOOD = """\
version: 1
planned_minutes: 60
playbooks:
  - id: welcome
    trigger: {type: viewer_enter, visit: first}
    actions:
      - {type: send_private, text: "欢迎{{ nickname }}来到{{ room_title }}"}
  - id: opening
    trigger: {type: schedule, after_start_s: 5}
    actions: [{type: broadcast, text: 开播啦，今天全场包邮}]
  - id: ask_size
    trigger: {type: comment, keywords: [尺码]}
    conditions: [{type: viewer, level_min: 5}]
    actions: [{type: send_private, text: 尺码表在商品详情里}]
  - id: wechat_invite
    trigger: {type: comment, keywords: [微信]}
    actions: [{type: invite_private_domain, channel: wecom_contact, text: 扫码加助理}]
  - id: dwell_hello
    trigger: {type: dwell, seconds: 30}
    actions: [{type: send_private, text: "{{ nickname }}，看中哪件可以问我"}]
  - id: thanks_gift
    trigger: {type: gift, min_coins: 10}
    conditions: [{type: viewer, level_min: 2}]
    actions:
      - {type: broadcast, text: "谢谢{{ nickname }}送的礼物"}
      - {type: show_card, product_id: P01}
"""


def one(trigger: str, actions: str, more: str = "", head: str = "") -> str:
    """A file of one playbook `a`: its trigger, actions and more keys, as flow YAML."""
    return f"{head}playbooks:\n  - id: a\n{more}    trigger: {trigger}\n    actions: {actions}\n"


HI = "[{type: broadcast, text: hi}]"
INVITE = "[{type: invite_private_domain, channel: wecom_contact, text: 加我}]"
ENTER = "{type: viewer_enter}"
BAD: dict[str, tuple[str, str, str]] = {  # name -> (document, path printed, code)
    "unknown trigger type": (one("{type: teleport}", HI), "playbooks[0].trigger", "union_tag_invalid"),
    "wrong field type": (one(ENTER, HI, more="    max: many\n"), "playbooks[0].max", "int_parsing"),
    "wrong top-level type": ("planned_minutes: lots\nplaybooks: []\n", "planned_minutes", "int_parsing"),
    "unknown template variable": (
        one(ENTER, "[{type: send_private, text: '你好 {{ foo }}'}]"),
        "playbooks[0].actions[0].text", "template.unknown_variable",
    ),
    "personal action on a room trigger": (
        one("{type: schedule, after_start_s: 60}", "[{type: send_private, text: hi}]"),
        "playbooks[0].actions[0]", "action.needs_viewer",
    ),
    "wait past the planned session": (
        one(ENTER, "[{type: wait, seconds: 3600}]", head="planned_minutes: 30\n"),
        "playbooks[0].actions[0]", "wait.too_long",
    ),
    "invite on entry before value": (one(ENTER, INVITE), "playbooks[0].actions", "invite.before_value"),
    "not a mapping": ("- a\n- b\n", "(document)", "type"),
    "an alias cycle": ("a: &x [*x]\n", "a[0]", "playbook.cycle"),
    "not YAML": ("playbooks: [\n", "line 2, column 1", "yaml"),
}  # fmt: skip

# A cycle through `choose` (a YAML alias to its own parent): refused with its path before validation.
CHOOSE = "{type: choose, choices: [{conditions: [{type: viewer, new: true}], actions: *x}]}"
CHOOSE_CYCLE = one(ENTER, f"&x [{CHOOSE}]")


def invoke(*args: str) -> Result:
    return runner.invoke(app, ["playbook", *args])


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("✗ ")]


# --- validate ----------------------------------------------------------------------------------------


def test_validate_a_good_file_prints_its_playbooks(tmp_path: Path) -> None:
    good = write(tmp_path, "good.yaml", GOOD)
    result = invoke("validate", str(good))
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"✓ {good}: 6 个剧本（welcome, opening, ask_size,")


@pytest.mark.parametrize("case", list(BAD))
def test_validate_prints_each_error_with_its_path_and_code(tmp_path: Path, case: str) -> None:
    text, path, code = BAD[case]
    bad = write(tmp_path, "bad.yaml", text)
    result = invoke("validate", str(bad))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = error_lines(result.output)
    assert any(line.startswith(f"✗ {bad}: {path}: ") and line.endswith(f" [{code}]") for line in lines), lines


def test_validate_names_every_file_and_exits_with_the_worst(tmp_path: Path) -> None:
    good = write(tmp_path, "good.yaml", GOOD)
    bad = write(tmp_path, "bad.yaml", BAD["unknown template variable"][0])
    missing = tmp_path / "missing.yaml"

    result = invoke("validate", str(good), str(bad))
    assert result.exit_code == 1
    assert f"✓ {good}: 6 个剧本" in result.output
    assert error_lines(result.output) == [
        f"✗ {bad}: playbooks[0].actions[0].text: unknown variable(s): foo [template.unknown_variable]"
    ]

    result = invoke("validate", str(good), str(bad), str(missing))
    assert result.exit_code == 2
    assert error_lines(result.output)[-1].startswith(f"✗ {missing}: (file): 无法读取")
    assert error_lines(result.output)[-1].endswith("[file.unreadable]")

    assert invoke("validate", str(tmp_path)).exit_code == 2  # a directory is not a readable file


def test_validate_json_report(tmp_path: Path) -> None:
    good = write(tmp_path, "good.yaml", GOOD)
    bad = write(tmp_path, "bad.yaml", BAD["personal action on a room trigger"][0])
    result = invoke("validate", "--json", str(good), str(bad))
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    first, second = report["files"]
    assert first["file"] == str(good) and first["ok"] is True and first["errors"] == []
    assert first["playbooks"] == [at_pb[1] for at_pb in EXPECTED_RUNS]  # (the file's order is the runs')
    assert second["ok"] is False and second["playbooks"] is None
    errors = [(e["path"], e["type"]) for e in second["errors"]]
    assert errors == [("playbooks[0].actions[0]", "action.needs_viewer")]


def test_validate_refuses_a_cycle_through_choose_without_a_traceback(tmp_path: Path) -> None:
    bad = write(tmp_path, "cycle.yaml", CHOOSE_CYCLE)
    result = invoke("validate", str(bad))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert error_lines(result.output) == [
        f"✗ {bad}: playbooks[0].actions[0].choices[0].actions: "
        "a YAML alias refers to its own parent (a cycle, e.g. through choose) [playbook.cycle]"
    ]


def test_the_loader_refuses_a_cycle_through_choose() -> None:
    with pytest.raises(PlaybookIssue):
        parse_file(CHOOSE_CYCLE, "cycle.yaml")


def test_an_error_in_an_action_names_the_actions_index() -> None:
    text = one(ENTER, "[{type: broadcast, text: a}, {type: wait, seconds: x}]")
    with pytest.raises(PlaybookIssue) as caught:
        parse_file(text, "f.yaml")
    assert [e["path"] for e in caught.value.errors] == ["playbooks[0].actions[1].seconds"]


def test_an_invite_on_entry_gated_on_no_value_is_refused() -> None:
    text = one(ENTER, INVITE, more="    conditions: [{type: viewer, value_felt: false}]\n")
    with pytest.raises(PlaybookIssue) as caught:
        parse_file(text, "f.yaml")
    assert [e["type"] for e in caught.value.errors] == ["invite.before_value"]


def test_an_invite_on_entry_inside_a_branch_is_refused() -> None:
    new = "[{type: viewer, new: true}]"
    branch = f"[{{type: choose, choices: [{{conditions: {new}, actions: {INVITE}}}]}}]"
    with pytest.raises(PlaybookIssue) as caught:
        parse_file(one(ENTER, branch), "f.yaml")
    assert [e["type"] for e in caught.value.errors] == ["invite.before_value"]


# --- schema ------------------------------------------------------------------------------------------


def _consts(node: Any) -> set[str]:
    """Every `type` value the schema names (each model's `type` property: const or a one-value enum)."""
    found: set[str] = set()
    if isinstance(node, dict):
        kind = node.get("properties", {}).get("type") if isinstance(node.get("properties"), dict) else None
        if isinstance(kind, dict):
            found |= {kind["const"]} if "const" in kind else set(kind.get("enum", []))
        for value in node.values():
            found |= _consts(value)
    elif isinstance(node, list):
        for value in node:
            found |= _consts(value)
    return found


def test_schema_is_json_with_every_trigger_and_action_type(tmp_path: Path) -> None:
    result = invoke("schema")
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert schema["title"] == "siyu playbook file" and "$defs" in schema
    named = _consts(schema)
    assert set(TRIGGERS) and set(TRIGGERS) <= named
    assert set(ACTIONS) <= named
    assert "\\u" not in result.stdout  # ensure_ascii=False

    out = tmp_path / "playbook.schema.json"
    written = invoke("schema", "--out", str(out))
    assert written.exit_code == 0, written.output
    assert json.loads(out.read_text(encoding="utf-8")) == schema


# --- dry-run -----------------------------------------------------------------------------------------


def event(at_s: float, user: str | None, payload: Any, seq: int | None = None) -> Event[Any]:
    ts = T0 + int(at_s * 1000)
    return Event(room_id="demo", user_id=user, payload=payload, session_id="s1", ts=ts, seq=seq)


def session_jsonl(tmp_path: Path, events: list[Event[Any]]) -> Path:
    path = tmp_path / "session.jsonl"
    path.write_bytes(b"".join(orjson.dumps(event_to_json(e)) + b"\n" for e in events))
    return path


RECORDED = [
    event(0, None, SessionStarted("测试场")),
    event(2, "u1", ViewerEntered("小鹿", 3, "viewer", False)),
    event(8, "u1", CommentPosted("有什么尺码", "c1", True, "小鹿", 3), seq=1),
    event(20, "u1", CommentPosted("怎么加微信", "c2", True, "小鹿", 3), seq=2),
    event(65, "u1", GiftSent("rose", 1, 20, "小鹿", 3)),
    event(72, "u1", ViewerLeft(70_000, 1000)),
]
EXPECTED_RUNS = [  # (offset, playbook, status)
    ("00:02", "welcome", "ok"),
    ("00:05", "opening", "ok"),
    ("00:08", "ask_size", "conditions_failed"),
    ("00:20", "wechat_invite", "refused"),
    ("00:32", "dwell_hello", "ok"),
    ("01:05", "thanks_gift", "ok"),
]
STATUS_ZH = {"ok": "完成", "conditions_failed": "条件不满足", "failed": "失败", "refused": "被拦下"}


def test_dry_run_prints_each_run_in_order_with_its_trigger_conditions_and_actions(tmp_path: Path) -> None:
    playbook = write(tmp_path, "good.yaml", GOOD)
    events = session_jsonl(tmp_path, RECORDED)
    result = invoke("dry-run", str(playbook), "--events", str(events))
    assert result.exit_code == 0, result.output
    out = result.stdout
    heads = re.findall(r"^(\d\d:\d\d) (\S+)(?: → \S+)? · (\S+)$", out, re.M)
    assert heads == [(at, pb, STATUS_ZH[status]) for at, pb, status in EXPECTED_RUNS]
    expected_in_order = [
        "00:02 welcome → u1（小鹿） · 完成",
        "    触发 viewer_enter：新朋友进入直播间（事件 viewer.entered）",
        "    动作 ✓ send_private ok：欢迎小鹿来到直播间",
        "00:05 opening · 完成",
        "    触发 schedule：开播 5 秒",
        "    动作 ✓ broadcast ok：开播啦，今天全场包邮",
        "00:08 ask_size → u1（小鹿） · 条件不满足",
        "    触发 comment：评论命中（事件 comment.posted）",
        "    条件 ✗ viewer：等级 3 ≥ 5",
        "00:20 wechat_invite → u1（小鹿） · 被拦下",
        "    动作 ⊘ invite_private_domain refused [budget.before_value]：观众还没感受到价值，先不邀约",
        "00:32 dwell_hello → u1（小鹿） · 完成",
        "    触发 dwell：停留 30 秒",
        "    动作 ✓ send_private ok：小鹿，看中哪件可以问我",
        "01:05 thanks_gift → u1（小鹿） · 完成",
        "    触发 gift：送出礼物（事件 gift.sent）",
        "    条件 ✓ viewer：等级 3 ≥ 2",
        "    动作 ✓ broadcast ok：谢谢小鹿送的礼物",
        "    动作 ✓ show_card ok：碎花连衣裙",  # the demo catalog's short name of P01
    ]
    lines = out.splitlines()
    at = [lines.index(line) for line in expected_in_order]
    assert at == sorted(at)
    # the summary: every playbook with its runs; the actions that would have been done
    table = {m[0]: m[1:] for m in re.findall(r"^│ (\S+)\s+│\s+(\d+) │.*│\s+(\d+) │$", out, re.M)}
    assert table == {
        "welcome": ("1", "1"), "opening": ("1", "1"), "ask_size": ("1", "0"),
        "wechat_invite": ("1", "0"), "dwell_hello": ("1", "1"), "thanks_gift": ("1", "2"),
    }  # fmt: skip
    assert "回放 6 条事件（01:12）：6 次运行，5 个动作" in out


def test_dry_run_json_has_the_runs_in_order_and_what_would_be_done(tmp_path: Path) -> None:
    playbook = write(tmp_path, "good.yaml", GOOD)
    events = session_jsonl(tmp_path, RECORDED)
    products = {"products": [{"id": "P01", "name": "测试用连衣裙", "short_name": "测试裙"}]}
    catalog = write(tmp_path, "catalog.json", json.dumps(products))
    result = invoke("dry-run", str(playbook), "--events", str(events), "--catalog", str(catalog), "--json")
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    runs = got["runs"]
    assert [(r["playbook"], r["status"]) for r in runs] == [(pb, status) for _, pb, status in EXPECTED_RUNS]
    assert [r["started_at"] - T0 for r in runs] == [2000, 5000, 8000, 20_000, 32_000, 65_000]
    welcome, opening, ask_size, invite, dwell, gift = runs
    assert welcome["user_id"] == "u1" and welcome["trigger"]["type"] == "viewer_enter"
    assert welcome["trigger"]["event"]["type"] == "viewer.entered"
    assert opening["user_id"] is None
    detail = {"minutes_live": 0, "minutes_left": 59}
    assert opening["trigger"] == {"type": "schedule", "why": "开播 5 秒", "event": None, "detail": detail}
    assert ask_size["conditions"] == [{"type": "viewer", "passed": False, "reading": "等级 3 ≥ 5"}]
    assert ask_size["actions"] == []
    assert [(a["type"], a["status"], a["code"]) for a in invite["actions"]] == [
        ("invite_private_domain", "refused", "budget.before_value")
    ]
    assert dwell["trigger"]["why"] == "停留 30 秒"
    assert [(a["type"], a["reading"]) for a in gift["actions"]] == [
        ("broadcast", "谢谢小鹿送的礼物"),
        ("show_card", "测试裙"),  # the name from --catalog
    ]
    done = [(d["playbook"], d["what"], d.get("text") or d.get("product_id")) for d in got["done"]]
    assert done == [
        ("welcome", "send_private", "欢迎小鹿来到直播间"),
        ("opening", "broadcast", "开播啦，今天全场包邮"),
        ("dwell_hello", "send_private", "小鹿，看中哪件可以问我"),
        ("thanks_gift", "broadcast", "谢谢小鹿送的礼物"),
        ("thanks_gift", "show_card", "P01"),
    ]


def test_dry_run_refuses_bad_input_without_a_traceback(tmp_path: Path) -> None:
    good = write(tmp_path, "good.yaml", GOOD)
    events = session_jsonl(tmp_path, RECORDED)

    bad = write(tmp_path, "bad.yaml", BAD["unknown trigger type"][0])
    result = invoke("dry-run", str(bad), "--events", str(events))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert error_lines(result.stderr)[0].startswith(f"✗ {bad}: playbooks[0].trigger: ")

    lines = events.read_text(encoding="utf-8").splitlines()
    broken = write(tmp_path, "broken.jsonl", "\n".join([lines[0], "{not json", *lines[1:]]) + "\n")
    result = invoke("dry-run", str(good), "--events", str(broken))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert error_lines(result.stderr)[0].startswith(f"✗ {broken}: line 2: not an exported event (")

    unknown = write(tmp_path, "unknown.jsonl", '{"type": "no.such", "room": "r", "ts": 1, "payload": {}}\n')
    result = invoke("dry-run", str(good), "--events", str(unknown))
    assert result.exit_code == 1 and f"{unknown}: line 1: not an exported event" in result.stderr

    like = {"type": "like.sent", "room": "demo", "user": "u1", "ts": T0 + 1000, "payload": {"count": "many"}}
    typed = write(tmp_path, "typed.jsonl", f"{lines[0]}\n{json.dumps(like)}\n")
    result = invoke("dry-run", str(good), "--events", str(typed))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "事件无法回放" in result.stderr

    not_catalog = write(tmp_path, "catalog.json", '{"shop": {}}')
    result = invoke("dry-run", str(good), "--events", str(events), "--catalog", str(not_catalog))
    assert result.exit_code == 1 and "不是商品目录" in result.stderr

    assert invoke("dry-run", str(good), "--events", str(tmp_path / "none.jsonl")).exit_code == 2
    assert invoke("dry-run", str(tmp_path / "none.yaml"), "--events", str(events)).exit_code == 2


def test_dry_run_an_answered_question_does_not_fire_question_unanswered(tmp_path: Path) -> None:
    nudge = "[{type: notify_host, text: '{{ question }} 还没人回', priority: high}]"
    playbook = write(tmp_path, "nudge.yaml", one("{type: question_unanswered, seconds: 30}", nudge))
    events = session_jsonl(tmp_path, [
        event(0, None, SessionStarted("测试场")),
        event(2, "u1", ViewerEntered("小鹿", 3, "viewer", False)),
        event(8, "u1", CommentPosted("有什么尺码?", "c1", True, "小鹿", 3), seq=1),
        event(10, "host", HostReplied("S到XL都有", None, 1, "u1", "晚晚"), seq=2),
        event(60, "u1", CommentPosted("好的", "c2", False, "小鹿", 3), seq=3),
    ])  # fmt: skip
    result = invoke("dry-run", str(playbook), "--events", str(events), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["runs"] == []
