"""The engine (dry run): run modes and caps, loop protection, failing actions, experiments, templates."""

from __future__ import annotations

import math
from typing import Any

import pytest

from siyu.playbooks.actions.base import ActionFailed
from siyu.playbooks.experiments import assign, bucket
from siyu.playbooks.model import PlaybookIssue
from siyu.playbooks.render import render
from siyu.playbooks.run import Trace
from tests.playbooks.streamkit import START, Stream, doc, ran, replay

WAITING = """
  - id: pb
    trigger: {{type: comment, keywords: [go]}}
    mode: {mode}
    max: {max}
    actions:
      - {{type: broadcast, text: "start {{{{ comment }}}}"}}
      - {{type: wait, seconds: 60}}
      - {{type: broadcast, text: "end {{{{ comment }}}}"}}"""


def waiting(mode: str, max_: int = 10) -> Any:
    return doc(WAITING.format(mode=mode, max=max_))


def goes(*times: float, user: str = "u1") -> Stream:
    s = Stream()
    for i, at in enumerate(times):
        s.comment(user, f"go{i}", at)
    return s


def log(done: list[dict[str, Any]]) -> list[tuple[str, float]]:
    return [(d["text"], (d["at"] - START) / 1000) for d in done]


def statuses(traces: list[Trace]) -> list[str]:
    return [t.status for t in traces]


# --- run modes and caps -----------------------------------------------------------------------------


def test_single_skips_a_fire_while_a_run_waits() -> None:
    traces, done = replay(waiting("single"), goes(0, 10, 70))
    skipped = ran(traces, status="skipped")
    assert len(skipped) == 1 and skipped[0].note is not None and skipped[0].note.startswith("running")
    assert (skipped[0].started_at - START) / 1000 == 10
    assert log(done) == [("start go0", 0), ("end go0", 60), ("start go2", 70), ("end go2", 130)]


def test_single_is_per_viewer() -> None:
    s = Stream()
    s.comment("u1", "go", 0)
    s.comment("u2", "go", 10)
    traces, _ = replay(waiting("single"), s)
    assert statuses(traces) == ["ok", "ok"]


def test_restart_cancels_the_running_one() -> None:
    traces, done = replay(waiting("restart"), goes(0, 10))
    assert sorted(statuses(traces)) == ["cancelled", "ok"]
    cancelled = ran(traces, status="cancelled")[0]
    assert cancelled.note is not None and cancelled.note.startswith("restart")
    assert log(done) == [("start go0", 0), ("start go1", 10), ("end go1", 70)]


def test_queued_runs_one_after_another_and_refuses_beyond_max() -> None:
    traces, done = replay(waiting("queued", 1), goes(0, 10, 20))
    full = ran(traces, status="skipped")
    assert [t.note.split(":")[0] for t in full if t.note] == ["queue_full"]
    assert log(done) == [("start go0", 0), ("end go0", 60), ("start go1", 60), ("end go1", 120)]


def test_parallel_up_to_max() -> None:
    traces, done = replay(waiting("parallel", 2), goes(0, 5, 10))
    assert [t.note.split(":")[0] for t in ran(traces, status="skipped") if t.note] == ["max_parallel"]
    assert log(done) == [("start go0", 0), ("start go1", 5), ("end go0", 60), ("end go1", 65)]


def test_max_runs_per_viewer_and_cooldown() -> None:
    d = doc(
        """
  - id: capped
    trigger: {type: comment, keywords: [go]}
    max_runs_per_viewer: 2
    actions: [{type: broadcast, text: "{{ comment }}"}]
  - id: cool
    trigger: {type: comment, keywords: [go]}
    cooldown_s: 30
    actions: [{type: broadcast, text: "{{ comment }}"}]"""
    )
    s = goes(0, 10, 20, 45)
    s.comment("u2", "go-u2", 50)
    traces, done = replay(d, s)
    assert [d["text"] for d in done if d["playbook"] == "capped"] == ["go0", "go1", "go-u2"]
    assert [d["text"] for d in done if d["playbook"] == "cool"] == ["go0", "go3", "go-u2"]
    assert ran(traces, status="skipped") == []  # caps are silent (not traced)


def test_queued_fires_count_against_max_runs_per_viewer() -> None:
    d = doc(WAITING.format(mode="queued", max=5) + "\n    max_runs_per_viewer: 2")
    _, done = replay(d, goes(0, 10, 20, 30))
    assert [x["text"] for x in done if x["text"].startswith("start")] == ["start go0", "start go1"]


def test_caps_start_over_in_a_new_session() -> None:
    d = doc(
        """
  - id: once
    trigger: {type: comment, keywords: [go]}
    max_runs_per_viewer: 1
    actions: [{type: broadcast, text: "{{ comment }}"}]"""
    )
    s = goes(0, 10)
    s.new_session("s2", 100)
    s.comment("u1", "go again", 101)
    _, done = replay(d, s)
    assert [d["text"] for d in done] == ["go0", "go again"]


# --- loops -------------------------------------------------------------------------------------------


def test_own_actions_do_not_retrigger() -> None:
    d = doc(
        """
  - id: echo
    trigger: {type: comment, keywords: [go]}
    actions: [{type: broadcast, text: "go"}]"""
    )
    s = Stream()
    s.comment("u1", "go", 1)
    s.comment("u1", "go (echo)", 2, actor="pb:echo")  # an event the run caused, on behalf of u1
    traces, done = replay(d, s)
    assert statuses(traces) == ["ok", "skipped"]
    assert traces[1].note is not None and traces[1].note.startswith("loop")
    assert len(done) == 1


def test_a_chain_deeper_than_three_stops() -> None:
    body = "".join(
        f"""
  - id: {name}
    trigger: {{type: comment, keywords: ["{name}!"]}}
    actions: [{{type: broadcast, text: "{name}"}}]"""
        for name in ("a", "b", "c", "d")
    )
    s = Stream()
    s.comment("u1", "a!", 1)  # a viewer starts a: depth 1
    s.comment("u1", "b!", 2, actor="pb:a")  # caused by a: depth 2
    s.comment("u1", "c!", 3, actor="pb:b")  # depth 3
    s.comment("u1", "d!", 4, actor="pb:c")  # depth 4: stopped
    traces, _ = replay(doc(body), s)
    assert [(t.playbook, t.status) for t in traces] == [
        ("a", "ok"),
        ("b", "ok"),
        ("c", "ok"),
        ("d", "skipped"),
    ]
    assert traces[3].note is not None and traces[3].note.startswith("chain_too_deep")


# --- failing actions ---------------------------------------------------------------------------------


def test_a_failing_action_is_traced_and_the_rest_go_on() -> None:
    d = doc(
        """
  - id: pins
    trigger: {type: comment, keywords: [go]}
    actions:
      - {type: pin_product, product_id: P9}
      - {type: broadcast, text: "{{ level / 0 }}"}
      - {type: pin_product, product_id: P1}
      - {type: broadcast, text: "在讲 {{ current_product }}"}"""
    )
    traces, done = replay(d, goes(1), products={"P1": "卫衣"})
    (t,) = traces
    assert [(a["type"], a["status"], a.get("code")) for a in t.actions] == [
        ("pin_product", "failed", "pin.unknown_product"),
        ("broadcast", "failed", "template.failed"),
        ("pin_product", "ok", None),
        ("broadcast", "ok", None),
    ]
    assert "ZeroDivisionError" in t.actions[1]["reading"]
    assert t.status == "partial"
    assert [x["what"] for x in done] == ["pin_product", "broadcast"]


def test_all_actions_failing_is_a_failed_run() -> None:
    d = doc(
        """
  - id: pins
    trigger: {type: comment, keywords: [go]}
    actions: [{type: pin_product, product_id: P9}]"""
    )
    traces, done = replay(d, goes(1), products={"P1": "卫衣"})
    assert statuses(traces) == ["failed"] and done == []


# --- experiments -------------------------------------------------------------------------------------

EXPERIMENT = """
  - id: exp
    trigger: {type: comment, keywords: [go]}
    experiment:
      id: e1
      holdout: 0.3
      variants:
        - {name: a, weight: 1}
        - {name: b, weight: 3, actions: [{type: broadcast, text: "b"}]}
    actions: [{type: broadcast, text: "default"}]"""


def _viewers(n: int, times: int = 1) -> Stream:
    s = Stream()
    for k in range(times):
        for i in range(n):
            s.comment(f"v{i}", "go", k * 100 + i)
    return s


def test_assignment_is_deterministic_and_stable_across_engines() -> None:
    d = doc(EXPERIMENT)
    first, _ = replay(d, _viewers(40))
    second, _ = replay(d, _viewers(40))
    arms = {t.user_id: t.variant for t in first}
    assert arms == {t.user_id: t.variant for t in second}
    assert set(arms.values()) == {"holdout", "a", "b"}
    assert all(v == assign("e1", str(u), [("a", 1), ("b", 3)], 0.3) for u, v in arms.items())


def test_holdout_runs_nothing_and_exposure_is_logged_once_per_viewer() -> None:
    traces, done = replay(doc(EXPERIMENT), _viewers(40, times=2))
    arms = {str(t.user_id): t.variant for t in traces}
    held = {u for u, v in arms.items() if v == "holdout"}
    assert held
    for t in traces:
        if t.variant == "holdout":
            assert t.status == "holdout" and t.actions == []
        else:
            assert t.status == "ok" and t.actions[0]["reading"] == ("b" if t.variant == "b" else "default")
    exposed = [x for x in done if x["what"] == "record" and x["event"] == "experiment.exposed"]
    assert sorted(x["user"] for x in exposed) == sorted(arms)  # once each, though each came twice
    assert all(x["variant"] == arms[x["user"]] and x["playbook"] == "exp" for x in exposed)
    assert not [x for x in done if x["what"] == "broadcast" and x["run"] in _runs(traces, held)]


def test_variant_is_a_template_variable() -> None:
    d = doc(
        """
  - id: exp
    trigger: {type: comment, keywords: [go]}
    experiment: {id: e1, variants: [{name: a}, {name: b}]}
    actions: [{type: broadcast, text: "arm={{ variant }}"}]"""
    )
    traces, done = replay(d, _viewers(4))
    assert [x["text"] for x in done if x["what"] == "broadcast"] == [f"arm={t.variant}" for t in traces]


def _runs(traces: list[Trace], users: set[str]) -> set[str]:
    return {t.context["id"] for t in traces if t.user_id in users}


def test_weights_hold_over_ten_thousand_viewers() -> None:
    n, holdout, weights = 10_000, 0.2, [("a", 1.0), ("b", 3.0), ("c", 6.0)]
    counts: dict[str, int] = {}
    for i in range(n):
        arm = assign("exp-w", f"user-{i}", weights, holdout)
        counts[arm] = counts.get(arm, 0) + 1
    expected = {"holdout": holdout} | {name: (1 - holdout) * w / 10 for name, w in weights}
    for arm, p in expected.items():
        sigma = math.sqrt(n * p * (1 - p))
        assert abs(counts.get(arm, 0) - n * p) <= 5 * sigma, (arm, counts)
    assert all(0 <= bucket("exp-w", f"user-{i}") < 1 for i in range(100))


def test_random_split_with_an_experiment_logs_exposure() -> None:
    d = doc(
        """
  - id: split
    trigger: {type: comment, keywords: [go]}
    actions:
      - type: random_split
        experiment: s1
        branches:
          - {name: left, actions: [{type: broadcast, text: left}]}
          - {name: right, weight: 2, actions: [{type: broadcast, text: right}]}"""
    )
    traces, done = replay(d, _viewers(30, times=2))
    exposed = {x["user"]: x["variant"] for x in done if x["what"] == "record"}
    assert len([x for x in done if x["what"] == "record"]) == 30  # once per viewer
    assert exposed == {f"v{i}": assign("s1", f"v{i}", [("left", 1), ("right", 2)]) for i in range(30)}
    for t in traces:
        assert t.actions[0]["reading"] == f"分流 → {exposed[str(t.user_id)]}"
        assert t.actions[1]["reading"] == exposed[str(t.user_id)]


def test_random_split_without_experiment_logs_nothing() -> None:
    d = doc(
        """
  - id: split
    trigger: {type: comment, keywords: [go]}
    actions:
      - type: random_split
        branches:
          - {name: left, actions: [{type: broadcast, text: left}]}
          - {name: right, actions: [{type: broadcast, text: right}]}"""
    )
    _, done = replay(d, _viewers(10))
    assert {x["what"] for x in done} == {"broadcast"}


# --- templates at run time ---------------------------------------------------------------------------


def test_template_cannot_read_outside_the_context() -> None:
    peek = """
  - id: peek
    trigger: {type: comment, keywords: [go]}
    actions: [{type: send_private, text: "[{{ nickname.__class__ }}][{{ comment.__class__.__mro__ }}]"}]"""
    with pytest.raises(PlaybookIssue) as caught:  # refused when the document is validated
        doc(peek)
    assert [e["type"] for e in caught.value.errors] == ["template.unsafe"]
    # and should one reach a run (e.g. through a filter), the sandbox refuses it when it renders
    with pytest.raises(ActionFailed) as failed:
        render("{{ nickname|attr('__class__') }}", {"nickname": "x"})
    assert failed.value.code == "template.failed"


def test_viewer_context_in_templates() -> None:
    d = doc(
        """
  - id: ctx
    trigger: {type: comment, keywords: [go]}
    actions:
      - {type: send_private, text: "{{ nickname }}|{{ level }}|{{ fan }}|{{ orders }}|{{ last_purchase }}"}
      - {type: broadcast, text: "{{ current_product }}|{{ poll_vote }}|{{ stage_zh }}"}
"""
    )
    s = Stream()
    s.enter("u1", 0, level=4)
    s.fanclub("u1", 1)
    s.order("u1", 2, product_id="P1")
    s.pin("P2", 3)
    s.poll_started(4, ["红", "黑"])
    s.vote("u1", 5, option=1)
    s.comment("u1", "go", 20)
    _, done = replay(d, s, products={"P1": "卫衣", "P2": "长裙"})
    assert [x["text"] for x in done] == ["昵称u1|4|True|1|卫衣", "长裙|黑|转化"]


def test_last_purchase_is_the_product_name() -> None:
    d = doc(
        """
  - id: thanks
    trigger: {type: order_placed}
    actions: [{type: send_private, text: "{{ last_purchase }}"}]"""
    )
    s = Stream()
    s.order("u1", 1, product_id="P1")
    _, done = replay(d, s, products={"P1": "卫衣"})
    assert [x["text"] for x in done] == ["卫衣"]


def test_returning_viewer_visits() -> None:
    d = doc(
        """
  - id: back
    trigger: {type: viewer_enter, visit: returning}
    actions: [{type: send_private, text: "{{ visits }}"}]"""
    )
    s = Stream()
    s.enter("u1", 1, returning=True)
    _, done = replay(d, s)
    assert int(str(done[0]["text"])) >= 2
