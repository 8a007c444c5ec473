"""The contributor board on two nodes sharing one PostgreSQL and one Redis: givers on both nodes, ties
decided by the log's seq order, and the same board (message and state) on both nodes; a third node that
loads the room later builds the same board from the log."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from siyu.app import Node
from tests.conftest import Client, RedisProcess, fresh_pg_database

pytestmark = pytest.mark.integration

GIVERS = 12


async def test_two_nodes_show_the_same_board(
    redis_server: RedisProcess, node_factory: Callable[..., Any], connect: Any, pg_server: str
) -> None:
    db = await fresh_pg_database(pg_server)
    a: Node = await node_factory(db, redis_url=redis_server.url)
    b: Node = await node_factory(db, redis_url=redis_server.url, demo=False)
    await b.registry.get("demo")
    nodes = (a, b)
    watchers: list[Client] = [await connect(n, user=f"w{i}") for i, n in enumerate(nodes)]
    givers: list[Client] = [
        await connect(nodes[i % 2], user=f"u{i}", nickname=f"观众{i}") for i in range(GIVERS)
    ]

    async def give(c: Client, gift_id: str, cid: str, count: int = 1) -> int:
        await c.send({"type": "gift", "gift_id": gift_id, "count": count, "cid": cid})
        ack = await c.expect("ack", cid=cid, timeout=20)
        assert "error" not in ack, ack
        return int(ack["seq"])

    # every giver gives 10 coins per lightstick, i % 4 + 1 of them: four ties of three givers each,
    # all at once from both nodes (their seqs decide the ties)
    seqs = await asyncio.gather(*(give(c, "lightstick", "g1", i % 4 + 1) for i, c in enumerate(givers)))
    coins = {f"u{i}": 10 * (i % 4 + 1) for i in range(GIVERS)}
    reached = {f"u{i}": seq for i, seq in enumerate(seqs)}
    order = sorted(coins, key=lambda u: (-coins[u], reached[u]))

    def wire(users: list[str]) -> list[dict[str, Any]]:
        return [
            {
                "rank": r + 1,
                "user": {"id": u, "nick": f"观众{u[1:]}", "lvl": 0, "role": "viewer"},
                "coins": coins[u],
            }
            for r, u in enumerate(users)
        ]

    got = [await w.expect("leaderboard", items=wire(order[:10]), timeout=20) for w in watchers]
    assert [m["contributors"] for m in got] == [GIVERS, GIVERS]

    # one more gift moves the last giver of the smallest tie to the top, on both nodes
    last = order[-1]
    await give(givers[int(last[1:])], "sportscar", "g2")
    coins[last] += 1200
    for w in watchers:
        await w.expect("leaderboard", items=wire([last, *order[:9]]), timeout=20)

    # the state of either node, and of a node that loads the room from the log now, is the same board
    c: Node = await node_factory(db, redis_url=redis_server.url, demo=False)
    late = [await connect(n, user=f"late{i}") for i, n in enumerate((a, b, c))]
    states = [client.welcome["state"]["leaderboard"] for client in late]
    assert states[0] == states[1] == states[2] == wire([last, *order[:9]])
