"""`siyu bench pk` end to end at a tiny size (two `siyu serve` nodes, a real Redis, 10 viewers per room):
structure and counts only, no timings."""

from __future__ import annotations

import json

from siyu.bench.pk import run_pk
from tests.conftest import RedisProcess


async def test_bench_pk_runs_and_its_scores_agree(redis_server: RedisProcess) -> None:
    result = await run_pk(viewers=10, rate=4, duration=1.5, redis_url=redis_server.url)
    data = json.loads(json.dumps(result.as_dict()))  # the JSON the CLI writes
    assert data["gifts"] == 6 and data["final_score_a"] == 6 and data["result_score_a"] == 6
    assert data["gift_to_score_in_b"]["count"] == 6 and data["gift_ack"]["count"] == 6
    assert data["b_viewers_with_final_score"] == 10
    assert data["backend"] == "sqlite" and data["viewers_per_room"] == 10
