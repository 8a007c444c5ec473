"""RoomAssistant without a server: grouping, companion lines (their timing is a playbook's)."""

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


def test_companion_lines_only_while_away_and_only_from_the_catalog() -> None:
    ra = room_assistant()
    assert ra.companion_line("P01") is None  # the host is live
    ra.host_status = "away"
    said = [ra.companion_line("P01") for _ in range(4)]  # how often: the playbook's schedule
    assert all(line is not None for line in said) and len(set(said)) > 1  # it rotates
    text = " ".join(line or "" for line in said)
    assert "晚晚" in text and "1号链接「碎花连衣裙」" in text and "159" in text


def test_assistant_off_without_a_usable_catalog() -> None:
    ra = RoomAssistant(None)
    assert ra.engine is None and ra.analyse(1, "3号链接多少钱", None) is None
