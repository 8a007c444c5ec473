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


@pytest.mark.integration
def test_demo_runs_prints_urls_and_stops_cleanly(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "400"}
    proc = subprocess.run(
        [sys.executable, "-m", "siyu", "demo", "--port", "0", "--duration", "6", "--arrivals", "10",
         "--comment-gap", "0.5"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    viewer = re.search(r"观众页\s+(http://\S+/room/demo#token=\S+)", out)
    host = re.search(r"主播控制台\s+(http://\S+/host/demo#token=\S+)", out)
    assert viewer and host, out
    summary = re.search(r"模拟观众: 进入 (\d+), 3秒内离开 (\d+), 评论 (\d+)", out)
    assert summary and int(summary.group(1)) > 0, out
    answered = re.search(r"AI助理回答 (\d+) 条", out)  # the audience's questions got the assistant's answers
    assert answered and int(answered.group(1)) > 0, out
    assert (tmp_path / "var" / "demo.db").exists()


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
