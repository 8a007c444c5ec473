"""Per-user ingress rate limits."""

from __future__ import annotations

import time

import pytest

from siyu.realtime.ratelimit import RateLimits, Verdict


@pytest.fixture
def limits() -> RateLimits:
    return RateLimits({"comment": "3/second", "like": "10/minute"})


def test_allows_up_to_the_limit_then_refuses(limits: RateLimits) -> None:
    verdicts = [limits.hit("comment", "room:u1") for _ in range(3)]
    assert verdicts == [Verdict(True)] * 3
    assert all(v.retry_after_ms == 0 for v in verdicts)
    refused = limits.hit("comment", "room:u1")
    assert refused.allowed is False
    assert 0 < refused.retry_after_ms <= 1000


def test_stays_refused_within_the_window(limits: RateLimits) -> None:
    for _ in range(3):
        assert limits.hit("comment", "k").allowed
    for _ in range(5):
        assert not limits.hit("comment", "k").allowed


def test_retry_after_is_honest(limits: RateLimits) -> None:
    for _ in range(3):
        limits.hit("comment", "k")
    refused = limits.hit("comment", "k")
    assert not refused.allowed
    time.sleep(refused.retry_after_ms / 1000 + 0.05)
    assert limits.hit("comment", "k").allowed


def test_keys_are_independent(limits: RateLimits) -> None:
    for _ in range(3):
        assert limits.hit("comment", "room:u1").allowed
    assert not limits.hit("comment", "room:u1").allowed
    assert limits.hit("comment", "room:u2").allowed
    assert limits.hit("comment", "other-room:u1").allowed


def test_rules_are_independent(limits: RateLimits) -> None:
    for _ in range(3):
        limits.hit("comment", "k")
    assert not limits.hit("comment", "k").allowed
    assert limits.hit("like", "k").allowed


def test_cost_counts(limits: RateLimits) -> None:
    assert limits.hit("comment", "k", cost=2).allowed
    assert not limits.hit("comment", "k", cost=2).allowed  # 2 + 2 > 3
    assert limits.hit("comment", "k", cost=1).allowed  # 2 + 1 == 3
    assert not limits.hit("comment", "k").allowed


def test_cost_above_limit_is_refused_outright(limits: RateLimits) -> None:
    refused = limits.hit("like", "k", cost=11)
    assert refused.allowed is False
    assert refused.retry_after_ms >= 1
    assert limits.hit("like", "k", cost=10).allowed  # the refused hit consumed nothing


def test_long_window_retry_after(limits: RateLimits) -> None:
    assert limits.hit("like", "k", cost=10).allowed
    refused = limits.hit("like", "k")
    assert not refused.allowed
    assert 1000 < refused.retry_after_ms <= 60_000


def test_unknown_rule(limits: RateLimits) -> None:
    with pytest.raises(KeyError):
        limits.hit("gift-storm", "k")


def test_separate_instances_do_not_share_state() -> None:
    a = RateLimits({"comment": "1/second"})
    b = RateLimits({"comment": "1/second"})
    assert a.hit("comment", "k").allowed
    assert not a.hit("comment", "k").allowed
    assert b.hit("comment", "k").allowed


def test_invalid_rule_string_refused_at_construction() -> None:
    with pytest.raises(ValueError):
        RateLimits({"comment": "lots"})
