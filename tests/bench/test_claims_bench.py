"""`siyu bench claims` on a small crowd: the database grants exactly the drop; the naive baseline does not
hold the line (it grants at least the drop, usually more)."""

from __future__ import annotations

from siyu.bench.claims import run_claims


async def test_bench_claims_grants_exactly_the_drop() -> None:
    result = await run_claims(claimers=60, quantity=10)
    assert result.granted == 10 and sum(result.refused.values()) == 50
    assert set(result.refused) == {"coupon.sold_out"}
    assert result.naive_granted >= 10 and result.ack_p99_ms >= result.ack_p50_ms > 0
