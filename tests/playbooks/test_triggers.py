"""Every trigger type fires when it should and not otherwise (dry run over hand-built event streams)."""

from __future__ import annotations

import asyncio

from siyu.playbooks.run import Trace
from tests.playbooks.streamkit import START, Stream, doc, live_feed, replay


def fires(traces: list[Trace], playbook: str) -> list[tuple[str | None, float]]:
    """(viewer, seconds after the start) of each run of `playbook` that was not skipped."""
    return [
        (t.user_id, (t.started_at - START) / 1000)
        for t in traces
        if t.playbook == playbook and t.status != "skipped"
    ]


def said(done: list[dict[str, object]], playbook: str) -> list[object]:
    return [d.get("text") for d in done if d["playbook"] == playbook]


def say(pid: str, trigger: str, text: str = "好") -> str:
    return f"""
  - id: {pid}
    trigger: {trigger}
    actions: [{{type: broadcast, text: "{text}"}}]"""


def test_viewer_enter_first_and_returning() -> None:
    d = doc(
        """
  - id: first
    trigger: {type: viewer_enter, visit: first}
    actions: [{type: send_private, text: "欢迎{{ nickname }}"}]
  - id: back
    trigger: {type: viewer_enter, visit: returning}
    actions: [{type: send_private, text: "欢迎回来{{ nickname }}"}]"""
        + say("anyone", "{type: viewer_enter}", "来了")
    )
    s = Stream()
    s.enter("u1", 1)
    s.enter("u2", 2, returning=True)
    s.enter("staff", 3, role="assistant")
    traces, done = replay(d, s)
    assert fires(traces, "first") == [("u1", 1)]
    assert fires(traces, "back") == [("u2", 2)]
    assert fires(traces, "anyone") == [("u1", 1), ("u2", 2)]
    assert [(x["user"], x["text"]) for x in done if x["what"] == "send_private"] == [
        ("u1", "欢迎昵称u1"),
        ("u2", "欢迎回来昵称u2"),
    ]


def test_dwell_once_per_viewer_and_not_after_leaving() -> None:
    d = doc(say("stay", "{type: dwell, seconds: 20}"))
    s = Stream()
    s.enter("u1", 0)
    s.enter("gone", 0)
    s.enter("u3", 5)
    s.leave("gone", 10)
    s.leave("u3", 15)  # left before 20 s: no dwell for that visit
    s.enter("u3", 30)  # a new visit: its own 20 s
    s.leave("u1", 40)
    s.enter("u1", 45)  # already had it this session
    s.comment("u1", "收尾", 120)
    traces, _ = replay(d, s)
    assert fires(traces, "stay") == [("u1", 20), ("u3", 50)]


def test_dwell_again_in_a_new_session() -> None:
    d = doc(say("stay", "{type: dwell, seconds: 20}"))
    s = Stream()
    s.enter("u1", 0)
    s.leave("u1", 30)
    s.new_session("s2", 100)
    s.enter("u1", 101)
    s.comment("u1", "收尾", 200)
    traces, _ = replay(d, s)
    assert fires(traces, "stay") == [("u1", 20), ("u1", 121)]


def test_silence_after_quiet_seconds_and_again_after_activity() -> None:
    d = doc(say("quiet", "{type: silence, seconds: 30}"))
    s = Stream()
    s.enter("u1", 0)
    s.enter("u2", 0)
    s.enter("gone", 0)
    s.leave("gone", 10)
    s.comment("u2", "在吗", 20)
    s.comment("u1", "我来了", 60)
    s.like("u2", 99)
    s.like("u2", 100)
    traces, _ = replay(d, s)
    assert sorted(fires(traces, "quiet")) == [("u1", 30), ("u1", 90), ("u2", 50)]


def test_engagement_fires_on_crossing_up_only() -> None:
    d = doc(say("hot", "{type: engagement, at_least: 5}"))
    s = Stream()
    s.enter("u1", 0)
    s.comment("u1", "a", 1)  # 2
    s.comment("u1", "b", 2)  # 4
    s.comment("u1", "c", 3)  # 6: crosses 5
    s.comment("u1", "d", 4)  # 8: already above
    s.points("u1", -10, 5)  # crosses down: nothing
    for i in range(3):
        s.comment("u1", f"e{i}", 6 + i)  # up again: once per viewer and session
    s.enter("u2", 10)
    s.comment("u2", "x", 11)  # 2: below
    traces, _ = replay(d, s)
    assert fires(traces, "hot") == [("u1", 3)]


def test_engagement_crossed_by_staying() -> None:
    d = doc(say("hot", "{type: engagement, at_least: 2}"))
    s = Stream()
    s.enter("u1", 0)
    s.comment("u9", "收尾", 61)  # someone else: u1 only stays (2 points at 60 s)
    traces, _ = replay(d, s)
    assert fires(traces, "hot") == [("u1", 60)]


def test_stage_changed_to() -> None:
    d = doc(
        say("conv", "{type: stage_changed, to: conversion}", "{{ from_stage }}→{{ to_stage }}")
        + say("imm", "{type: stage_changed, to: immersion}")
    )
    s = Stream()
    s.enter("u1", 0)
    s.enter("u2", 0)
    s.order("u1", 5)  # an order: straight to conversion
    s.comment("u3", "路过", 70)
    traces, done = replay(d, s)
    assert fires(traces, "conv") == [("u1", 5)]
    assert said(done, "conv") == ["入局→转化"]
    assert fires(traces, "imm") == [("u2", 60)]  # 60 s stayed: immersion


def test_comment_keywords_regex_and_intent() -> None:
    d = doc(
        say("kw", '{type: comment, keywords: ["扣1", "想要"]}', "{{ comment }}")
        + say("rx", '{type: comment, regex: "^\\\\d+号"}', "{{ comment }}")
        + say("intent", "{type: comment, intent: size}")
    )
    s = Stream()
    s.comment("u1", "我想要", 1)
    s.comment("u2", "3号链接", 2)
    s.comment("u3", "哈哈", 3)
    s.comment("host", "想要的扣1", 4, role="host")  # not a viewer
    s.comment("u5", "链接3号", 5)
    s.answer("u4", 6, intent="size")
    s.answer("u6", 7, intent="price")
    traces, done = replay(d, s)
    assert fires(traces, "kw") == [("u1", 1)]
    assert said(done, "kw") == ["我想要"]
    assert fires(traces, "rx") == [("u2", 2)]
    assert fires(traces, "intent") == [("u4", 6)]


def _questions() -> Stream:
    s = Stream()
    for u in ("u1", "u2", "u3", "u4"):
        s.enter(u, 0)
    q1 = s.comment("u1", "有XL吗", 5, question=True)
    q2 = s.comment("u2", "包邮吗", 5, question=True)
    q3 = s.comment("u3", "几天发货", 5, question=True)
    s.comment("u4", "多少钱", 5, question=True)
    s.comment("u4", "好看", 6)  # not a question
    s.host_reply(q1, 10)
    s.dismiss(q2, 10)
    s.answer("u3", 10, question=q3)
    s.comment("u1", "收尾", 60)
    return s


QUESTION_DOC = say("ask", "{type: question_unanswered, seconds: 30}", "{{ question }}")


def test_question_unanswered_fires_for_the_unanswered_one_live_feed() -> None:
    """The live feed (committed + room stream): replies, dismissals and answers cancel the timer."""
    traces, done = asyncio.run(live_feed(doc(QUESTION_DOC), _questions().events))
    assert fires(traces, "ask") == [("u4", 35)]
    assert said(done, "ask") == ["多少钱"]


def test_question_unanswered_cancelled_in_the_dry_run() -> None:
    traces, _ = replay(doc(QUESTION_DOC), _questions())
    assert fires(traces, "ask") == [("u4", 35)]


def test_question_unanswered_fires_when_nobody_answers() -> None:
    s = Stream()
    s.comment("u1", "有XL吗", 5, question=True)
    s.comment("u2", "好看", 5)
    s.comment("u1", "收尾", 40)
    traces, _ = replay(doc(QUESTION_DOC), s)
    assert fires(traces, "ask") == [("u1", 35)]


def test_many_asked_count_and_every_s() -> None:
    d = doc(
        """
  - id: many
    trigger: {type: many_asked, count: 3, every_s: 60}
    actions: [{type: ask_assistant, kind: answer_group}]"""
    )
    s = Stream()
    s.grouped("k1", 2, 1)  # below count
    s.grouped("k1", 3, 2)  # fires
    s.grouped("k1", 4, 10)  # within every_s
    s.grouped("k1", 5, 70)  # fires again
    s.grouped("k2", 3, 71)  # another group
    traces, done = replay(d, s)
    assert fires(traces, "many") == [(None, 2), (None, 70), (None, 71)]
    assert [x["text"] for x in done] == ["有的，XL有货"] * 3


def test_like_count_at_and_every() -> None:
    d = doc(
        say("at", "{type: like_count, at: 100}", "{{ likes }}")
        + say("every", "{type: like_count, every: 50}", "{{ likes }}")
    )
    s = Stream()
    for i in range(1, 5):
        s.like(f"u{i}", i, count=30)  # 30, 60, 90, 120
    s.comment("u1", "收尾", 10)
    traces, done = replay(d, s)
    assert len(fires(traces, "at")) == 1
    assert said(done, "at") == ["120"]
    assert said(done, "every") == ["60", "120"]


def test_like_count_again_in_a_new_session() -> None:
    d = doc(say("at", "{type: like_count, at: 100}", "{{ likes }}"))
    s = Stream()
    s.like("u1", 1, count=100)
    s.new_session("s2", 10)
    s.like("u1", 11, count=100)
    s.comment("u1", "收尾", 20)
    _, done = replay(d, s)
    assert said(done, "at") == ["100", "100"]


def test_gift_min_coins() -> None:
    d = doc(say("gift", "{type: gift, min_coins: 10}", "{{ gift_id }} {{ coins }}"))
    s = Stream()
    s.gift("u1", 5, 1)
    s.gift("u2", 10, 2, gift_id="rocket")
    traces, done = replay(d, s)
    assert fires(traces, "gift") == [("u2", 2)]
    assert said(done, "gift") == ["rocket 10"]


def test_follow_fanclub_poll_and_coupon() -> None:
    d = doc(
        say("follow", "{type: follow}")
        + say("fan", "{type: fanclub_join}")
        + say("vote", "{type: poll_voted}")
        + say("coupon", "{type: coupon_claimed, coupon_id: C1}", "{{ coupon_id }}")
    )
    s = Stream()
    s.follow("u1", 1)
    s.fanclub("u2", 2)
    s.poll_started(3, ["红", "黑"])
    s.vote("u3", 4)
    s.coupon("u4", 5, "C2")
    s.coupon("u5", 6, "C1")
    s.comment("u6", "只是评论", 7)
    traces, done = replay(d, s)
    assert fires(traces, "follow") == [("u1", 1)]
    assert fires(traces, "fan") == [("u2", 2)]
    assert fires(traces, "vote") == [("u3", 4)]
    assert fires(traces, "coupon") == [("u5", 6)]
    assert said(done, "coupon") == ["C1"]


def test_order_placed_min_total() -> None:
    d = doc(say("order", "{type: order_placed, min_total_yuan: 100}", "{{ total_yuan }}"))
    s = Stream()
    s.order("u1", 1, yuan=99.99)
    s.order("u2", 2, yuan=100)
    s.order("u3", 3, yuan=150.5)
    traces, done = replay(d, s)
    assert fires(traces, "order") == [("u2", 2), ("u3", 3)]
    assert said(done, "order") == ["100.0", "150.5"]


def test_product_changed() -> None:
    d = doc(say("pin", "{type: product_changed}", "{{ product_id }}"))
    s = Stream()
    s.pin("P1", 1)
    s.pin(None, 2)  # unpinned: not a change of product
    s.pin("P2", 3)
    traces, done = replay(d, s)
    assert fires(traces, "pin") == [(None, 1), (None, 3)]
    assert said(done, "pin") == ["P1", "P2"]


def test_schedule_after_start_every_with_offset_and_before_end() -> None:
    d = doc(
        say("t30", "{type: schedule, after_start_s: 30}")
        + say("every", "{type: schedule, every_s: 60, offset_s: 10}", "{{ minutes_live }}")
        + say("end", "{type: schedule, before_end_s: 60}", "{{ minutes_left }}"),
        planned_minutes=5,
    )
    s = Stream()
    s.comment("u1", "收尾", 299)
    traces, done = replay(d, s)
    assert fires(traces, "t30") == [(None, 30)]
    assert [at for _, at in fires(traces, "every")] == [10, 70, 130, 190, 250]
    assert said(done, "every") == ["0", "1", "2", "3", "4"]
    assert fires(traces, "end") == [(None, 240)]
    assert said(done, "end") == ["1"]


def test_schedule_waits_for_a_session() -> None:
    d = doc(say("t30", "{type: schedule, after_start_s: 30}"))
    s = Stream(begin=False)
    s.comment("u1", "没开播", 0)
    s.comment("u1", "还没开播", 100)
    traces, _ = replay(d, s)
    assert fires(traces, "t30") == []
