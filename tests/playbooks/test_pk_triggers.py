"""The PK room triggers (`pk_started`, `pk_ended` with `won`), replayed from a stream of the PK events (the
playbooks follow them by type name: they never import the interactions wing)."""

from __future__ import annotations

from tests.playbooks.streamkit import Stream, doc, replay, wing
from tests.playbooks.test_triggers import fires, said, say


def _battle(s: Stream, pk_id: str, at: float, scores: dict[str, int], winner: str) -> None:
    started = wing("pk.started", pk_id=pk_id, room_a="r1", room_b="r2", started_at=0, ends_at=1, punish_s=60)
    s.add(None, started, at)
    s.add(None, wing("pk.ended", pk_id=pk_id, scores=scores, winner=winner, top={}, reason="time",
                     punish_until=2), at + 1)  # fmt: skip


def test_pk_started_and_pk_ended_by_result() -> None:
    d = doc(
        say("start", "{type: pk_started}", "{{ partner }}")
        + say("won", "{type: pk_ended, won: true}", "{{ score }}:{{ partner_score }}")
        + say("lost", "{type: pk_ended, won: false}")
        + say("any", "{type: pk_ended}", "{{ won }}")
    )
    s = Stream()  # room r1
    _battle(s, "p1", 1, {"r1": 50, "r2": 10}, "r1")
    _battle(s, "p2", 5, {"r1": 5, "r2": 10}, "r2")
    _battle(s, "p3", 9, {"r1": 0, "r2": 0}, "draw")
    traces, done = replay(d, s)
    assert fires(traces, "start") == [(None, 1), (None, 5), (None, 9)]
    assert said(done, "start") == ["r2", "r2", "r2"]
    assert fires(traces, "won") == [(None, 2)] and said(done, "won") == ["50:10"]
    assert fires(traces, "lost") == [(None, 6)]
    assert said(done, "any") == ["True", "False", "None"]


def test_mic_requested_fires_for_the_viewer_with_fan_member() -> None:
    """`mic_requested` follows the mic wing's `mic.requested` events by type name, one run per request."""
    d = doc(say("mic", "{type: mic_requested}", "{{ fan_member }}"))
    s = Stream()
    fan = {"name": "晚晚团", "level": 2}
    s.add("u1", wing("mic.requested", nickname="小鹿", level=3, fan=fan, member=True), 2)
    s.add("u2", wing("mic.requested", nickname="阿杰", level=1, fan=None, member=False), 4)
    traces, done = replay(d, s)
    assert fires(traces, "mic") == [("u1", 2), ("u2", 4)]
    assert said(done, "mic") == ["True", "False"]
