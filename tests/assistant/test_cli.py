"""``siyu assistant ask | answer | eval`` through Typer's CliRunner (and the mount on the main app)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from siyu.cli import app
from siyu.cli.assistant import assistant_app

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "catalog.json"
PACKAGED = Path(__file__).resolve().parents[2] / "src" / "siyu" / "data" / "catalog.json"
CATALOG = str(SHARED if SHARED.exists() else PACKAGED)
HELDOUT = Path(__file__).parent / "data" / "qa_heldout.jsonl"

runner = CliRunner()


def test_ask_json() -> None:
    result = runner.invoke(
        assistant_app, ["ask", "--catalog", CATALOG, "--current-product", "P21", "--json", "7号多少钱呀"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) == {"intent", "product_id", "answer", "handoff"}
    assert (out["intent"], out["product_id"], out["handoff"]) == ("price", "P11", False)
    assert "69" in out["answer"]


def test_ask_readable_via_the_main_app() -> None:
    result = runner.invoke(app, ["assistant", "ask", "--catalog", CATALOG, "我的快递怎么还没到"])
    assert result.exit_code == 0, result.output
    assert "handoff" in result.stdout and "客服" in result.stdout


def test_answer_file(tmp_path: Path) -> None:
    questions = tmp_path / "in.jsonl"
    lines = [
        {"id": "q1", "question": "1号链接多少钱", "current_product": None, "expect": {"intent": "ignored"}},
        {"id": "q2", "question": "有券吗", "current_product": "P21"},
    ]
    questions.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(
        assistant_app, ["answer", "--catalog", CATALOG, "--questions", str(questions), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [a["id"] for a in answers] == ["q1", "q2"]
    assert all(set(a) == {"id", "intent", "product_id", "answer", "handoff"} for a in answers)
    assert (answers[0]["intent"], answers[0]["product_id"]) == ("price", "P01")
    assert (answers[1]["intent"], answers[1]["product_id"]) == ("coupon", None)


def test_eval_prints_the_figures_and_writes_json(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = runner.invoke(
        assistant_app,
        ["eval", "--catalog", CATALOG, "--qa", str(HELDOUT), "--json", str(report), "--rounds", "1"],
    )
    assert result.exit_code == 0, result.output
    for label in (
        "intent accuracy",
        "product accuracy",
        "fact accuracy",
        "pass rate",
        "p50",
        "p99",
        "size_advice",
    ):
        assert label in result.stdout
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["n"] >= 80 and 0.0 <= data["pass_rate"] <= 1.0
    assert set(data["per_intent"]) >= {"stock", "handoff", "chitchat"}
    assert data["latency_p99_ms"] is not None


def test_errors_exit_2(tmp_path: Path) -> None:
    missing = runner.invoke(assistant_app, ["ask", "--catalog", str(tmp_path / "nope.json"), "多少钱"])
    assert missing.exit_code == 2 and "not found" in missing.output

    broken_catalog = tmp_path / "broken.json"
    broken_catalog.write_text("{", encoding="utf-8")
    broken = runner.invoke(assistant_app, ["ask", "--catalog", str(broken_catalog), "多少钱"])
    assert broken.exit_code == 2 and "invalid JSON" in broken.output

    unknown = runner.invoke(
        assistant_app, ["ask", "--catalog", CATALOG, "--current-product", "P99", "多少钱"]
    )
    assert unknown.exit_code == 2 and "P99" in unknown.output

    bad_line = tmp_path / "bad.jsonl"
    bad_line.write_text(
        '{"id": "1", "question": "包邮吗", "current_product": null}\n{oops\n', encoding="utf-8"
    )
    result = runner.invoke(
        assistant_app,
        ["answer", "--catalog", CATALOG, "--questions", str(bad_line), "--out", str(tmp_path / "o")],
    )
    assert result.exit_code == 2 and "bad.jsonl:2" in result.output
    assert not (tmp_path / "o").exists()

    result = runner.invoke(assistant_app, ["eval", "--catalog", CATALOG, "--qa", str(bad_line)])
    assert result.exit_code == 2 and "bad.jsonl:1: needs 'expect'" in result.output
    bad_qa = tmp_path / "bad_qa.jsonl"
    good = {"id": "1", "question": "包邮吗", "current_product": None, "expect": {"intent": "shipping"}}
    bad_qa.write_text(json.dumps(good) + "\n" + '{"id": 2,\n', encoding="utf-8")
    result = runner.invoke(assistant_app, ["eval", "--catalog", CATALOG, "--qa", str(bad_qa)])
    assert result.exit_code == 2 and "bad_qa.jsonl:2: invalid JSON" in result.output
    result = runner.invoke(
        assistant_app, ["eval", "--catalog", CATALOG, "--qa", str(tmp_path / "none.jsonl")]
    )
    assert result.exit_code == 2 and "not found" in result.output


def test_recommend_eval_reports_both_hit_rates(tmp_path: Path) -> None:
    out = tmp_path / "rec.json"
    result = runner.invoke(
        assistant_app, ["recommend-eval", "--viewers", "300", "--runs", "1", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "命中率@5" in result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["per_seed"]) == 1 and data["viewers"] == 300
    assert set(data) >= {"recommender_hit_rate", "popularity_hit_rate", "lift"}
