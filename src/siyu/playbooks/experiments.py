"""Experiments: a deterministic variant (or holdout) per viewer, the same on every node and in every session.

bucket = the first 8 bytes of sha256("<experiment id>:<viewer id>") as a fraction in [0, 1): below
`holdout` is the holdout; the rest is split by the variants' weights in their order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def bucket(experiment_id: str, user_id: str) -> float:
    digest = hashlib.sha256(f"{experiment_id}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign(
    experiment_id: str, user_id: str, variants: Sequence[tuple[str, float]], holdout: float = 0.0
) -> str:
    """The viewer's arm: "holdout", or the name of one of `variants` ((name, weight) pairs)."""
    x = bucket(experiment_id, user_id)
    if x < holdout:
        return "holdout"
    if not variants:
        return "treatment"
    x = (x - holdout) / (1 - holdout)
    total = sum(w for _, w in variants)
    acc = 0.0
    for name, weight in variants:
        acc += weight / total
        if x < acc:
            return name
    return variants[-1][0]
