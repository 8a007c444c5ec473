"""`siyu bench playbooks` end to end on a tiny load: 5 playbooks, 50 comments/s for 3 s per phase, a small
fan-out load. Structure and counts only, no timings."""

from __future__ import annotations

import json

from siyu.bench.engine_meter import EngineMeter
from siyu.bench.playbooks import run_playbooks
from siyu.bench.playbooks_doc import bench_document
from siyu.bench.playbooks_load import keyword_playbooks
from siyu.playbooks.engine import Engine
from siyu.playbooks.model import parse_file
from siyu.rooms.budget import ContactBudget


def test_bench_document_validates_with_one_keyword_playbook_per_measured_keyword() -> None:
    doc = parse_file(bench_document(100), "bench")
    assert len(doc.playbooks) == 100 and keyword_playbooks(100) == 90
    keywords = [t.keywords[0] for pb in doc.playbooks if pb.id.startswith("kw") for t in pb.trigger]
    assert len(set(keywords)) == 90
    assert not any(a != b and a in b for a in keywords for b in keywords)  # no keyword inside another
    assert {pb.trigger[0].type for pb in doc.playbooks} >= {"comment", "gift", "follow", "like_count"}
    assert len(parse_file(bench_document(5), "bench").playbooks) == 5


async def test_bench_playbooks_runs_every_phase_and_the_matched_runs_reply() -> None:
    result = await run_playbooks(5, 50, 3, 20, senders=10)
    data = json.loads(json.dumps(result.as_dict()))  # the JSON the CLI writes
    phases = ["baseline", "unmatched", "playbooks", "playbooks_memory_ledger"]
    assert [p["phase"] for p in data["phases"]] == phases
    assert data["playbooks"] == 5 and data["nproc"] >= 1 and "cores" in data["machine"]
    assert isinstance(data["target_met"], bool) and data["target_p99_ms"] == 20
    assert data["meter_overhead_us"] > 0 and len(data["loadavg_after"]) == 3
    alone = data["engine_alone"]  # the engine without a room, before the node starts
    assert set(alone) == {"none", "unmatched", "matched"} and alone["matched"]["runs"] == 150
    assert alone["unmatched"]["runs"] == 0 and alone["matched"]["us_per_event"] > 0
    baseline, unmatched, measured, memory = data["phases"]
    for phase in data["phases"]:
        assert phase["sent"] == 150 and phase["ack"]["count"] == 150 and not phase["ack_errors"]
        assert phase["events"] >= phase["comments"] >= 150
        assert phase["load"]["viewers"] == 20 and phase["load"]["sent"] > 0
        assert phase["node_cpu_s"] > 0 and phase["gc_pauses_over_10ms"] >= 0
    assert baseline["runs"] == {} and baseline["runs_started"] == 0 and baseline["action"] is None
    assert unmatched["action"] is None and unmatched["engine_feed_ms"] > 0
    # every measured comment ran its playbook, whose personal message came back to its sender
    assert measured["action"]["count"] == 150 and measured["replies_missing"] == 0
    assert measured["runs"].get("ok", 0) >= 150 and measured["runs_started"] >= 150
    assert measured["engine_runs_ms"] > 0 and measured["of_which_budget_ms"] > 0
    assert measured["engine_ms_per_1000_events"] > 0
    # the diagnostic phase: the same runs, the ledger in memory (no budget transaction)
    assert memory["ledger"] == "memory" and measured["ledger"] == "db"
    assert memory["action"]["count"] == 150 and memory["replies_missing"] == 0


def test_the_meter_restores_the_engine_and_the_budget() -> None:
    originals = (Engine.committed, Engine.seen, Engine.advance, Engine._run, ContactBudget.spend)
    with EngineMeter():
        assert Engine.committed is not originals[0]
    assert (Engine.committed, Engine.seen, Engine.advance, Engine._run, ContactBudget.spend) == originals
