"""RoomAssistant without a server: grouping, room answers, companion lines."""

from __future__ import annotations

from siyu.app import demo_catalog
from siyu.assistant.room_state import RoomAssistant
from siyu.catalog import Catalog
from siyu.config import AssistantSettings


def room_assistant(**settings: object) -> RoomAssistant:
    return RoomAssistant(Catalog.from_document(demo_catalog()), "晚晚", AssistantSettings(**settings))  # type: ignore[arg-type]


def test_a_question_is_counted_once_whoever_reports_it_first() -> None:
    ra = room_assistant()
    answer = ra.analyse(7, "3号链接多少钱", None)
    assert answer is not None and answer.product_id == "P03"
    first = ra.note_question(7, "u1", answer)  # the room stream
    again = ra.note_question(7, "u1", answer)  # the asker's node, after the commit
    assert first is again and first.seqs == [7] and len(first.users) == 1


def test_room_answer_once_enough_viewers_asked_then_not_again_within_the_interval() -> None:
    ra = room_assistant(room_answer_at=2, room_answer_every_s=60)
    a1 = ra.analyse(1, "3号链接多少钱", None)
    a2 = ra.analyse(2, "3号多少钱呀", None)
    assert a1 is not None and a2 is not None and a1.key == a2.key
    ra.note_question(1, "u1", a1, now=100.0)
    assert ra.room_answer_due(a1.key, now=100.0) is None  # one viewer is not "many"
    ra.note_question(2, "u2", a2, now=101.0)
    assert ra.room_answer_due(a1.key, now=101.0) is not None
    assert ra.room_answer_due(a1.key, now=130.0) is None
    assert ra.room_answer_due(a1.key, now=170.0) is not None


def test_companion_lines_only_while_away_and_only_from_the_catalog() -> None:
    ra = room_assistant(companion_every_s=10)
    assert ra.companion_line("P01", now=0.0) is None  # the host is live
    ra.host_status = "away"
    lines = [ra.companion_line("P01", now=t) for t in (0.0, 5.0, 10.0, 20.0, 30.0)]
    said = [line for line in lines if line is not None]
    assert len(said) == 4 and lines[1] is None  # at most one per 10 s
    text = " ".join(said)
    assert "晚晚" in text and "1号链接「碎花连衣裙」" in text and "159" in text


def test_assistant_off_without_a_usable_catalog() -> None:
    ra = RoomAssistant(None)
    assert ra.engine is None and ra.analyse(1, "3号链接多少钱", None) is None
