"""A room feature added in a test proves the contract: one class brings its client message, rate rule,
handler, typed room message, event, state, staff snapshot and stream follower; nothing else changes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest
from pydantic import Field

from siyu.app import FEATURES, Node
from siyu.auth import Role
from siyu.events import Event, payload
from siyu.realtime.protocol import Cid, ClientMessage, RoomMessage, UserRef
from siyu.rooms.feature import Feature, follows, handles
from siyu.rooms.room import Member, member_ref
from tests.conftest import make_settings

pytestmark = pytest.mark.integration  # real WebSocket clients against a running node


class RollIn(ClientMessage):
    type: Literal["roll"]
    sides: int = Field(6, ge=2, le=20)
    cid: Cid | None = None


@payload
@dataclass(frozen=True, slots=True)
class DiceRolled:
    TYPE: ClassVar[str] = "test.dice_rolled"
    value: int


@dataclass(slots=True, kw_only=True)
class Rolled(RoomMessage):
    type: Literal["rolled"] = "rolled"
    user: UserRef
    value: int


class Dice(Feature):
    name = "dice"
    rates = {"dice": lambda limits: "2/10second"}

    def __init__(self, room: Any) -> None:
        super().__init__(room)
        self.total = 0

    @handles(RollIn, rate="dice")
    def roll(self, m: Member, msg: RollIn) -> None:
        value = msg.sides  # deterministic: the test checks the tally
        event = self.room.event_for(m, DiceRolled(value))
        self.room.record(m, msg.cid, event, Rolled(user=member_ref(m), value=value))

    @follows(DiceRolled)
    def _rolled(self, event: Event[DiceRolled]) -> None:
        self.total += event.payload.value

    def state(self) -> dict[str, Any]:
        return {"dice_total": self.total}

    def staff_snapshot(self) -> dict[str, Any]:
        return {"dice_total": self.total}


@pytest.fixture
async def dice_node(tmp_path: Path) -> AsyncIterator[Node]:
    node = Node(make_settings(f"sqlite+aiosqlite:///{tmp_path}/dice.db"), features=[*FEATURES, Dice])
    await node.start()
    await node.ensure_demo_room("demo")
    try:
        yield node
    finally:
        await node.stop()


async def test_a_feature_added_in_a_test_works_end_to_end(
    dice_node: Node, connect: Callable[..., Any]
) -> None:
    roller = await connect(dice_node, user="u1", nickname="小美")
    watcher = await connect(dice_node, user="u2")
    host = await connect(dice_node, user="h", role=Role.HOST)
    await roller.send({"type": "roll", "sides": 6, "cid": "d1"})
    ack = await roller.expect("ack", cid="d1")
    assert ack["msg"]["type"] == "rolled" and ack["msg"]["value"] == 6 and ack["seq"] == ack["msg"]["seq"]
    seen = await watcher.expect("rolled")
    assert seen["user"]["nick"] == "小美" and seen["seq"] == ack["seq"]
    await host.expect("rolled")

    # a re-sent cid gets the first answer and spends nothing; the rate rule it declared holds
    await roller.send({"type": "roll", "sides": 6, "cid": "d1"})
    again = await roller.expect("ack", cid="d1")
    assert again["seq"] == ack["seq"]
    await roller.send({"type": "roll", "sides": 4, "cid": "d2"})
    assert "seq" in await roller.expect("ack", cid="d2")
    await roller.send({"type": "roll", "sides": 4, "cid": "d3"})
    refused = await roller.expect("ack", cid="d3")
    assert refused["error"]["code"] == "rate_limited"

    # its state follows the stream, and reaches the state message and the staff snapshot
    room = await dice_node.registry.get("demo")
    assert room is not None
    assert room.state()["dice_total"] == 10
    late_host = await connect(dice_node, user="h2", role=Role.HOST)
    assert late_host.welcome["state"]["dice_total"] == 10
    snapshot = await late_host.expect("questions")
    assert snapshot["dice_total"] == 10
    assert "roll" in dice_node.router.types


async def test_a_node_without_the_feature_refuses_its_message(
    sqlite_node: Node, connect: Callable[..., Any]
) -> None:
    c = await connect(sqlite_node, user="u1")
    await c.send({"type": "roll", "cid": "d1"})
    refused = await c.expect("ack", cid="d1")
    assert refused["error"]["code"] == "unknown_type"
