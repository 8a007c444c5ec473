"""The command line: tokens, config errors, and the demo end to end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from siyu.auth import Role, TokenSigner
from siyu.cli import app
from siyu.config import DEFAULT_SECRET

runner = CliRunner()


def test_token_issue_prints_a_verifiable_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(
        app, ["token", "issue", "--room", "demo", "--user", "u1", "--role", "host", "--nickname", "晚晚"]
    )
    assert result.exit_code == 0, result.output
    claims = TokenSigner(DEFAULT_SECRET, 60).verify(result.output.strip())
    assert (claims.room, claims.user, claims.role, claims.nickname) == ("demo", "u1", Role.HOST, "晚晚")


def test_production_refuses_the_default_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIYU_ENV", "production")
    result = runner.invoke(app, ["serve", "--port", "0"])
    assert result.exit_code == 2
    assert "config.default_secret" in result.output


def test_invalid_config_file_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "siyu.toml"
    bad.write_text("port = 'eighty'\n")
    result = runner.invoke(app, ["serve", "--config", str(bad)])
    assert result.exit_code == 2 and "config.invalid" in result.output


def run_demo(tmp_path: Path, seconds: int) -> str:
    env = {**os.environ, "COLUMNS": "400"}
    proc = subprocess.run(
        [sys.executable, "-m", "siyu", "demo", "--port", "0", "--duration", str(seconds), "--arrivals", "10",
         "--comment-gap", "0.5"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


SIM = re.compile(r"其中模拟观众 (\d+) 位：评论 (\d+) 条.*另有模拟的主播和顾问 (\d+) 位")
SUMMARY = re.compile(
    r"(\d+) 位观众进入直播间（共 (\d+) 人次.*?）；评论 (\d+) 条，其中提问 (\d+) 条，AI助理回答了 (\d+) 条"
)


@pytest.mark.integration
def test_demo_runs_prints_urls_and_a_summary_of_its_own_session(tmp_path: Path) -> None:
    """Each run of the demo is a live session of its own: its closing summary (plain Chinese, from the
    event log) counts that session, and the simulated audience never takes the demo viewer's name."""
    out = run_demo(tmp_path, 6)
    viewer = re.search(r"观众页\s+(http://\S+/room/demo#token=\S+)", out)
    host = re.search(r"主播控制台\s+(http://\S+/host/demo#token=\S+)", out)
    assert viewer and host, out
    first = SUMMARY.search(out)
    assert first and int(first.group(1)) > 0 and int(first.group(3)) > 0, out
    assert int(first.group(5)) > 0, out  # the audience's questions got the assistant's answers
    assert "本场小结" in out and "小鹿" not in out.split("本场小结")[1]
    assert (tmp_path / "var" / "demo.db").exists()
    for run in (out, run_demo(tmp_path, 3)):  # the second run: the same database, a new session
        session = SUMMARY.search(run)
        sim = SIM.search(run)
        assert session and sim, run
        # only the simulated audience (and the simulated staff: host, consultant) was in the room: the
        # session's comments are exactly the ones it got acked (entries may count a viewer or two whose
        # connection opened as the demo stopped)
        assert session.group(3) == sim.group(2), run
        entered = int(sim.group(1)) + int(sim.group(3))
        assert entered <= int(session.group(2)) <= entered + 3, run
        assert "PK · 连麦 · 1v1" in run and "PK 对手直播间「小柚的衣橱" in run, run


@pytest.mark.parametrize(
    "args",
    [["--nickname", "a\x00b"], ["--nickname", "tab\there"], ["--nickname", "\udcff"],
     ["--nickname", "昵" * 33], ["--level", "101"], ["--level", "-1"], ["--user", "u\n1"], ["--room", ""]],
)  # fmt: skip
def test_token_issue_refuses_odd_claims(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: list[str]
) -> None:
    """Exit code 2 with the reason (auth.invalid_claims), never a traceback or a token (issue 9, point 7)."""
    monkeypatch.chdir(tmp_path)
    base = {"--room": "demo", "--user": "u1"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    argv = ["token", "issue", *[x for kv in base.items() for x in kv]]
    result = runner.invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "auth.invalid_claims" in result.output
    assert "eyJ" not in result.output


def test_token_issue_refuses_a_level_that_is_not_an_int(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["token", "issue", "--room", "demo", "--user", "u1", "--level", "6.5"])
    assert result.exit_code == 2 and "eyJ" not in result.output
