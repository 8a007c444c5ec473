"""``siyu room create --template``: a room whose playbooks and welcome are a shipped scenario template,
written to the database; a node that loads the room runs them; bad input exits 2 without a traceback."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from siyu.app import Node
from siyu.cli import app
from siyu.config import Settings
from siyu.playbooks.feature import Playbooks, shipped
from siyu.playbooks.model import parse_file
from siyu.playbooks.service import SCENARIOS

runner = CliRunner()


@pytest.mark.parametrize("template", SCENARIOS)
def test_a_room_from_each_template_runs_its_playbooks(tmp_path: Path, template: str) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/siyu.db"
    result = runner.invoke(app, ["room", "create", "--room", "r1", "--template", template, "--db", url])
    assert result.exit_code == 0, result.output
    doc = parse_file(shipped(template), template)
    assert f"模板 {template} v1 · {len(doc.playbooks)} 个剧本" in result.output

    async def load() -> tuple[int, list[str], str]:
        node = Node(Settings(db_url=url, port=0, ws_port=0))
        await node.start()
        try:
            room = await node.registry.get("r1")
            assert room is not None
            feature = room.feature(Playbooks)
            return feature.version, list(feature.engine.playbooks), room.members.welcome.source
        finally:
            await node.stop()

    version, ids, welcome = asyncio.run(load())
    assert version == 1 and ids == [p.id for p in doc.playbooks]
    assert welcome == doc.welcome  # the scenario's personal welcome


def test_bad_input_exits_2(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/siyu.db"
    unknown = runner.invoke(app, ["room", "create", "--room", "r1", "--template", "nope", "--db", url])
    assert unknown.exit_code == 2 and "没有模板 nope" in unknown.output
    no_shop = runner.invoke(app, ["room", "create", "--room", "r1", "--shop", "other", "--db", url])
    assert no_shop.exit_code == 2 and "没有店铺 other" in no_shop.output
    assert "Traceback" not in unknown.output + no_shop.output
