"""Conditions: each verdict and its reading land in the run's trace (dry run)."""

from __future__ import annotations

import asyncio
from typing import Any

from siyu.playbooks.experiments import assign
from siyu.playbooks.run import Trace
from tests.playbooks.streamkit import Stream, beijing, doc, live_feed, replay


def gated(pid: str, condition: str, keyword: str = "go") -> str:
    return f"""
  - id: {pid}
    trigger: {{type: comment, keywords: [{keyword}]}}
    conditions: [{condition}]
    actions: [{{type: broadcast, text: 好}}]"""


def verdicts(traces: list[Trace], playbook: str) -> list[tuple[str | None, bool, str]]:
    """(viewer, passed, reading) of each run's (single) condition."""
    out = []
    for t in traces:
        if t.playbook == playbook:
            assert len(t.conditions) == 1, t.conditions
            c = t.conditions[0]
            assert t.status == ("ok" if c["passed"] else "conditions_failed")
            out.append((t.user_id, c["passed"], c["reading"]))
    return out


def _two_viewers() -> Stream:
    """u1: new, level 5, fan, tagged vip, ordered, got a coupon; u2: returning, level 1, did nothing."""
    s = Stream()
    s.enter("u1", 0, level=5)
    s.enter("u2", 0, returning=True, level=1)
    s.fanclub("u1", 1)  # 8
    s.tagged("u1", "vip", 2)
    s.order("u1", 3)  # 10
    s.coupon("u1", 4)  # 4, a benefit
    s.comment("u1", "go", 10)  # 2: 24
    s.comment("u2", "go", 11)  # 2
    return s


VIEWER = {
    "new": ("{type: viewer, new: true}", "新观众", "老观众"),
    "level": ("{type: viewer, level_min: 3}", "等级 5 ≥ 3", "等级 1 ≥ 3"),
    "level_max": ("{type: viewer, level_max: 3}", "等级 1 ≤ 3", "等级 5 ≤ 3"),
    "fan": ("{type: viewer, fan: true}", "粉丝团成员", "非粉丝团"),
    "tags": ("{type: viewer, tags_any: [vip]}", "标签 ['vip']", "标签 []"),
    "untagged": ("{type: viewer, tags_none: [vip]}", "标签 []", "标签 ['vip']"),
    "purchased": ("{type: viewer, purchased: true}", "下单 1 次", "下单 0 次"),
    "stage": ("{type: viewer, stage: [conversion]}", "阶段 conversion", "阶段 entry"),
    "score": ("{type: viewer, score_min: 20}", "互动分 24 ≥ 20", "互动分 2 ≥ 20"),
    "felt": ("{type: viewer, value_felt: true}", "已感受到价值", "尚未感受到价值"),
}


def test_viewer_conditions_and_their_readings() -> None:
    d = doc("".join(gated(pid, cond) for pid, (cond, _, _) in VIEWER.items()))
    traces, _ = replay(d, _two_viewers())
    for pid, (_, yes, no) in VIEWER.items():
        got = verdicts(traces, pid)
        passer = "u2" if pid in ("level_max", "untagged") else "u1"
        failer = "u1" if passer == "u2" else "u2"
        assert sorted(got) == sorted([(passer, True, yes), (failer, False, no)]), pid


def test_room_conditions_and_their_readings() -> None:
    d = doc(
        gated("online_max", "{type: room, online_max: 0}")
        + gated("online_min", "{type: room, online_min: 1}")
        + gated("likes", "{type: room, likes_min: 5}")
        + gated("host", "{type: room, host_status: [busy, away]}")
        + gated("pinned", "{type: room, pinned: true}")
    )
    s = Stream()
    s.comment("u1", "go", 1)
    for i in range(6):
        s.like(f"f{i}", 2)
    s.host_status("busy", 3)
    s.pin("P1", 4)
    s.comment("u2", "go", 5)
    traces, _ = replay(d, s)
    assert verdicts(traces, "online_max") == [("u1", True, "在线 0 ≤ 0"), ("u2", True, "在线 0 ≤ 0")]
    assert verdicts(traces, "online_min") == [("u1", False, "在线 0 ≥ 1"), ("u2", False, "在线 0 ≥ 1")]
    assert verdicts(traces, "likes") == [("u1", False, "点赞 0 ≥ 5"), ("u2", True, "点赞 6 ≥ 5")]
    assert verdicts(traces, "host") == [("u1", False, "主播状态 live"), ("u2", True, "主播状态 busy")]
    assert verdicts(traces, "pinned") == [("u1", False, "讲解中 无"), ("u2", True, "讲解中 P1")]


def test_room_online_as_the_room_tick_sets_it() -> None:
    d = doc(gated("online", "{type: room, online_min: 10}"))
    s = Stream()
    s.comment("u1", "go", 1)
    traces, _ = asyncio.run(live_feed(d, s.events, online=50))
    assert verdicts(traces, "online") == [("u1", True, "在线 50 ≥ 10")]


def test_time_after_start() -> None:
    d = doc(
        gated("late", "{type: time, after_start_s_min: 60}")
        + gated("early", "{type: time, after_start_s_max: 60}")
    )
    s = Stream()
    s.comment("u1", "go", 30)
    s.comment("u1", "go", 90)
    traces, _ = replay(d, s)
    assert verdicts(traces, "late") == [("u1", False, "开播 30 秒"), ("u1", True, "开播 90 秒")]
    assert verdicts(traces, "early") == [("u1", True, "开播 30 秒"), ("u1", False, "开播 90 秒")]


def test_time_between_a_window_over_midnight() -> None:
    d = doc(gated("night", '{type: time, between: ["23:00", "02:00"]}'))
    s = Stream(start=beijing(22, 30))
    for minutes in (10, 60, 89, 120, 210, 220):  # 22:40, 23:30, 23:59, 00:30, 02:00, 02:10
        s.comment("u1", "go", minutes * 60)
    traces, _ = replay(d, s)
    assert verdicts(traces, "night") == [
        ("u1", False, "时间 22:40"),
        ("u1", True, "时间 23:30"),
        ("u1", True, "时间 23:59"),
        ("u1", True, "时间 00:30"),
        ("u1", False, "时间 02:00"),
        ("u1", False, "时间 02:10"),
    ]


def test_experiment_condition_reads_the_viewers_arm() -> None:
    d = doc(
        """
  - id: exp
    trigger: {type: comment, keywords: [go]}
    experiment: {id: e1, variants: [{name: a}, {name: b}]}
    conditions: [{type: experiment, id: e1, variants: [a]}]
    actions: [{type: broadcast, text: 好}]"""
        + gated("other", "{type: experiment, id: e2, variants: [a]}")
    )
    s = Stream()
    users = [f"v{i}" for i in range(20)]
    for i, u in enumerate(users):
        s.comment(u, "go", i)
    traces, _ = replay(d, s)
    arms = {u: assign("e1", u, [("a", 1.0), ("b", 1.0)]) for u in users}
    assert set(arms.values()) == {"a", "b"}  # both arms are met by these 20 viewers
    assert sorted(verdicts(traces, "exp")) == sorted(
        (u, arm == "a", f"实验 e1: {arm}") for u, arm in arms.items()
    )
    # a condition on another experiment than the playbook's own sees no arm
    assert {v[1:] for v in verdicts(traces, "other")} == {(False, "实验 e2: 未分组")}


def test_budget_condition() -> None:
    d = doc(
        gated("invite", "{type: budget, kind: invite}") + gated("message", "{type: budget, kind: message}")
    )
    traces, _ = replay(d, _two_viewers())
    assert sorted(verdicts(traces, "invite")) == [
        ("u1", False, "触达额度（invite）已用完"),  # ordered 7 s ago: no invite within 5 min of a purchase
        ("u2", False, "触达额度（invite）已用完"),  # no value felt yet
    ]
    assert sorted(verdicts(traces, "message")) == [
        ("u1", True, "触达额度（message）有"),
        ("u2", True, "触达额度（message）有"),
    ]


def test_and_or_not_nesting() -> None:
    cond = (
        "{type: or, conditions: [{type: viewer, tags_any: [nope]}, "
        "{type: and, conditions: [{type: viewer, level_min: 3}, "
        "{type: not, conditions: [{type: viewer, new: false}]}]}]}"
    )
    d = doc(gated("nested", cond))
    traces, _ = replay(d, _two_viewers())
    got = {u: (ok, reading) for u, ok, reading in verdicts(traces, "nested")}
    assert got["u1"] == (True, "标签 ['vip'] 或 等级 5 ≥ 3，非（新观众）")
    assert got["u2"] == (False, "标签 [] 或 等级 1 ≥ 3，非（老观众）")


def test_conditions_stop_at_the_first_failure() -> None:
    d = doc(
        """
  - id: two
    trigger: {type: comment, keywords: [go]}
    conditions: [{type: viewer, new: false}, {type: viewer, level_min: 1}]
    actions: [{type: broadcast, text: 好}]"""
    )
    traces, done = replay(d, _two_viewers())
    by_user: dict[str | None, Any] = {t.user_id: t for t in traces}
    assert [c["passed"] for c in by_user["u1"].conditions] == [False]
    assert [c["passed"] for c in by_user["u2"].conditions] == [True, True]
    assert [x["run"] for x in done] == [by_user["u2"].context["id"]]
