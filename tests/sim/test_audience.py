"""The simulated audience drives real connections and leaves a realistic trace in the event log."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from siyu.app import Node
from siyu.rooms.features import Questions
from siyu.sim.audience import Audience, AudienceConfig
from siyu.store.tables import events

pytestmark = pytest.mark.integration


async def test_audience_enters_comments_and_leaves(sqlite_node: Node) -> None:
    node = sqlite_node
    cfg = AudienceConfig(arrivals_per_s=25, max_online=40, mean_stay_s=2.0, mean_comment_gap_s=0.4, seed=7)
    audience = Audience(node.ws_url, node.signer, "demo", cfg)
    stop = asyncio.Event()
    task = asyncio.create_task(audience.run(stop))
    await asyncio.sleep(3.0)
    stop.set()
    await task
    s = audience.stats
    assert s.entered >= 20 and s.left == s.entered
    assert 0 < s.bounced < s.entered
    assert s.comments > 0 and s.questions > 0
    room = node.registry.loaded("demo")
    assert room is not None

    async def counted() -> dict[str, Any]:
        async with node.db.engine.connect() as conn:
            q = select(events.c.type, func.count()).group_by(events.c.type)
            return dict((await conn.execute(q)).all())

    # the clients are gone; the server sees their closes and commits the leaves in its own time (a busy
    # machine): wait for that state, then check it
    deadline = asyncio.get_running_loop().time() + 10
    counts = await counted()
    while (room.members.count or counts.get("viewer.left", 0) < s.entered) and (
        asyncio.get_running_loop().time() < deadline
    ):
        await asyncio.sleep(0.05)
        counts = await counted()
    assert counts["viewer.entered"] == s.entered and counts["viewer.left"] == s.entered
    # every action a viewer sent was answered before it left (acked, or refused with a code: comments beyond
    # the per-user rate limit), and every acked comment is in the log: posted, or kept from the room by
    # moderation (a viewer repeating a phrase) as comment.hidden
    assert s.unacked == 0 and s.sent >= s.comments
    posted = counts.get("comment.posted", 0) + counts.get("comment.hidden", 0)
    assert posted == s.comments
    assert room.members.count == 0
    for _ in range(30):  # the room-wide online figure follows at the next 1 s tick
        if room.online == 0:
            break
        await asyncio.sleep(0.1)
    assert room.online == 0
    assert len(room.feature(Questions).board.items) > 0
