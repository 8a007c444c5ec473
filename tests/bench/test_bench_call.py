"""`siyu bench call` at a tiny size: the aiortc baseline sets up calls and decodes frames of the asked size;
the command runs end to end and writes its JSON. The siyu half (Chromium pages over a node) needs the call
signalling (issue 14, helper "rtc"); it joins this test once that is on main."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from siyu.bench.call import run_call_bench
from siyu.bench.call_netem import drop_opts
from siyu.cli.bench import bench_app


async def test_baseline_calls_reach_a_decoded_frame() -> None:
    result = await run_call_bench(calls=2, hold=0, width=320, height=240, fps=15, baseline_only=True)
    data = result.as_dict()
    assert data["baseline"]["total"]["count"] == 2
    assert data["baseline"]["resolution"] == ["320x240"]
    b = data["baseline"]
    assert b["total"]["min_ms"] >= b["media"]["min_ms"] > 0 and b["signalling"]["min_ms"] > 0
    assert data["siyu"] == {} and data["target_met"] is None


def test_cli_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "call.json"
    run = CliRunner().invoke(bench_app, ["call", "--calls", "2", "--baseline-only", "--width", "320",
                                         "--height", "240", "--json", str(out)])  # fmt: skip
    assert run.exit_code == 0, run.output
    data = json.loads(out.read_text())
    assert data["calls"] == 2 and data["baseline"]["total"]["count"] == 2 and data["nproc"] >= 1


def test_netem_run_gets_the_options_without_netem_and_json() -> None:
    argv = ["--calls", "3", "--netem", "50", "--json", "x.json", "--hold=5", "--netem=50", "--json=y"]
    assert drop_opts(argv) == ["--calls", "3", "--hold=5"]
